import { FORECAST_SERIES, type Inventory, type TicketHistoryRow } from '@nocai/contract';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import type { HolidayCalendar } from '../domain/timeseries/holidays';
import { countTickets, forecastVolume, STEP_MS } from '../domain/timeseries/ticketVolume';
import type { TicketOpening, VolumeStep } from '../domain/timeseries/ticketVolume';
import { metricName } from '../domain/timeseries/metricSpec';
import { timeToThreshold } from '../domain/timeseries/timeToThreshold';
import type { TrendSeries } from '../domain/timeseries/timeToThreshold';

/** Every ticket the backend holds (the ticket index), of which the forecast reads the openings. */
export interface TicketHistory {
  all(): Iterable<TicketOpening>;
}

/** The recent samples of the watched metrics: bucket means by 15 min before fineFromMs, by minute after. */
export interface TrendSeriesSource {
  read(fromMs: number, fineFromMs: number, toMs: number): Promise<TrendSeries[]>;
}

export interface ForecastStageOptions {
  /** Time between runs. */
  intervalMs: number;
  /** Coverage of the prediction intervals. */
  level: number;
  /** Steps forecast ahead: 48 hours, 14 days. */
  hourlyHorizon: number;
  dailyHorizon: number;
  /**
   * Tickets opened this long before a run make the history. The ticket index holds a year, so the
   * yearly terms of the volume model (two years needed) wait until it keeps more.
   */
  ticketLookbackMs: number;
  /** Fewer whole steps since the first ticket, and that step size is not forecast yet. */
  minHistorySteps: Record<VolumeStep, number>;
  /** Metric history read for a time to threshold, and the recent part of it read by minute. */
  trendLookbackMs: number;
  trendFineMs: number;
  /** A series whose newest sample is older than this gets no time to threshold (the host went quiet). */
  staleAfterMs: number;
  /** Crossings further ahead are not forecast. */
  thresholdHorizonMs: number;
}

export const DEFAULT_FORECAST_STAGE_OPTIONS: ForecastStageOptions = {
  intervalMs: 3_600_000,
  level: 0.95,
  hourlyHorizon: 48,
  dailyHorizon: 14,
  ticketLookbackMs: 365 * 86_400_000,
  // A day shows every hour once; three days are rough for a daily forecast, but the penalty keeps it near the mean.
  minHistorySteps: { '1h': 24, '1d': 3 },
  trendLookbackMs: 7 * 86_400_000,
  trendFineMs: 6 * 3_600_000,
  staleAfterMs: 3_600_000,
  thresholdHorizonMs: 14 * 86_400_000,
};

/** The log stage counts as caught up (tickets complete up to about now) within this lag. */
export const CAUGHT_UP_LAG_MS = 120_000;

/** `model_version` of each kind of forecast point: the method's name and revision. */
export const TICKET_VOLUME_MODEL = 'poisson-ridge-1';
export const TIME_TO_THRESHOLD_MODEL = 'trend-1';

export type RunReason = 'start' | 'schedule' | 'requested' | 'caught_up';

export interface ForecastRunInfo {
  reason: RunReason;
  tickets: number;
  /** Ticket-volume series forecast (departments and sites, per step size). */
  volumeSeries: number;
  /** Watched metric series, and those with a crossing (or already past the threshold). */
  thresholdSeries: number;
  crossings: number;
  points: number;
  seconds: number;
}

export interface ForecastStageHooks {
  onRun?(info: ForecastRunInfo): void;
}

const F = FORECAST_SERIES;

/**
 * Writes aiops_forecasts: ticket volume per department and per site (hourly for 48 h, daily for
 * 14 days, at the future timestamps of the steps) and the time until each watched metric reaches
 * its threshold (a point per series at the run's time). See FORECAST_SERIES for the shapes.
 *
 * A run happens on the first tick, every `intervalMs`, when `requestRun()` asks for one, and when
 * the tickets have caught up after a backfill (the log stage was more than CAUGHT_UP_LAG_MS behind
 * the clock at some tick since the last run, and no longer is). Re-running is idempotent: the
 * ticket steps land on the same tags and timestamps and overwrite the previous run's. A failed run
 * (InfluxDB down) throws; the scheduler retries it with backoff, as nothing was marked done.
 */
export class ForecastStage {
  private lastRunMs: number | undefined;
  private requested = false;
  private readonly siteOf: Map<string, string>;
  /** The tickets were incomplete (a backfill in progress) at a tick since the last run. */
  private sawBacklog = false;

  constructor(
    private readonly deps: {
      tickets: TicketHistory;
      /** Absent: no metric is watched. */
      trends?: TrendSeriesSource;
      sink: PointSink;
      clock: Clock;
      /** Absent: no holiday effect. */
      holidays?: HolidayCalendar;
      inventory?: Inventory;
      /** Time (µs) up to which tickets are complete: the log stage's watermark; undefined before its first batch. */
      ticketsCompleteUs?: () => number | undefined;
      options: ForecastStageOptions;
      hooks?: ForecastStageHooks;
    }
  ) {
    this.siteOf = new Map((deps.inventory?.devices ?? []).map((d) => [d.host, d.site]));
  }

  /** Asks for a run at the next tick (after a backfill was written, say). */
  requestRun(): void {
    this.requested = true;
  }

  /** Runs when one is due (see the class comment); returns the points written, 0 when none was due. */
  async tick(): Promise<number> {
    const nowMs = this.deps.clock.nowMs();
    const behind = this.ticketsBehind(nowMs);
    if (behind) this.sawBacklog = true;
    const reason: RunReason | undefined =
      this.lastRunMs === undefined
        ? 'start'
        : this.requested
          ? 'requested'
          : this.sawBacklog && !behind
            ? 'caught_up'
            : nowMs - this.lastRunMs >= this.deps.options.intervalMs
              ? 'schedule'
              : undefined;
    if (!reason) return 0;
    const info = await this.run(nowMs, reason);
    this.lastRunMs = nowMs;
    this.requested = false;
    // A run while the tickets were still incomplete is followed by another once they are.
    this.sawBacklog = behind;
    this.deps.hooks?.onRun?.(info);
    return info.points;
  }

  private ticketsBehind(nowMs: number): boolean {
    if (!this.deps.ticketsCompleteUs) return false;
    const completeUs = this.deps.ticketsCompleteUs();
    return completeUs === undefined || nowMs - completeUs / 1000 > CAUGHT_UP_LAG_MS;
  }

  private async run(nowMs: number, reason: RunReason): Promise<ForecastRunInfo> {
    const started = process.hrtime.bigint();
    const { options } = this.deps;
    const issuedUs = Math.trunc(nowMs * 1000);
    const openings: TicketOpening[] = [];
    for (const t of this.deps.tickets.all()) {
      if (t.openedAtMs <= nowMs && t.openedAtMs > nowMs - options.ticketLookbackMs) openings.push(t);
    }
    const points: SeriesPoint[] = [];
    let volumeSeries = 0;
    for (const step of ['1h', '1d'] as const) {
      const forecast = await this.volumePoints(openings, step, nowMs);
      points.push(...forecast.points);
      volumeSeries += forecast.series;
    }
    let thresholdSeries = 0;
    let crossings = 0;
    if (this.deps.trends) {
      const series = await this.deps.trends.read(nowMs - options.trendLookbackMs, nowMs - options.trendFineMs, nowMs);
      for (const s of series) {
        const point = this.thresholdPoint(s, nowMs, issuedUs);
        if (!point) continue;
        thresholdSeries++;
        if (point.fields[F.fields.etaSeconds] !== undefined) crossings++;
        points.push(point);
      }
    }
    await this.deps.sink.write(points);
    await this.deps.sink.flush();
    return {
      reason,
      tickets: openings.length,
      volumeSeries,
      thresholdSeries,
      crossings,
      points: points.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  }

  /** The forecast steps of every department and site at one step size, starting after now. */
  private async volumePoints(
    openings: readonly TicketOpening[],
    step: VolumeStep,
    nowMs: number
  ): Promise<{ points: SeriesPoint[]; series: number }> {
    const { options } = this.deps;
    const stepMs = STEP_MS[step];
    const horizon = step === '1h' ? options.hourlyHorizon : options.dailyHorizon;
    let firstMs = Number.POSITIVE_INFINITY;
    for (const t of openings) firstMs = Math.min(firstMs, t.openedAtMs);
    if (!Number.isFinite(firstMs)) return { points: [], series: 0 };
    const counts = countTickets(openings, step, firstMs, nowMs);
    const steps = counts.series[0]?.counts.length ?? 0;
    if (steps < options.minHistorySteps[step]) return { points: [], series: 0 };
    const points: SeriesPoint[] = [];
    for (const series of counts.series) {
      // The step in progress is forecast too (it is not in the history) but not written: it began in the past.
      const f = forecastVolume(series.counts, counts.startMs, {
        step,
        horizon: horizon + 1,
        level: options.level,
        holidays: this.deps.holidays,
      });
      for (let h = 1; h <= horizon; h++) {
        const values = [f.point[h], f.lower[h], f.upper[h]];
        if (!values.every(Number.isFinite)) continue;
        points.push({
          measurement: F.measurement,
          tags: {
            [F.tags.target]: 'tickets',
            [F.tags.step]: step,
            [series.dimension === 'department' ? F.tags.department : F.tags.site]: series.name,
          },
          fields: {
            [F.fields.predicted]: round(f.point[h], 4),
            [F.fields.lower]: f.lower[h],
            [F.fields.upper]: f.upper[h],
            [F.fields.level]: options.level,
            [F.fields.modelVersion]: TICKET_VOLUME_MODEL,
          },
          intFields: { [F.fields.issuedAtMs]: Math.trunc(nowMs) },
          timeUs: (counts.startMs + (steps + h) * stepMs) * 1000,
        });
      }
      // Each series is a few hundred milliseconds of arithmetic: let HTTP requests in between.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { points, series: counts.series.length };
  }

  /** One point at the run's time for a watched series; undefined when its newest sample is stale. */
  private thresholdPoint(series: TrendSeries, nowMs: number, issuedUs: number): SeriesPoint | undefined {
    const { options } = this.deps;
    const newest = series.samples.reduce((latest, s) => Math.max(latest, s.timeMs), Number.NEGATIVE_INFINITY);
    if (!(newest >= nowMs - options.staleAfterMs)) return undefined;
    const crossing = timeToThreshold(series.samples, series.rule, {
      level: options.level,
      horizonMs: options.thresholdHorizonMs,
    });
    const site = this.siteOf.get(series.host);
    const point: SeriesPoint = {
      measurement: F.measurement,
      tags: {
        [F.tags.target]: metricName(series.rule.spec),
        [F.tags.host]: series.host,
        [F.tags.instance]: series.instance,
        ...(site ? { [F.tags.site]: site } : {}),
      },
      fields: {
        [F.fields.threshold]: series.rule.value,
        [F.fields.level]: options.level,
        [F.fields.modelVersion]: TIME_TO_THRESHOLD_MODEL,
      },
      intFields: { [F.fields.issuedAtMs]: Math.trunc(nowMs) },
      timeUs: issuedUs,
    };
    const seconds = (ms: number) => Math.max(0, Math.round((ms - nowMs) / 1000));
    if (crossing.kind === 'reached') {
      point.fields[F.fields.etaSeconds] = 0;
      point.fields[F.fields.etaLowerSeconds] = 0;
      point.fields[F.fields.etaUpperSeconds] = 0;
      (point.intFields as Record<string, number>)[F.fields.crossesAtMs] = Math.trunc(crossing.atMs);
    } else if (crossing.kind === 'crossing') {
      point.fields[F.fields.etaSeconds] = seconds(crossing.atMs);
      point.fields[F.fields.etaLowerSeconds] = seconds(crossing.lowerMs);
      point.fields[F.fields.etaUpperSeconds] = seconds(crossing.upperMs);
      (point.intFields as Record<string, number>)[F.fields.crossesAtMs] = Math.trunc(crossing.atMs);
    }
    return point;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The tickets a volume forecast learns from: the past tickets of NOCAI_TICKET_HISTORY (a year of
 * them gives the forecast its weekly rhythm from the first run), then the backend's own. Past
 * tickets opened after the first one the backend holds are left out: a history exported from this
 * product would otherwise count them twice.
 */
export function withPastOpenings(history: readonly TicketHistoryRow[], own: TicketHistory): TicketHistory {
  const past: TicketOpening[] = history
    .map((row) => ({ openedAtMs: Date.parse(row.opened_at), department: row.department, site: row.site }))
    .filter((t) => Number.isFinite(t.openedAtMs));
  return {
    *all(): Iterable<TicketOpening> {
      let firstOwnMs = Number.POSITIVE_INFINITY;
      for (const t of own.all()) firstOwnMs = Math.min(firstOwnMs, t.openedAtMs);
      for (const t of past) if (t.openedAtMs < firstOwnMs) yield t;
      yield* own.all();
    },
  };
}
