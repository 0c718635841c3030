import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '@nocai/contract';
import type { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { freshDatabase } from '../support/influx';
import { startTestBackend, type TestBackend } from '../support/service';
import { syslogLineProtocol, type TestSyslogLine } from '../support/syslog';
import { waitFor } from '../support/wait';

const MINUTE_US = 60_000_000;
const HOUR_US = 60 * MINUTE_US;
const LINES_PER_SIDE = 6000;
const HOSTS = ['plc-1', 'plc-2', 'plc-3', 'plc-4'];
const COMPLAINTS = 300;
const VERDICTS = 150;

interface DeadEntry {
  database: string;
  measurement: string;
  reason: string;
  line: string;
}

/**
 * Where the shard of `timeUs` starts (InfluxDB aligns shard groups on Go's zero time, so a week's
 * starts on a Monday): learnt from InfluxDB itself, by writing a point of a measurement of its own.
 */
async function shardStartUs(client: InfluxClient, database: string, timeUs: number): Promise<number> {
  await client.writeLines(database, [`fault_probe value=1 ${timeUs}`]);
  const shards = await client.query(database, 'SHOW SHARDS');
  const starts = shards
    .flatMap((s) => s.rows)
    .filter((r) => r.database === database)
    .map((r) => Date.parse(String(r.start_time)) * 1000)
    .filter((startUs) => startUs <= timeUs);
  return Math.max(...starts);
}

const timeOf = (lineProtocol: string) => Number(lineProtocol.slice(lineProtocol.lastIndexOf(' ') + 1));
const tagOf = (lineProtocol: string, tag: string) => new RegExp(`,${tag}=([^,\\s]+)`).exec(lineProtocol)?.[1] ?? '';

/**
 * A shard of aiops_events and aiops_anomalies in which someone's tool wrote `decision` as an
 * integer and `score` as a string: InfluxDB refuses every point the pipeline writes there (a
 * field type conflict) and stores the others of the same batches. The log stage, the metric stage
 * and the API write at once; the refused points must end in the dead letter, the rest in InfluxDB,
 * and nothing anywhere else.
 */
describe('InfluxDB refusing part of the batches while both stages and the API write', () => {
  let backend: TestBackend | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'nocai-refusal-'));
  afterAll(async () => {
    await backend?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('When a shard refuses every point of both stages under load and the API writes meanwhile, then the refused points are in the dead letter, the rest is stored, and every line, sample and request is accounted for exactly once', async () => {
    const influx = await freshDatabase('refusal');
    const outputDb = `${influx.database}_out`;
    const nowUs = Date.now() * 1000;
    // The shard holding the time two hours back starts at the boundary; the one before it is poisoned.
    await influx.client.createDatabase(outputDb);
    const boundaryUs = await shardStartUs(influx.client, outputDb, nowUs - 2 * HOUR_US);
    await influx.client.writeLines(outputDb, [
      `aiops_events,hostname=elsewhere decision=1i ${boundaryUs - HOUR_US}`,
      `aiops_anomalies,host=elsewhere score="high" ${boundaryUs - HOUR_US}`,
    ]);

    // Syslog lines half an hour either side of the boundary.
    const stepUs = Math.floor((30 * MINUTE_US) / LINES_PER_SIDE);
    const lines: TestSyslogLine[] = Array.from({ length: 2 * LINES_PER_SIDE }, (_, i) => ({
      hostname: `sw-${i % 30}`,
      appname: 'ifmgr',
      severity: i % 5 ? 'info' : 'warning',
      message: `Interface Gi1/0/${i % 48} changed state to ${i % 2 ? 'up' : 'down'} (${i})`,
      timeUs: boundaryUs - LINES_PER_SIDE * stepUs + i * stepUs,
    }));
    for (let i = 0; i < lines.length; i += 5000) {
      await influx.client.writeLines(influx.database, lines.slice(i, i + 5000).map(syslogLineProtocol));
    }
    // PLC temperatures once a minute from 26 h before the boundary to 1 h after it: the metric stage
    // learns a day, then scores two hours in the poisoned shard and one in the next.
    const firstSampleUs = boundaryUs - 26 * HOUR_US;
    const lastSampleUs = boundaryUs + HOUR_US;
    const samples: string[] = [];
    for (const [h, host] of HOSTS.entries()) {
      for (let t = firstSampleUs, k = 0; t <= lastSampleUs; t += MINUTE_US, k++) {
        const value = 45 + h + 5 * Math.sin((2 * Math.PI * k) / 1440) + ((k * 7919 + h * 104729) % 100) / 100;
        samples.push(`sensors,host=${host} temperature_c=${value.toFixed(3)} ${t}`);
      }
    }
    for (let i = 0; i < samples.length; i += 5000) {
      await influx.client.writeLines(influx.database, samples.slice(i, i + 5000));
    }

    backend = await startTestBackend(
      {
        NOCAI_STATE_DIR: stateDir,
        NOCAI_START_LOOKBACK_MS: String(Math.ceil((nowUs - lines[0].timeUs) / 1000) + 60_000),
        NOCAI_METRIC_LOOKBACK_MS: String(Math.ceil((nowUs - firstSampleUs) / 1000) + 60_000),
        NOCAI_METRICS: 'sensors.temperature_c',
        NOCAI_METRIC_WINDOW_MS: String(6 * 3_600_000),
        NOCAI_BATCH_SIZE: '2000',
        NOCAI_WRITE_BATCH_SIZE: '500',
      },
      influx
    );
    const { call } = backend;

    // The API meanwhile: complaints from 8 clients, and verdicts on one of their tickets.
    const post = (path: string, body: unknown) => call(path, { method: 'POST', body: JSON.stringify(body) });
    const first = (await (await post('/api/complaints', { text: 'Conveyor 3 PLC keeps rebooting' })).json()) as {
      ticket: Ticket;
    };
    let next = 0;
    const acknowledged: string[] = [first.ticket.id];
    const verdicts: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < COMPLAINTS + VERDICTS; i = next++) {
          if (i < COMPLAINTS) {
            const res = await post('/api/complaints', { text: `Line ${i % 4} HMI frozen again`, site: 'plant-1' });
            if (res.status === 201) acknowledged.push(((await res.json()) as { ticket: Ticket }).ticket.id);
          } else {
            const comment = `verdict ${i}`;
            const res = await post(`/api/tickets/${first.ticket.id}/feedback`, { verdict: 'valid', comment });
            if (res.status === 200) verdicts.push(comment);
          }
        }
      })
    );
    expect(acknowledged).toHaveLength(COMPLAINTS + 1);
    expect(verdicts).toHaveLength(VERDICTS);

    // Both stages get past the data: the log stage's watermark at the last line, the metric stage's
    // lag under an hour (its watermark past the last sample, since the boundary is 2 h back or more).
    await waitFor(
      async () => (backend?.service.logStage.watermarkUs === lines[lines.length - 1].timeUs ? true : undefined),
      240_000,
      'the log stage at the last line'
    );
    const metricLag = async () => {
      const text = await (await call('/metrics', { auth: false })).text();
      return Number(/^nocai_pipeline_lag_seconds\{stage="metrics"\} (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    await waitFor(
      async () => ((await metricLag()) < 3600 ? true : undefined),
      240_000,
      'the metric stage past the data'
    );

    const deadFile = join(stateDir, 'dead-letter.jsonl');
    expect(existsSync(deadFile)).toBe(true);
    const recorded = readFileSync(deadFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeadEntry);
    // The dead letter is written before its batch commits: a batch replayed after a failed tick (an
    // InfluxDB timeout on a busy machine) records its refused points again, identical.
    const dead = [...new Map(recorded.map((e) => [e.line, e])).values()];
    for (const entry of dead) {
      expect(entry.database).toBe(outputDb);
      expect(entry.reason).toMatch(/field type conflict/);
    }
    const { client } = influx;

    // Events: the lines before the boundary refused, those after stored; each line exactly once.
    const deadEvents = dead.filter((e) => e.measurement === 'aiops_events');
    const stored = await client.query(
      outputDb,
      `SELECT hostname, message FROM aiops_events WHERE hostname != 'elsewhere'`
    );
    // Times in µs, as the client reads them and line protocol carries them.
    const storedEvents = (stored[0]?.rows ?? []).map((r) => `${String(r.hostname)}@${Number(r.time)}`);
    const deadEventKeys = deadEvents.map((e) => `${tagOf(e.line, 'hostname')}@${timeOf(e.line)}`);
    expect(deadEvents).toHaveLength(LINES_PER_SIDE);
    expect(storedEvents).toHaveLength(LINES_PER_SIDE);
    const lineKeys = lines.map((l) => `${l.hostname}@${l.timeUs}`);
    expect([...deadEventKeys, ...storedEvents].sort()).toEqual([...lineKeys].sort());

    // Anomaly scores: per PLC, the refused ones all before the boundary, the stored ones all after,
    // together one point a minute without a gap or a repeat, up to the last sample.
    const deadScores = dead.filter((e) => e.measurement === 'aiops_anomalies');
    expect(deadScores.length).toBeGreaterThan(0);
    for (const host of HOSTS) {
      const refused = deadScores.filter((e) => tagOf(e.line, 'host') === host).map((e) => timeOf(e.line));
      const series = await client.query(outputDb, `SELECT score FROM aiops_anomalies WHERE host = '${host}'`);
      const kept = (series[0]?.rows ?? []).map((r) => Number(r.time));
      expect(refused.length).toBeGreaterThan(0);
      expect(kept.length).toBeGreaterThan(0);
      expect(Math.max(...refused)).toBeLessThan(boundaryUs);
      expect(Math.min(...kept)).toBeGreaterThanOrEqual(boundaryUs);
      const all = [...refused, ...kept].sort((a, b) => a - b);
      expect(new Set(all).size).toBe(all.length);
      for (let i = 1; i < all.length; i++) expect(all[i] - all[i - 1]).toBe(MINUTE_US);
      expect(all[all.length - 1]).toBe(lastSampleUs);
      // Scored from the end of the learning day on.
      expect(all[0]).toBeGreaterThanOrEqual(firstSampleUs + 24 * HOUR_US);
    }

    // The API's records: every acknowledged complaint and verdict stored exactly once.
    const tickets = await client.query(outputDb, `SELECT ticket_id FROM aiops_tickets WHERE "source" = 'complaint'`);
    const ticketIds = (tickets[0]?.rows ?? []).map((r) => String(r.ticket_id));
    expect(new Set(ticketIds)).toEqual(new Set(acknowledged));
    // One row per complaint; the judged ticket has more (each verdict updates it).
    const others = (ids: string[]) => ids.filter((id) => id !== first.ticket.id).sort();
    expect(others(ticketIds)).toEqual(others(acknowledged));
    const feedback = await client.query(
      outputDb,
      `SELECT "comment" FROM aiops_feedback WHERE ticket_id = '${first.ticket.id}'`
    );
    expect((feedback[0]?.rows ?? []).map((r) => String(r.comment)).sort()).toEqual([...verdicts].sort());

    // Refusals are reported, and are no reason to look unready.
    const metrics = await (await call('/metrics', { auth: false })).text();
    const deadCounted = (measurement: string) =>
      Number(
        new RegExp(
          `^nocai_dead_letter_points_total\\{measurement="${measurement}",cause="field_type_conflict"\\} (\\d+)$`,
          'm'
        ).exec(metrics)?.[1] ?? 0
      );
    expect(deadCounted('aiops_events')).toBe(recorded.filter((e) => e.measurement === 'aiops_events').length);
    expect(deadCounted('aiops_anomalies')).toBe(recorded.filter((e) => e.measurement === 'aiops_anomalies').length);
    expect((await call('/readyz', { auth: false })).status).toBe(200);
  });
});
