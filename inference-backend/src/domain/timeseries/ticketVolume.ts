/**
 * Ticket volume: how many tickets each department and each site will get per hour and per day.
 *
 * Counts per step are small (a department may get one ticket in five hours) and public holidays
 * matter, so the series are not forecast by the continuous-value forecaster of forecast.ts: it has
 * no place for a holiday, its bounds are fractional and symmetric around the point, and with the
 * week of history of a fresh install it can only repeat the last day (its MAE is 16% above this
 * model's there, and level with it on six weeks: ticketVolume.test.ts). Instead:
 *
 * - Model: Poisson regression of the count per step on the calendar, log E[y] = intercept +
 *   day of week + (hourly) hour of day + day type × hour of day (weekday, Saturday, Sunday have
 *   their own daily shape) + a public-holiday flag + (with two years of history or more) three
 *   yearly harmonics. All effects but the intercept carry a ridge penalty, so a calendar cell
 *   seen twice is pulled towards the average instead of being taken at face value. All times are
 *   UTC, like Grafana's `GROUP BY time(1d)`.
 * - Holidays are an explicit regressor, not "treated as Sundays": the flag's effect is learnt from
 *   the history, so it is as large as the holidays in the history show (a hospital's holidays are
 *   busy, a factory's quiet) and nil until the history holds one. The holiday country is a
 *   setting; without one there is no flag.
 * - Yearly seasonality needs two years: with one, a season cannot be told from a trend, so shorter
 *   histories have no yearly terms and a recency weighting follows slow changes instead.
 * - Chosen by rolling-origin validation on the history alone: the penalty and the recency
 *   half-life with the lowest Poisson deviance over the last origins, each forecasting one
 *   horizon from the steps before it.
 * - Intervals: quantiles of a negative binomial around the forecast mean, its over-dispersion
 *   estimated from the same held-out errors (so they carry the model's own error as well as
 *   Poisson noise); bounds are whole tickets and contain the mean.
 */
import { CountDesign, countInterval, fitPoissonRidge, poissonDeviance, predictMean } from './countModel';
import type { SparseRow } from './countModel';
import type { HolidayCalendar } from './holidays';

const { floor, max, min, PI, sin, cos } = Math;

export type VolumeStep = '1h' | '1d';
export const STEP_MS: Record<VolumeStep, number> = { '1h': 3_600_000, '1d': 86_400_000 };
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const YEAR_MS = 365.2425 * DAY_MS;

/** What a forecast needs of a ticket. */
export interface TicketOpening {
  openedAtMs: number;
  department: string;
  site: string;
}

export type VolumeDimension = 'department' | 'site';

export interface VolumeSeries {
  dimension: VolumeDimension;
  /** The department or site. */
  name: string;
  /** Tickets opened per step, from `startMs` on. */
  counts: number[];
}

export interface TicketCounts {
  step: VolumeStep;
  /** Start of the first step (epoch ms, a multiple of the step). */
  startMs: number;
  series: VolumeSeries[];
}

/**
 * Tickets opened per step, per department and per site, zero-filled, over the whole steps of
 * [fromMs, toMs) (fromMs rounded down and toMs rounded down to the step: the step in progress is
 * left out). Series are sorted by dimension and name; departments and sites without a ticket in
 * the range have none.
 */
export function countTickets(
  tickets: Iterable<TicketOpening>,
  step: VolumeStep,
  fromMs: number,
  toMs: number
): TicketCounts {
  const stepMs = STEP_MS[step];
  const startMs = floor(fromMs / stepMs) * stepMs;
  const steps = max(0, floor(toMs / stepMs) - startMs / stepMs);
  const byKey = new Map<string, VolumeSeries>();
  const add = (dimension: VolumeDimension, name: string, at: number) => {
    const key = `${dimension}\u0000${name}`;
    let series = byKey.get(key);
    if (!series) {
      series = { dimension, name, counts: new Array<number>(steps).fill(0) };
      byKey.set(key, series);
    }
    series.counts[at]++;
  };
  for (const ticket of tickets) {
    const at = floor((ticket.openedAtMs - startMs) / stepMs);
    if (!(at >= 0 && at < steps)) continue;
    if (ticket.department) add('department', ticket.department, at);
    if (ticket.site) add('site', ticket.site, at);
  }
  const series = [...byKey.values()].sort((a, b) =>
    a.dimension !== b.dimension ? (a.dimension < b.dimension ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
  return { step, startMs, series };
}

export interface VolumeForecastOptions {
  step: VolumeStep;
  /** Steps forecast after the history. */
  horizon: number;
  /** Interval coverage in (0, 1). */
  level: number;
  /** Public holidays; absent: no holiday effect. */
  holidays?: HolidayCalendar;
}

export interface VolumeForecast {
  /** Expected tickets per step. */
  point: number[];
  /** Whole-ticket bounds of the `level` interval, lower ≤ point ≤ upper. */
  lower: number[];
  upper: number[];
  /** The model and what validation chose, for logs. */
  method: string;
}

/** Ridge penalties tried, in units of observations' worth of evidence; fitted from the largest down (warm starts). */
export const PENALTIES = [100, 30, 10, 3, 1, 0.3, 0.1];
/** Recency half-lives tried (ms); Infinity weighs the whole history alike. */
export const HALF_LIVES_MS = [Number.POSITIVE_INFINITY, 4 * WEEK_MS, WEEK_MS];
/** History needed for yearly harmonics. */
export const YEARLY_MIN_HISTORY_MS = 2 * 365 * DAY_MS;
/** Validation origins at most, one horizon apart. */
const MAX_ORIGINS = 3;
/** History a validation origin must leave before it: a week shows every weekday once. */
const MIN_TRAINING_MS = WEEK_MS;
/** The penalty and half-life used when the history is too short to validate any. */
const DEFAULT_PENALTY = 10;
const YEARLY_HARMONICS = 3;

/**
 * Forecasts the `horizon` steps after `counts` (the first count is the step starting at
 * `startMs`). Throws a RangeError for options or counts it cannot use.
 */
export function forecastVolume(
  counts: ArrayLike<number>,
  startMs: number,
  options: VolumeForecastOptions
): VolumeForecast {
  const { step, horizon, level } = options;
  const stepMs = STEP_MS[step];
  if (!stepMs) throw new RangeError(`the step must be 1h or 1d, got ${String(step)}`);
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new RangeError(`the horizon must be a positive integer, got ${horizon}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`the interval level must lie between 0 and 1, got ${level}`);
  if (startMs % stepMs !== 0) throw new RangeError(`the history must start on a step boundary, got ${startMs}`);
  const n = counts.length;
  if (n < 1) throw new RangeError('a forecast needs at least one step of history');
  for (let t = 0; t < n; t++) {
    if (!(Number.isInteger(counts[t]) && counts[t] >= 0)) throw new RangeError(`count ${t} is not a whole number ≥ 0`);
  }

  const calendar = new CalendarFeatures(
    step,
    startMs,
    n + horizon,
    options.holidays,
    n * stepMs >= YEARLY_MIN_HISTORY_MS
  );
  const halfLives = HALF_LIVES_MS.map((ms) => ms / stepMs);
  const origins: number[] = [];
  for (let k = MAX_ORIGINS; k >= 1; k--) {
    const origin = n - k * horizon;
    if (origin * stepMs >= MIN_TRAINING_MS) origins.push(origin);
  }

  let chosen = { penalty: DEFAULT_PENALTY, halfLife: Number.POSITIVE_INFINITY, deviance: Number.POSITIVE_INFINITY };
  // Held-out (count, mean) pairs of every candidate, to estimate the chosen one's dispersion.
  let heldOut: Array<[number, number]> = [];
  if (origins.length > 0) {
    const scores = new Map<string, { deviance: number; pairs: Array<[number, number]> }>();
    for (const halfLife of halfLives) {
      for (const origin of origins) {
        const design = designOf(calendar, counts, origin, halfLife);
        let warm: Float64Array | undefined;
        for (const penalty of PENALTIES) {
          const beta = fit(calendar, design, penalty, warm);
          warm = beta;
          const key = `${penalty}|${halfLife}`;
          const score = scores.get(key) ?? { deviance: 0, pairs: [] };
          for (let t = origin; t < min(n, origin + horizon); t++) {
            const mean = predictMean(beta, calendar.row(t));
            score.deviance += poissonDeviance(counts[t], mean);
            score.pairs.push([counts[t], mean]);
          }
          scores.set(key, score);
        }
      }
    }
    for (const halfLife of halfLives) {
      for (const penalty of PENALTIES) {
        const score = scores.get(`${penalty}|${halfLife}`);
        if (score && score.deviance < chosen.deviance) {
          chosen = { penalty, halfLife, deviance: score.deviance };
          heldOut = score.pairs;
        }
      }
    }
  }

  const beta = fit(calendar, designOf(calendar, counts, n, chosen.halfLife), chosen.penalty);
  if (heldOut.length === 0) {
    // No origin to hold out: the in-sample errors, which understate the spread a little.
    for (let t = 0; t < n; t++) heldOut.push([counts[t], predictMean(beta, calendar.row(t))]);
  }
  const dispersion = overDispersion(heldOut);
  const point: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (let h = 0; h < horizon; h++) {
    const mean = predictMean(beta, calendar.row(n + h));
    const [low, high] = countInterval(mean, dispersion, level);
    point.push(mean);
    lower.push(low);
    upper.push(high);
  }
  const halfLife = Number.isFinite(chosen.halfLife) ? `${Math.round((chosen.halfLife * stepMs) / DAY_MS)}d` : 'none';
  const validated = origins.length > 0 ? `${origins.length} origins` : 'too short to validate';
  const method =
    `poisson-ridge(step ${step}, penalty ${chosen.penalty}, half-life ${halfLife}, ` +
    `holidays ${options.holidays?.country ?? 'none'}, yearly ${calendar.yearly ? 'yes' : 'no'}, ` +
    `dispersion ${dispersion.toFixed(3)}, ${validated})`;
  return { point, lower, upper, method };
}

/** The steps counts[0 … end) with recency weights of the given half-life (steps), rows of one calendar cell merged. */
function designOf(calendar: CalendarFeatures, counts: ArrayLike<number>, end: number, halfLife: number): CountDesign {
  const design = new CountDesign(calendar.dimensions);
  for (let t = 0; t < end; t++) {
    const weight = Number.isFinite(halfLife) ? 0.5 ** ((end - 1 - t) / halfLife) : 1;
    design.add(calendar.row(t), calendar.key(t), counts[t], weight);
  }
  return design;
}

function fit(calendar: CalendarFeatures, design: CountDesign, penalty: number, start?: Float64Array): Float64Array {
  const penalties = new Float64Array(calendar.dimensions).fill(penalty);
  penalties[0] = 0;
  return fitPoissonRidge(design, penalties, start);
}

/**
 * Moment estimate of the negative binomial's α (variance = μ + α·μ²) from counts and their
 * forecast means: the variance beyond Poisson's, over the squared means. 0 when there is none.
 */
function overDispersion(pairs: ReadonlyArray<[number, number]>): number {
  let excess = 0;
  let squares = 0;
  for (const [count, mean] of pairs) {
    excess += (count - mean) ** 2 - mean;
    squares += mean * mean;
  }
  return squares > 0 ? max(0, excess / squares) : 0;
}

/**
 * The features of each step t of the history and the horizon (t = 0 is `startMs`):
 * [intercept, day of week ×7, (hourly) hour of day ×24, day type × hour ×72, holiday?, yearly ×6?].
 */
class CalendarFeatures {
  readonly dimensions: number;
  private readonly rows: SparseRow[] = [];
  private readonly keys: string[] = [];

  constructor(
    readonly step: VolumeStep,
    startMs: number,
    steps: number,
    holidays: HolidayCalendar | undefined,
    readonly yearly: boolean
  ) {
    const stepMs = STEP_MS[step];
    const hourly = step === '1h';
    const holidayAt = holidays ? holidayFlags(holidays, startMs, steps, stepMs) : undefined;
    const dowAt = 1;
    const hourAt = dowAt + 7;
    const shapeAt = hourAt + (hourly ? 24 : 0);
    const holidayIndex = shapeAt + (hourly ? 72 : 0);
    const yearlyAt = holidayIndex + (holidayAt ? 1 : 0);
    this.dimensions = yearlyAt + (yearly ? 2 * YEARLY_HARMONICS : 0);
    for (let t = 0; t < steps; t++) {
      const timeMs = startMs + t * stepMs;
      const date = new Date(timeMs);
      const dow = date.getUTCDay(); // 0 = Sunday
      const index = [0, dowAt + dow];
      const value = [1, 1];
      let key = `${dow}`;
      if (hourly) {
        const hour = date.getUTCHours();
        const dayType = dow === 0 ? 2 : dow === 6 ? 1 : 0;
        index.push(hourAt + hour, shapeAt + dayType * 24 + hour);
        value.push(1, 1);
        key += `|${hour}`;
      }
      if (holidayAt?.[t]) {
        index.push(holidayIndex);
        value.push(1);
        key += '|h';
      }
      if (yearly) {
        const phase = (2 * PI * timeMs) / YEAR_MS;
        for (let k = 1; k <= YEARLY_HARMONICS; k++) {
          index.push(yearlyAt + 2 * (k - 1), yearlyAt + 2 * (k - 1) + 1);
          value.push(sin(k * phase), cos(k * phase));
        }
        // Every step has its own yearly phase: no two rows share features.
        key += `|${t}`;
      }
      this.rows.push({ index, value });
      this.keys.push(key);
    }
  }

  row(t: number): SparseRow {
    return this.rows[t];
  }

  key(t: number): string {
    return this.keys[t];
  }
}

/** Whether each step lies mostly (half of it or more) within a public holiday. */
function holidayFlags(holidays: HolidayCalendar, startMs: number, steps: number, stepMs: number): boolean[] {
  const flags = new Array<boolean>(steps).fill(false);
  const endMs = startMs + steps * stepMs;
  const overlap = new Float64Array(steps);
  for (const span of holidays.between(startMs, endMs)) {
    const first = max(0, floor((span.startMs - startMs) / stepMs));
    const last = min(steps - 1, floor((span.endMs - 1 - startMs) / stepMs));
    for (let t = first; t <= last; t++) {
      const from = max(span.startMs, startMs + t * stepMs);
      const to = min(span.endMs, startMs + (t + 1) * stepMs);
      if (to > from) overlap[t] += to - from;
    }
  }
  for (let t = 0; t < steps; t++) flags[t] = overlap[t] * 2 >= stepMs;
  return flags;
}
