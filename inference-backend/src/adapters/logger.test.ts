import { Writable } from 'node:stream';
import { createLogger } from './logger';

/** A logger whose lines are kept, as the operator's log collector would keep them. */
function capturing(secrets: string[] = []) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('debug', 'nocai', { secrets, destination }), text: () => lines.join('') };
}

describe('createLogger', () => {
  it('When a line carries request headers, credentials of the configuration or a TLS key, then none of their values is written', () => {
    const { logger, text } = capturing();
    logger.info(
      {
        'x-grafana-id': 'eyJ-top-level-id-token',
        headers: {
          authorization: 'Bearer header-bearer-secret',
          'x-grafana-id': 'eyJ-nested-id-token',
          cookie: 'grafana_session=cookie-secret',
        },
        req: { headers: { authorization: 'Basic deep-basic-secret' } },
        config: {
          influx: { token: 'influx-token-secret', password: 'influx-password-secret' },
          http: { tls: { key: 'PRIVATE-KEY-PEM' } },
        },
        env: { NOCAI_API_TOKEN: 'env-api-token-secret', INFLUX_PASSWORD: 'env-influx-password' },
      },
      'a request'
    );
    const written = text();
    for (const secret of [
      'eyJ-top-level-id-token',
      'header-bearer-secret',
      'eyJ-nested-id-token',
      'cookie-secret',
      'deep-basic-secret',
      'influx-token-secret',
      'influx-password-secret',
      'PRIVATE-KEY-PEM',
      'env-api-token-secret',
      'env-influx-password',
    ]) {
      expect(written).not.toContain(secret);
    }
    expect(written).toContain('[redacted]');
    expect(JSON.parse(written).msg).toBe('a request');
  });

  it('When a configured secret appears in a message or an error, then it is replaced and the rest of the text kept', () => {
    const { logger, text } = capturing(['bootstrap-secret-1', 'quote"and\\backslash-secret']);
    logger.warn('InfluxDB refused bootstrap-secret-1 at the door');
    logger.error({ err: new Error('bad credentials quote"and\\backslash-secret') }, 'failed');
    const written = text();
    expect(written).not.toContain('bootstrap-secret-1');
    expect(written).not.toContain('backslash-secret');
    const [first, second] = written
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; err: { message: string } });
    expect(first.msg).toBe('InfluxDB refused [redacted] at the door');
    expect(second.err.message).toBe('bad credentials [redacted]');
  });

  it("When a field is a caller's token description (its name and role), then it is kept", () => {
    const { logger, text } = capturing();
    logger.info({ caller: { name: 'alice', token: { name: 'grafana', role: 'operator' } } }, 'who');
    expect(JSON.parse(text()).caller.token).toEqual({ name: 'grafana', role: 'operator' });
  });
});
