import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '@nocai/contract';
import { createLogger } from '../../inference-backend/src/adapters/logger';
import { loadConfig } from '../../inference-backend/src/config';
import { startService } from '../../inference-backend/src/main';
import { FaultProxy } from '../support/faultProxy';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { startTestBackend, TEST_TOKEN, type TestBackend } from '../support/service';
import { syslogLineProtocol } from '../support/syslog';
import { waitFor, waitForCount } from '../support/wait';

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
type ErrorBody = { error: { code: string; message: string } };

async function eventCount(backend: TestBackend): Promise<number> {
  const series = await backend.influx.client.query(backend.outputDb, 'SELECT count(message) FROM aiops_events');
  return Number(series[0]?.rows[0]?.count ?? 0);
}

/** Writes `n` syslog lines straight into the test influxd (as Telegraf would) and waits until all have events. */
async function linesAreProcessed(backend: TestBackend, n: number, tag: string): Promise<void> {
  const before = await eventCount(backend);
  const nowUs = Date.now() * 1000;
  const lines = Array.from({ length: n }, (_, i) => ({
    hostname: `srv-${tag}`,
    appname: 'app',
    severity: 'info',
    message: `${tag} heartbeat ${i}`,
    timeUs: nowUs - 2_000_000 + i,
  }));
  await backend.influx.client.writeLines(backend.influx.database, lines.map(syslogLineProtocol));
  await waitFor(async () => ((await eventCount(backend)) >= before + n ? true : undefined), 60_000, `${n} new lines processed`);
}

describe('the backend when requests are hostile and InfluxDB fails', () => {
  let proxy: FaultProxy;
  let backend: TestBackend;
  beforeAll(async () => {
    proxy = await FaultProxy.start(testInfluxUrl());
    backend = await startTestBackend({
      INFLUX_URL: proxy.url,
      INFLUX_TIMEOUT_MS: '1500',
      NOCAI_MAX_BACKOFF_MS: '200',
      NOCAI_WEBHOOK_TOKEN: 'hook-token',
    });
  });
  afterAll(async () => {
    await proxy?.up();
    await backend?.stop();
    await proxy?.stop();
  });

  const post = (path: string, body: unknown) => backend.call(path, { method: 'POST', body: JSON.stringify(body) });
  /** Grafana's contact point, with the webhook-only token. */
  const fire = (alert: Record<string, unknown>) =>
    backend.call('/api/alerts/grafana', {
      method: 'POST',
      auth: false,
      headers: { Authorization: 'Bearer hook-token', 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'firing', alerts: [{ status: 'firing', startsAt: new Date().toISOString(), ...alert }] }),
    });

  it('When a complaint names a site ending in a backslash or a webhook label is 66 KB, then each gets a 400 that says why and the log stage keeps going', async () => {
    const backslash = await post('/api/complaints', { text: 'The printer on floor 2 is jammed again', site: 'hosp-01\\' });
    expect(backslash.status).toBe(400);
    expect((await json<ErrorBody>(backslash)).error.message).toMatch(/site/);

    const huge = await fire({ labels: { alertname: 'Disk full', site: 'x'.repeat(66_000) } });
    expect(huge.status).toBe(400);
    expect((await json<ErrorBody>(huge)).error.message).toMatch(/site/);

    await linesAreProcessed(backend, 20, 'after-bad-input');
    const ok = await post('/api/complaints', { text: 'The printer on floor 2 is jammed again', site: 'hosp-01' });
    expect(ok.status).toBe(201);
  });

  it('When InfluxDB is down, then a complaint gets 503 with Retry-After, /readyz is 503, and both recover without a restart', async () => {
    await proxy.down();
    const refused = await post('/api/complaints', { text: 'Nurse call system silent on ward 3' });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await json<ErrorBody>(refused);
    expect(body.error.code).toBe('upstream_unavailable');
    // The message is about InfluxDB, never about someone's record.
    expect(body.error.message).toMatch(/InfluxDB/);
    expect(body.error.message).not.toMatch(/Nurse call|aiops_tickets/);
    expect((await backend.call('/readyz', { auth: false })).status).toBe(503);
    // The log stage fails its ticks while InfluxDB is away: /readyz names it.
    const stageDown = await waitFor(async () => {
      const ready = await json<{ checks: Record<string, { ok: boolean }> }>(await backend.call('/readyz', { auth: false }));
      return ready.checks['stage:logs']?.ok === false ? ready : undefined;
    });
    expect(stageDown.checks.influxdb.ok).toBe(false);
    // The lag is now − watermark at every scrape: it keeps growing while nothing commits.
    const lag = async () => {
      const text = await (await backend.call('/metrics', { auth: false })).text();
      return Number(/^nocai_pipeline_lag_seconds\{stage="logs"\} (\S+)$/m.exec(text)?.[1]);
    };
    const before = await lag();
    expect(before).toBeGreaterThanOrEqual(0);
    await waitFor(async () => ((await lag()) > before + 0.5 ? true : undefined), 20_000, 'the lag to grow during the outage');

    await proxy.up();
    await waitFor(async () => ((await backend.call('/readyz', { auth: false })).status === 200 ? true : undefined), 30_000, '/readyz 200');
    expect((await post('/api/complaints', { text: 'Nurse call system silent on ward 3' })).status).toBe(201);
    await linesAreProcessed(backend, 10, 'after-outage');
  });

  it('When InfluxDB hangs, then a read gets 504 and the next one, once it answers, 200', async () => {
    await proxy.stall();
    try {
      const hung = await backend.call('/api/events');
      expect(hung.status).toBe(504);
      expect((await json<ErrorBody>(hung)).error.message).toMatch(/did not answer/);
    } finally {
      await proxy.up();
    }
    expect((await backend.call('/api/events')).status).toBe(200);
  });

  it('When a path is not valid percent-encoding or a time is out of range, then the answer is a 400', async () => {
    const malformed = await backend.call('/api/tickets/%E0%A4%A');
    expect(malformed.status).toBe(400);
    const farFuture = await backend.call('/api/events?from=99999999999999999999');
    expect(farFuture.status).toBe(400);
    const reversed = await backend.call('/api/tickets?from=2000&to=1000');
    expect(reversed.status).toBe(400);
  });

  it('When a Grafana fingerprint has spaces, slashes or 128 characters, then its ticket can be read and judged', async () => {
    for (const fingerprint of ['a b/c', 'x'.repeat(128)]) {
      const res = await fire({ labels: { alertname: 'Link down' }, fingerprint });
      expect(res.status).toBe(202);
      const [ticket] = (await json<{ tickets: Ticket[] }>(res)).tickets;
      expect((await backend.call(`/api/tickets/${encodeURIComponent(ticket.id)}`)).status).toBe(200);
      expect((await post(`/api/tickets/${encodeURIComponent(ticket.id)}/feedback`, { verdict: 'invalid' })).status).toBe(200);
    }
  });
});

describe('a field type conflict in a result measurement', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend?.stop());

  const post = (path: string, body: unknown) => backend.call(path, { method: 'POST', body: JSON.stringify(body) });

  it('When aiops_feedback holds a conflicting field type, then a verdict gets a clear error and lines and complaints still flow', async () => {
    const created = await json<{ ticket: Ticket }>(await post('/api/complaints', { text: 'Badge reader at the main door rejects every card' }));
    // Someone's tool wrote `user` as an integer into this shard of aiops_feedback.
    await backend.influx.client.writeLines(backend.outputDb, [`aiops_feedback,verdict=valid user=1i ${Date.now() * 1000 - 1}`]);
    const refused = await post(`/api/tickets/${created.ticket.id}/feedback`, { verdict: 'valid' });
    expect(refused.status).toBe(500);
    const body = await json<ErrorBody>(refused);
    expect(body.error.code).toBe('storage_refused');
    expect(body.error.message).toMatch(/field type conflict/);

    await linesAreProcessed(backend, 30, 'after-conflict');
    expect((await post('/api/complaints', { text: 'Badge reader at the side door rejects every card' })).status).toBe(201);
  });
});


describe('a poison point in a batch', () => {
  it('When InfluxDB refuses one event of a batch, then it goes to the dead-letter file with its reason, the others are stored and the watermark moves on', async () => {
    const influx = await freshDatabase('poison');
    const outputDb = `${influx.database}_out`;
    const stateDir = mkdtempSync(join(tmpdir(), 'nocai-poison-'));
    const nowUs = Date.now() * 1000;
    // Three weeks back: a shard of its own (7-day shard groups), where `decision` is already an integer.
    const oldUs = nowUs - 21 * 86_400_000_000;
    await influx.client.createDatabase(outputDb);
    await influx.client.writeLines(outputDb, [`aiops_events,hostname=elsewhere decision=1i ${oldUs - 1}`]);
    const lines = [
      { hostname: 'plc-9', message: 'Poisoned line three weeks ago', timeUs: oldUs },
      ...Array.from({ length: 20 }, (_, i) => ({ hostname: 'plc-9', message: `Cycle ${i} complete`, timeUs: nowUs - 5_000_000 + i })),
    ];
    await influx.client.writeLines(influx.database, lines.map(syslogLineProtocol));

    const backend = await startTestBackend({ NOCAI_STATE_DIR: stateDir, NOCAI_START_LOOKBACK_MS: String(22 * 86_400_000) }, influx);
    try {
      await waitFor(async () => (backend.service.logStage.watermarkUs === lines[lines.length - 1].timeUs ? true : undefined), 60_000, 'watermark at the last line');
      expect(await eventCount(backend)).toBe(20 + 0);
      const dead = readFileSync(join(stateDir, 'dead-letter.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { measurement: string; reason: string; line: string; database: string });
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ measurement: 'aiops_events', database: outputDb });
      expect(dead[0].reason).toMatch(/field type conflict/);
      expect(dead[0].line).toContain('Poisoned line three weeks ago');
      const metrics = await (await backend.call('/metrics', { auth: false })).text();
      expect(metrics).toMatch(/nocai_dead_letter_points_total\{measurement="aiops_events",cause="field_type_conflict"\} 1/);
      expect((await backend.call('/readyz', { auth: false })).status).toBe(200);
    } finally {
      await backend.stop();
    }
  });
});

describe('concurrent writers', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend?.stop());

  /**
   * The rows of `influxql` once at least `expected` are visible. InfluxDB 1.x answers a write only
   * once it is stored, yet a read right after many concurrent writes has been seen to miss one of
   * them for a moment on a loaded machine (CI: 1,999 of 2,000; influxdata/influxdb#10208 shows the
   * same transient shortfall). A point really lost never shows up and fails the wait; one stored
   * twice is caught by the exact counts the tests assert.
   */
  async function storedRows(influxql: string, expected: number, what: string): Promise<Array<Record<string, unknown>>> {
    let rows: Array<Record<string, unknown>> = [];
    await waitForCount(
      async () => {
        rows = (await backend.influx.client.query(backend.outputDb, influxql))[0]?.rows ?? [];
        return rows.length;
      },
      expected,
      what,
      30_000
    );
    return rows;
  }

  async function inParallel<T>(clients: number, total: number, job: (i: number) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < total; i = next++) results.push(await job(i));
      })
    );
    return results;
  }

  it('When 8 clients send 2,000 complaints, then every acknowledged complaint is stored exactly once', async () => {
    const acknowledged = await inParallel(8, 2000, async (i) => {
      // Identical texts on purpose: two people reporting the same thing in the same millisecond.
      const res = await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify({ text: `Wi-Fi down on floor ${i % 3}` }) });
      return res.status === 201 ? (await json<{ ticket: Ticket }>(res)).ticket.id : undefined;
    });
    const ids = acknowledged.filter((id): id is string => id !== undefined);
    expect(ids.length).toBe(2000);
    const storedIds = (
      await storedRows(`SELECT ticket_id FROM aiops_tickets WHERE "source" = 'complaint'`, ids.length, 'the acknowledged complaints')
    ).map((r) => String(r.ticket_id));
    expect(storedIds.length).toBe(ids.length);
    expect(new Set(storedIds)).toEqual(new Set(ids));
  });

  it('When 200 verdicts on one ticket arrive at once, then every acknowledged verdict is stored exactly once', async () => {
    const { ticket } = await json<{ ticket: Ticket }>(
      await backend.call('/api/complaints', { method: 'POST', body: JSON.stringify({ text: 'Core switch fan failure alarm in room B' }) })
    );
    const statuses = await inParallel(200, 200, async (i) => {
      const res = await backend.call(`/api/tickets/${ticket.id}/feedback`, {
        method: 'POST',
        body: JSON.stringify({ verdict: i % 2 ? 'valid' : 'avoided', comment: `verdict ${i}` }),
      });
      return res.status;
    });
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    const comments = (
      await storedRows(`SELECT "comment" FROM aiops_feedback WHERE ticket_id = '${ticket.id}'`, 200, 'the acknowledged verdicts')
    ).map((r) => String(r.comment));
    expect(comments).toHaveLength(200);
    expect(new Set(comments).size).toBe(200);
  });
});

describe('secrets in messages', () => {
  it('When INFLUX_URL carries a password and InfluxDB cannot be reached, then the startup error does not show it', async () => {
    const config = loadConfig({
      INFLUX_URL: 'http://admin:hunter2@127.0.0.1:9',
      NOCAI_API_TOKEN: TEST_TOKEN,
      NOCAI_RATE_LIMIT: '0',
      NOCAI_PORT: '0',
      NOCAI_STATE_DIR: mkdtempSync(join(tmpdir(), 'nocai-secret-')),
    });
    const failure = await startService(config, { logger: createLogger('silent') }).then(
      () => new Error('started'),
      (error: Error) => error
    );
    expect(failure.message).toMatch(/Cannot reach InfluxDB/);
    expect(failure.message).not.toContain('hunter2');
  });
});
