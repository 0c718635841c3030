import type { Department, Ticket } from '@nocai/contract';
import { ticketPoint } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { toLineProtocol } from '../../inference-backend/src/adapters/influx/lineProtocol';
import { generateInventory } from '../../inference-backend/src/simulator';
import { Rng } from '../../inference-backend/src/simulator/random';
import { minuteAgo, runScenario, type ScenarioRun } from '../support/scenario';
import { waitFor } from '../support/wait';
import { readText } from '../grafana/repo';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DEPARTMENTS: Department[] = ['network_ops', 'facilities', 'it_ops'];

/**
 * Three weeks of resolved tickets before the scenario, as a backend restarted over an existing
 * aiops_tickets finds them: network_ops busy in office hours, facilities and it_ops a few a day.
 */
function pastTickets(sites: readonly string[], untilMs: number): Ticket[] {
  const rng = new Rng(99);
  const tickets: Ticket[] = [];
  const start = Math.floor((untilMs - 21 * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
  for (let t = start; t < untilMs - HOUR_MS; t += HOUR_MS) {
    const date = new Date(t);
    const office = date.getUTCHours() >= 8 && date.getUTCHours() < 18 && date.getUTCDay() % 6 !== 0;
    const rates: Record<string, number> = {
      network_ops: office ? 1.5 : 0.2,
      facilities: 0.1,
      it_ops: office ? 0.4 : 0.05,
    };
    for (const department of DEPARTMENTS) {
      for (let k = rng.poisson(rates[department]); k > 0; k--) {
        const openedAtMs = t + rng.int(0, HOUR_MS - 1);
        tickets.push({
          id: `HIST-${tickets.length + 1}`,
          openedAtMs,
          updatedAtMs: openedAtMs + 30 * MINUTE_MS,
          resolvedAtMs: openedAtMs + 30 * MINUTE_MS,
          status: 'resolved',
          source: 'logs',
          title: `past ${department} ticket`,
          eventClass: 'network',
          department,
          priority: 'P3',
          confidence: 0.9,
          needsReview: false,
          site: rng.pick(sites),
          siteKind: 'hospital',
          host: 'decommissioned-host',
          deviceKind: 'server',
          mttrP50Seconds: 1800,
          mttrP90Seconds: 7200,
          relatedAlertCount: 1,
          explanation: [],
          similarTickets: [],
          modelVersion: 'history',
        });
      }
    }
  }
  return tickets;
}

/**
 * The forecast stage against a real influxd: a server's /var fills up in the simulator's
 * telemetry (written as Telegraf would) and the backend, restarted over three weeks of tickets,
 * writes the time until full and the ticket volume ahead to aiops_forecasts.
 */
describe('forecast stage through the real pipeline (simulator → influxd → backend → aiops_forecasts)', () => {
  let run: ScenarioRun | undefined;
  afterAll(async () => {
    await run?.backend.stop();
  });

  it('When a disk is filling up, then aiops_forecasts says when it will be full (within 20% of the truth), and ticket volume is forecast per department and site at future hours and days', async () => {
    const inventory = generateInventory({ seed: 42, sites: 4 });
    const server = inventory.devices.find((d) => d.kind === 'server')?.host ?? '';
    const fillMinutes = 120;
    // Half way through the fill when the data ends (now): the truth is an hour ahead.
    const atUs = minuteAgo(60);
    const fullMs = atUs / 1000 + fillMinutes * MINUTE_MS;
    const sites = inventory.sites.map((s) => s.id);
    const history = pastTickets(sites, atUs / 1000 - 4 * HOUR_MS);
    run = await runScenario(
      { kind: 'disk_full', host: server, atUs, durationMinutes: fillMinutes },
      { beforeMinutes: 240, afterMinutes: 60 },
      { NOCAI_METRICS: 'none' },
      async ({ client, outputDb }) => {
        await client.createDatabase(outputDb);
        await client.writeLines(
          outputDb,
          history.map((t) => toLineProtocol(ticketPoint(t, t.openedAtMs * 1000)))
        );
      }
    );
    const { client } = run.backend.influx;
    const db = run.backend.outputDb;

    // The first run at start, and another once the log stage has caught up with the backfill.
    // Every forecast point carries its issue time: a newest row without one (read once in CI, on a
    // loaded machine) is printed and read again rather than taken for the forecast.
    const disk = await waitFor(
      async () => {
        const rows =
          (
            await client.query(
              db,
              `SELECT "eta_s", "eta_lower_s", "eta_upper_s", "crosses_at_ms", "issued_at_ms", "threshold" FROM "aiops_forecasts" ` +
                `WHERE "target" = 'disk.used_percent' AND "host" = '${server}' AND "instance" = '/var' ORDER BY time DESC`
            )
          )[0]?.rows ?? [];
        if (rows.length > 0 && rows[0].issued_at_ms == null)
          process.stdout.write(`newest forecast row without its issue time: ${JSON.stringify(rows)}\n`);
        return rows.length >= 2 && rows[0].issued_at_ms != null ? rows : undefined;
      },
      180_000,
      'two time-until-full forecasts for the filling disk, the newest with its issue time'
    );
    const latest = disk[0];
    const issuedMs = Number(latest.issued_at_ms);
    const crossesMs = Number(latest.crosses_at_ms);
    const error = Math.abs(crossesMs - fullMs) / (fullMs - issuedMs);
    process.stdout.write(
      `time until full: forecast ${((crossesMs - issuedMs) / MINUTE_MS).toFixed(1)} min, ` +
        `truth ${((fullMs - issuedMs) / MINUTE_MS).toFixed(1)} min, error ${(100 * error).toFixed(1)}%\n`
    );
    expect(error).toBeLessThan(0.2);
    expect(Number(latest.threshold)).toBe(100);
    expect(Number(latest.eta_s)).toBeCloseTo((crossesMs - issuedMs) / 1000, -1);
    expect(Number(latest.eta_lower_s)).toBeLessThanOrEqual(Number(latest.eta_s));
    expect(Number(latest.eta_upper_s)).toBeGreaterThanOrEqual(Number(latest.eta_s));
    // The root disk of the same server does not fill: its point carries no crossing.
    const root = await client.query(
      db,
      `SELECT "eta_s", "threshold" FROM "aiops_forecasts" WHERE "target" = 'disk.used_percent' AND "host" = '${server}' AND "instance" = '/'`
    );
    expect(root[0]?.rows.length ?? 0).toBeGreaterThan(0);
    expect(root[0].rows.every((r) => r.eta_s === null)).toBe(true);

    const volume = async (step: string, dimension: 'department' | 'site') => {
      const series = await client.query(
        db,
        `SELECT "predicted", "lower", "upper", "level" FROM "aiops_forecasts" WHERE "target" = 'tickets' ` +
          `AND "step" = '${step}' AND "${dimension}" != '' AND time > now() GROUP BY "${dimension}"`
      );
      return new Map(series.map((s) => [s.tags[dimension], s.rows]));
    };
    const hourly = await volume('1h', 'department');
    const daily = await volume('1d', 'department');
    const bySite = await volume('1h', 'site');
    expect([...hourly.keys()]).toEqual(expect.arrayContaining(DEPARTMENTS));
    expect([...daily.keys()]).toEqual(expect.arrayContaining(DEPARTMENTS));
    expect([...bySite.keys()]).toEqual(expect.arrayContaining(sites));
    for (const rows of [...hourly.values(), ...daily.values(), ...bySite.values()]) {
      for (const row of rows) {
        const [predicted, lower, upper] = [row.predicted, row.lower, row.upper].map(Number);
        expect(lower).toBeGreaterThanOrEqual(0);
        expect(lower).toBeLessThanOrEqual(predicted);
        expect(predicted).toBeLessThanOrEqual(upper);
        expect(Number(row.level)).toBe(0.95);
      }
    }
    // 48 hours ahead (47 once the hour of the run has turned), 14 days ahead.
    for (const department of DEPARTMENTS) {
      expect(hourly.get(department)?.length).toBeGreaterThanOrEqual(47);
      expect(daily.get(department)?.length).toBeGreaterThanOrEqual(13);
    }
    // network_ops gets most tickets in the history: it is forecast the most for the next day.
    const nextDay = (department: string) =>
      (hourly.get(department) ?? []).slice(0, 24).reduce((sum, row) => sum + Number(row.predicted), 0);
    expect(nextDay('network_ops')).toBeGreaterThan(nextDay('facilities'));

    // The Capacity forecasts dashboard's queries, as Grafana sends them with "All" selected.
    const dashboard = JSON.parse(readText('dashboards', 'capacity-forecasts.json')) as {
      panels: Array<{ title: string; targets?: Array<{ query?: string }> }>;
    };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const query = target.query ?? '';
        if (!query.includes('"aiops_forecasts"')) continue;
        const asSent = query
          .replace(/\$timeFilter/g, 'time > now() - 1d AND time < now() + 15d')
          .replace(/\$__interval/g, '1h')
          .replace(/\$(site|department)/g, '.*');
        const series = await client.query(db, asSent);
        expect([panel.title, series.length > 0]).toEqual([panel.title, true]);
        // Department panels never mix in the per-site series, nor site panels the per-department ones.
        for (const s of series) {
          for (const tag of ['department', 'site'] as const) {
            if (new RegExp(`GROUP BY[^)]*"${tag}"`).test(query)) expect(s.tags[tag]).not.toBe('');
          }
        }
        if (query.includes('"eta_s"'))
          expect(series.some((s) => s.tags.host === server && s.tags.instance === '/var')).toBe(true);
      }
    }
  }, 600_000);
});
