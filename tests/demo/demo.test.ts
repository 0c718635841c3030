import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket, TicketsPage } from '@nocai/contract';
import { InfluxClient } from '../../inference-backend/src/adapters/influx';
import { startLocalInfluxd } from '../../inference-backend/src/adapters/influx/localServer';
import { bannerValue, killAll, processesOf, signalGroup, startDemo, type Demo } from '../support/demoProcess';
import { waitFor } from '../support/wait';

async function whenServing(
  demo: Demo,
  timeoutMs: number
): Promise<{ backend: string; token: string; influxUrl: string }> {
  await waitFor(
    async () => {
      if (demo.child.exitCode !== null)
        throw new Error(`the demo exited with ${demo.child.exitCode}: ${demo.output().slice(-2000)}`);
      return demo.output().includes('NOC AI demo is serving') ? true : undefined;
    },
    timeoutMs,
    'the demo serving'
  );
  const output = demo.output();
  return {
    backend: bannerValue(output, /backend\s+(http:\/\/localhost:\d+)/),
    token: bannerValue(output, /API token\s+([0-9a-f]+)/),
    influxUrl: bannerValue(output, /InfluxDB\s+(http:\/\/127\.0\.0\.1:\d+)/),
  };
}

describe('nocai demo', () => {
  let dir = '';
  let demo: Demo | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-demo-'));
  });

  afterEach(async () => {
    if (demo && demo.child.exitCode === null && demo.child.signalCode === null) {
      signalGroup(demo, 'SIGKILL');
      await demo.exited;
    }
    killAll(processesOf(dir));
    rmSync(dir, { recursive: true, force: true });
  });

  it('When started, then it serves a triaged week with a P1 power root cause, plays a live incident without a future point, and Ctrl-C loses no line', async () => {
    demo = startDemo(dir, ['--speed', '20']);
    const { backend, token, influxUrl } = await whenServing(demo, 480_000);
    const get = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${backend}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      expect([path, response.status]).toEqual([path, 200]);
      return (await response.json()) as T;
    };
    expect((await fetch(`${backend}/readyz`)).status).toBe(200);

    // At the banner: the backfilled week is triaged, as the triage panel would show it.
    const atBanner = (await get<TicketsPage>('/api/tickets?limit=1000')).tickets;
    expect(atBanner.length).toBeGreaterThanOrEqual(20);
    expect(new Set(atBanner.map((t) => t.eventClass)).size).toBeGreaterThanOrEqual(5);
    const powerRoot = (t: Ticket) => t.eventClass === 'power' && t.rootCause?.host.includes('-ps-') === true;
    expect(atBanner.filter((t) => t.priority === 'P1' && powerRoot(t)).length).toBeGreaterThanOrEqual(1);
    const bannerMs = Date.now();
    const falseAlarmsSince = async () =>
      (await get<{ events: unknown[] }>(`/api/events?decision=false_alarm&limit=10000&from=${bannerMs - 3_600_000}`))
        .events.length;
    const falseAlarmsAtBanner = await falseAlarmsSince();

    // Live: the opening's power failure becomes a new ticket naming the power switch, and its
    // flicker a false alarm; meanwhile the simulator never writes a point dated after now.
    const influx = new InfluxClient({ url: influxUrl });
    const futurePoints = async () => {
      const series = await influx.query('telegraf', 'SELECT count(*) FROM /.*/ WHERE time > now()');
      const counts = series.flatMap((s) =>
        Object.entries(s.rows[0] ?? {}).filter(([column]) => column.startsWith('count'))
      );
      return counts.reduce((sum, [, n]) => sum + Number(n), 0);
    };
    const known = new Set(atBanner.map((t) => t.id));
    const liveTicket = await waitFor(
      async () => {
        expect(await futurePoints()).toBe(0);
        const tickets = (await get<TicketsPage>('/api/tickets?limit=1000')).tickets;
        return tickets.find((t) => !known.has(t.id) && powerRoot(t));
      },
      300_000,
      'a new power ticket with its root cause'
    );
    expect(liveTicket.rootCause?.dependants.length).toBeGreaterThan(0);
    // The metric half is there too: anomaly scores, forecasts and maintenance risk, for Grafana.
    for (const [measurement, field] of [
      ['aiops_anomalies', 'score'],
      ['aiops_forecasts', 'predicted'],
      ['aiops_maintenance', 'failure_probability'],
    ] as const) {
      await waitFor(
        async () => {
          const series = await influx.query('aiops', `SELECT count(${field}) FROM ${measurement}`);
          return Number(series[0]?.rows[0]?.count ?? 0) > 0 ? true : undefined;
        },
        300_000,
        `${measurement} points`
      );
    }
    await waitFor(
      async () => ((await falseAlarmsSince()) > falseAlarmsAtBanner ? true : undefined),
      300_000,
      'a live false alarm'
    );
    expect(await futurePoints()).toBe(0);

    // Ctrl-C reaches the whole process group: the demo still stops influxd last, after the final batch.
    signalGroup(demo, 'SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/stopped; nothing is left running/);
    await expect(fetch(`${backend}/healthz`)).rejects.toThrow();
    await waitFor(async () => (processesOf(dir).length === 0 ? true : undefined), 30_000, 'no process left');

    // Every line the simulator wrote (its ground truth has one record per line) is stored, and has its event.
    const truthLines = readFileSync(join(dir, 'sim', 'truth', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n').length;
    const reopened = await startLocalInfluxd({ dataDir: join(dir, 'influxdb'), keepData: true });
    try {
      const client = new InfluxClient({ url: reopened.url });
      const countOf = async (db: string, measurement: string) =>
        Number((await client.query(db, `SELECT count(message) FROM ${measurement}`))[0]?.rows[0]?.count ?? 0);
      const lines = await countOf('telegraf', 'syslog');
      const events = await countOf('aiops', 'aiops_events');
      expect({ lines, events }).toEqual({ lines: truthLines, events: truthLines });
    } finally {
      await reopened.stop();
    }
  }, 900_000);

  it('When InfluxDB dies under it, then a stop signal still stops everything and the exit code says it failed', async () => {
    demo = startDemo(dir, ['--days', '1', '--triage-days', '0']);
    await whenServing(demo, 300_000);
    killAll(processesOf(dir));
    // The live simulator's next write may fail first and end the demo on its own: either way it must fail.
    try {
      signalGroup(demo, 'SIGTERM');
    } catch {
      // already exiting
    }
    expect(await demo.exited).toBe(1);
    expect(demo.output()).toMatch(/failed while stopping/);
    await waitFor(async () => (processesOf(dir).length === 0 ? true : undefined), 30_000, 'no process left');
  }, 400_000);

  it('When the demo itself is killed outright, then its influxd does not outlive it', async () => {
    demo = startDemo(dir, ['--days', '1', '--triage-days', '0']);
    await whenServing(demo, 300_000);
    expect(processesOf(dir).length).toBeGreaterThan(0);
    signalGroup(demo, 'SIGKILL');
    await demo.exited;
    await waitFor(async () => (processesOf(dir).length === 0 ? true : undefined), 30_000, 'influxd gone with the demo');
  }, 400_000);
});
