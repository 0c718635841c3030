import { startTestBackend, type TestBackend } from '../support/service';
import { syslogLineProtocol } from '../support/syslog';
import { waitFor } from '../support/wait';

describe('backend service against a real influxd', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend?.stop());

  const get = (path: string, auth = true) => backend.call(path, { auth });

  it('When probed, then /healthz and /readyz answer ok and /metrics shows process and pipeline metrics', async () => {
    expect(await (await get('/healthz', false)).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz', false);
    expect(ready.status).toBe(200);
    const metrics = await (await get('/metrics', false)).text();
    expect(metrics).toContain('nocai_process_cpu_seconds_total');
    expect(metrics).toContain('nocai_pipeline_batch_duration_seconds');
  });

  it('When syslog lines arrive, then each becomes one classified aiops_events point with a template id', async () => {
    const now = Date.now() * 1000;
    const lines = [
      {
        hostname: 'hosp-01-ps-01',
        appname: 'pdu',
        severity: 'crit',
        message: 'Input voltage lost on feed A, switching to battery',
      },
      {
        hostname: 'core-rtr-1',
        appname: 'ifmgr',
        severity: 'err',
        message: 'Interface GigabitEthernet0/1, changed state to down',
      },
      {
        hostname: 'srv-7',
        appname: 'sshd',
        severity: 'warning',
        message: 'Failed password for invalid user admin from 203.0.113.5 port 52211 ssh2',
      },
      {
        hostname: 'srv-7',
        appname: 'sshd',
        severity: 'warning',
        message: 'Failed password for invalid user root from 203.0.113.9 port 40022 ssh2',
      },
      { hostname: 'srv-7', appname: 'CRON', severity: 'info', message: '(root) CMD (run-parts /etc/cron.hourly)' },
    ].map((l, i) => ({ ...l, timeUs: now - 5_000_000 + i }));
    await backend.influx.client.writeLines(backend.influx.database, lines.map(syslogLineProtocol));

    const events = await waitFor(async () => {
      const body = (await (await get(`/api/events?from=${Math.floor(now / 1000) - 60_000}`)).json()) as {
        events: Array<Record<string, unknown>>;
      };
      return body.events.length === lines.length ? body.events : undefined;
    });
    const byMessage = new Map(events.map((e) => [e.message, e]));
    expect(byMessage.get(lines[0].message)).toMatchObject({
      eventClass: 'power',
      decision: 'alert',
      hostname: 'hosp-01-ps-01',
    });
    expect(byMessage.get(lines[1].message)).toMatchObject({ eventClass: 'network', decision: 'alert' });
    expect(byMessage.get(lines[2].message)).toMatchObject({ eventClass: 'security' });
    expect(byMessage.get(lines[4].message)).toMatchObject({ eventClass: 'informational', decision: 'noise' });
    // Two failed logins differing only in user, IP and port share one template.
    expect(byMessage.get(lines[2].message)?.templateId).toBe(byMessage.get(lines[3].message)?.templateId);
    expect(byMessage.get(lines[2].message)?.templateId).not.toBe(byMessage.get(lines[4].message)?.templateId);
    for (const e of events) {
      expect(e.confidence).toBeGreaterThan(0);
      expect(e.modelVersion).toEqual(expect.any(String));
    }
  });

  it('When a request has no or a wrong token, then /api answers 401 with a message', async () => {
    const none = await get('/api/events', false);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { code: 'unauthorized', message: expect.stringContaining('bearer token') },
    });
    const wrong = await fetch(`${backend.service.url}/api/whoami`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('When a filter is invalid or hostile, then the answer is a 400 or an empty list, never a crash', async () => {
    const bad = await get('/api/events?class=plasma');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /^class must be one of power, .* \(got "plasma"\)$/
    );
    const range = await get('/api/events?from=20&to=10');
    expect(range.status).toBe(400);
    const hostile = await get(`/api/events?host=${encodeURIComponent("x' OR 1=1 --")}`);
    expect(hostile.status).toBe(200);
    expect(await hostile.json()).toEqual({ events: [] });
  });
});
