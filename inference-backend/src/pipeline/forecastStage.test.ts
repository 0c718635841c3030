import { FORECAST_SERIES, type Inventory, type TicketHistoryRow } from '@nocai/contract';
import type { SeriesPoint } from '../domain/series';
import type { TicketOpening } from '../domain/timeseries/ticketVolume';
import { parseThresholdRules } from '../domain/timeseries/timeToThreshold';
import type { TrendSeries } from '../domain/timeseries/timeToThreshold';
import { Rng } from '../simulator/random';
import { CAUGHT_UP_LAG_MS, DEFAULT_FORECAST_STAGE_OPTIONS, ForecastStage, withPastOpenings } from './forecastStage';
import type { ForecastRunInfo } from './forecastStage';
import { MemorySink } from './memoryPorts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Wednesday 2024-03-13 10:20 UTC. */
const NOW = Date.UTC(2024, 2, 13, 10, 20);
const F = FORECAST_SERIES;


/** Three weeks of tickets: network_ops busy on weekday office hours, facilities a few a day, at two sites. */
function ticketHistory(): TicketOpening[] {
  const rng = new Rng(17);
  const tickets: TicketOpening[] = [];
  for (let t = NOW - 21 * DAY; t < NOW; t += HOUR) {
    const date = new Date(t);
    const office = date.getUTCHours() >= 8 && date.getUTCHours() < 18 && date.getUTCDay() % 6 !== 0;
    for (let k = rng.poisson(office ? 2 : 0.3); k > 0; k--)
      tickets.push({
        openedAtMs: t + rng.int(0, HOUR - 1),
        department: 'network_ops',
        site: rng.pick(['hq', 'plant']),
      });
    for (let k = rng.poisson(0.15); k > 0; k--)
      tickets.push({ openedAtMs: t + rng.int(0, HOUR - 1), department: 'facilities', site: 'plant' });
  }
  return tickets;
}

/** A disk filling up (half way through a two-hour fill at NOW), a flat one and one that stopped reporting. */
function disks(nowMs: number): TrendSeries[] {
  const [rule] = parseThresholdRules('disk.used_percent>=100');
  const startMs = NOW - HOUR;
  const fullMs = NOW + HOUR;
  const samples = (value: (t: number) => number, untilMs: number) =>
    Array.from({ length: 24 * 60 }, (_, k) => untilMs - k * MINUTE)
      .reverse()
      .map((timeMs) => ({ timeMs, value: value(timeMs), weight: 1 }));
  const filling = (t: number) => (t < startMs ? 40 : 40 + 60 * ((t - startMs) / (fullMs - startMs)) ** 2);
  return [
    { rule, host: 'db-01', instance: '/var', samples: samples(filling, nowMs) },
    { rule, host: 'db-01', instance: '/', samples: samples(() => 35, nowMs) },
    { rule, host: 'app-02', instance: '/var', samples: samples(filling, nowMs - 3 * HOUR) },
  ];
}

const inventory = {
  sites: [{ id: 'hq', name: 'HQ', kind: 'hospital', criticality: 3 }],
  devices: [{ host: 'db-01', site: 'hq', kind: 'server', dependsOn: [] }],
} as Inventory;

function setup(overrides: { completeUs?: () => number | undefined } = {}) {
  let nowMs = NOW;
  const sink = new MemorySink();
  const runs: ForecastRunInfo[] = [];
  const history = ticketHistory();
  const stage = new ForecastStage({
    tickets: { all: () => history },
    trends: { read: async (_from, _fine, toMs) => disks(toMs) },
    sink,
    clock: { nowMs: () => nowMs },
    inventory,
    ticketsCompleteUs: overrides.completeUs ?? (() => nowMs * 1000),
    options: DEFAULT_FORECAST_STAGE_OPTIONS,
    hooks: { onRun: (info) => runs.push(info) },
  });
  return {
    stage,
    sink,
    runs,
    advance: (ms: number) => (nowMs += ms),
    now: () => nowMs,
  };
}

const ticketPoints = (points: SeriesPoint[], step: string) =>
  points.filter((p) => p.tags[F.tags.target] === 'tickets' && p.tags[F.tags.step] === step);
const keyOf = (p: SeriesPoint) => `${JSON.stringify(p.tags)}@${p.timeUs}`;

describe('ForecastStage', () => {
  it('When it first runs, then every department and site gets 48 hourly and 14 daily forecasts at future step starts, bounds around the point', async () => {
    const { stage, sink } = setup();
    expect(await stage.tick()).toBeGreaterThan(0);

    const hourly = ticketPoints(sink.points, '1h');
    const daily = ticketPoints(sink.points, '1d');
    const names = (points: SeriesPoint[]) =>
      [...new Set(points.map((p) => p.tags[F.tags.department] ?? `site:${p.tags[F.tags.site]}`))].sort();
    expect(names(hourly)).toEqual(['facilities', 'network_ops', 'site:hq', 'site:plant']);
    expect(names(daily)).toEqual(names(hourly));
    expect(hourly).toHaveLength(4 * 48);
    expect(daily).toHaveLength(4 * 14);
    // The first hourly step is 11:00 (10:00 began before the run), the first daily one tomorrow.
    expect(Math.min(...hourly.map((p) => p.timeUs / 1000))).toBe(Date.UTC(2024, 2, 13, 11));
    expect(Math.max(...hourly.map((p) => p.timeUs / 1000))).toBe(Date.UTC(2024, 2, 15, 10));
    expect(Math.min(...daily.map((p) => p.timeUs / 1000))).toBe(Date.UTC(2024, 2, 14));
    for (const p of [...hourly, ...daily]) {
      const { predicted, lower, upper, level } = {
        predicted: p.fields[F.fields.predicted] as number,
        lower: p.fields[F.fields.lower] as number,
        upper: p.fields[F.fields.upper] as number,
        level: p.fields[F.fields.level],
      };
      expect(p.timeUs / 1000).toBeGreaterThan(NOW);
      expect([predicted, lower, upper].every(Number.isFinite)).toBe(true);
      expect(lower).toBeGreaterThanOrEqual(0);
      expect(lower).toBeLessThanOrEqual(predicted);
      expect(predicted).toBeLessThanOrEqual(upper);
      expect(level).toBe(0.95);
      expect(p.intFields?.[F.fields.issuedAtMs]).toBe(NOW);
    }
    // Office hours tomorrow are busier for network_ops than the night before.
    const at = (hourUtc: number) =>
      hourly.find(
        (p) => p.tags[F.tags.department] === 'network_ops' && p.timeUs / 1000 === Date.UTC(2024, 2, 14, hourUtc)
      )?.fields[F.fields.predicted] as number;
    expect(at(11)).toBeGreaterThan(3 * at(3));
  });

  it('When a disk is filling up, then its point at the run time says when it is full; the flat disk gets one without; a silent host none', async () => {
    const { stage, sink } = setup();
    await stage.tick();
    const disksWritten = sink.points.filter((p) => p.tags[F.tags.target] === 'disk.used_percent');
    expect(disksWritten.map((p) => `${p.tags[F.tags.host]} ${p.tags[F.tags.instance]}`).sort()).toEqual([
      'db-01 /',
      'db-01 /var',
    ]);
    const filling = disksWritten.find((p) => p.tags[F.tags.instance] === '/var') as SeriesPoint;
    expect(filling.timeUs).toBe(NOW * 1000);
    expect(filling.tags[F.tags.site]).toBe('hq');
    const eta = filling.fields[F.fields.etaSeconds] as number;
    expect(Math.abs(eta - 3600) / 3600).toBeLessThan(0.2);
    expect(filling.fields[F.fields.etaLowerSeconds]).toBeLessThanOrEqual(eta);
    expect(filling.fields[F.fields.etaUpperSeconds]).toBeGreaterThanOrEqual(eta);
    expect(Math.abs((filling.intFields?.[F.fields.crossesAtMs] as number) - (NOW + HOUR))).toBeLessThan(0.2 * HOUR);
    expect(filling.fields[F.fields.threshold]).toBe(100);
    const flat = disksWritten.find((p) => p.tags[F.tags.instance] === '/') as SeriesPoint;
    expect(flat.fields[F.fields.etaSeconds]).toBeUndefined();
    expect(flat.fields[F.fields.threshold]).toBe(100);
  });

  it('When it runs again after the interval, then the ticket steps it shares with the last run are overwritten, not added', async () => {
    const { stage, sink, advance, runs } = setup();
    await stage.tick();
    const first = new Set(ticketPoints(sink.points, '1h').map(keyOf));
    advance(10 * MINUTE);
    expect(await stage.tick()).toBe(0);
    advance(DEFAULT_FORECAST_STAGE_OPTIONS.intervalMs);
    sink.points = [];
    await stage.tick();
    const second = ticketPoints(sink.points, '1h').map(keyOf);
    // One hour later: 47 of the 48 steps are the same series and timestamps, one is new.
    expect(second.filter((k) => first.has(k))).toHaveLength(4 * 47);
    expect(runs.map((r) => r.reason)).toEqual(['start', 'schedule']);
  });

  it('When the log stage is catching up with a backfill, then forecasts are run again as soon as it has caught up', async () => {
    let completeUs: number | undefined;
    const { stage, advance, runs, now } = setup({ completeUs: () => completeUs });
    await stage.tick();
    completeUs = (now() - DAY) * 1000;
    advance(MINUTE);
    await stage.tick();
    completeUs = (now() - 2 * CAUGHT_UP_LAG_MS) * 1000;
    advance(MINUTE);
    await stage.tick();
    expect(runs.map((r) => r.reason)).toEqual(['start']);
    completeUs = (now() - 5_000) * 1000;
    await stage.tick();
    advance(MINUTE);
    await stage.tick();
    expect(runs.map((r) => r.reason)).toEqual(['start', 'caught_up']);
  });

  it('When a run is requested, then the next tick runs; when a run fails, then the next tick tries again', async () => {
    const { stage, sink, runs, advance } = setup();
    await stage.tick();
    stage.requestRun();
    sink.failNextFlush = true;
    await expect(stage.tick()).rejects.toThrow('InfluxDB is down');
    advance(1000);
    await stage.tick();
    expect(runs.map((r) => r.reason)).toEqual(['start', 'requested']);
  });

  it('When there are no tickets yet and no metric is watched, then nothing is written and nothing fails', async () => {
    const sink = new MemorySink();
    const stage = new ForecastStage({
      tickets: { all: () => [] },
      sink,
      clock: { nowMs: () => NOW },
      options: DEFAULT_FORECAST_STAGE_OPTIONS,
    });
    expect(await stage.tick()).toBe(0);
    expect(sink.points).toEqual([]);
  });
});

describe('withPastOpenings', () => {
  const past = (openedAt: string, department: string): TicketHistoryRow =>
    ({ opened_at: openedAt, department, site: 'plant' }) as unknown as TicketHistoryRow;

  it('When the backend holds tickets and a history file was given, then the forecast learns from the past tickets before its first one, then its own, each once', () => {
    const history = [
      past('2024-03-01T10:00:00Z', 'network_ops'),
      past('2024-03-10T09:00:00Z', 'facilities'),
      // Exported from this product: the same ticket as the backend's first one, and one after it.
      past('2024-03-12T08:00:00Z', 'it_ops'),
      past('2024-03-12T11:00:00Z', 'it_ops'),
    ];
    const own: TicketOpening[] = [
      { openedAtMs: Date.parse('2024-03-12T08:00:00Z'), department: 'it_ops', site: 'plant' },
      { openedAtMs: Date.parse('2024-03-12T11:00:00Z'), department: 'it_ops', site: 'plant' },
    ];
    const all = [...withPastOpenings(history, { all: () => own }).all()];
    expect(all.map((t) => [new Date(t.openedAtMs).toISOString(), t.department])).toEqual([
      ['2024-03-01T10:00:00.000Z', 'network_ops'],
      ['2024-03-10T09:00:00.000Z', 'facilities'],
      ['2024-03-12T08:00:00.000Z', 'it_ops'],
      ['2024-03-12T11:00:00.000Z', 'it_ops'],
    ]);
    // A backend with no tickets yet forecasts from the history alone.
    expect([...withPastOpenings(history, { all: () => [] }).all()]).toHaveLength(4);
  });
});
