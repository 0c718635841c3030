import { ConfigError, loadCommandEnvironment } from './config';

describe('loadCommandEnvironment (nocai demo)', () => {
  it('When INFLUX_URL is not set, then there is no InfluxDB of the user, and the demo starts its own', () => {
    expect(loadCommandEnvironment({}).influxUrl).toBeUndefined();
    expect(loadCommandEnvironment({ INFLUX_URL: '  ' }).influxUrl).toBeUndefined();
  });

  it('When INFLUX_URL is malformed, then it is refused before anything starts', () => {
    expect(() => loadCommandEnvironment({ INFLUX_URL: 'localhost:8086' })).toThrow(ConfigError);
  });

  it("When the command, the environment and the defaults name a setting, then the command's value wins, then the environment's", () => {
    const environment = loadCommandEnvironment({ NOCAI_PORT: '9000', LOG_LEVEL: 'debug', INFLUX_TOKEN: 't' });
    const config = environment.serviceConfig(
      { NOCAI_PORT: '0', INFLUX_URL: 'http://127.0.0.1:1' },
      { NOCAI_API_TOKEN: 'random', LOG_LEVEL: 'warn', NOCAI_SETTLE_MS: '0' }
    );
    expect(config.http.port).toBe(0);
    expect(config.logLevel).toBe('debug');
    expect(config.influx).toMatchObject({ url: 'http://127.0.0.1:1', token: 't' });
    expect(config.http.apiToken).toBe('random');
    expect(config.pipeline.settleMs).toBe(0);
  });

  it('When a setting of the environment is invalid, then the service config is refused with its name', () => {
    const environment = loadCommandEnvironment({ NOCAI_POLL_INTERVAL_MS: 'often' });
    expect(() => environment.serviceConfig({}, { NOCAI_API_TOKEN: 'x' })).toThrow(/NOCAI_POLL_INTERVAL_MS/);
  });
});
