/**
 * The input of `nocai forecast`: long rows `series,t,value` turned into one regular series per
 * name, or a `ForecastInputError` that says in one sentence what is wrong and where.
 *
 * `t` is an integer index when every row's t is an integer (an epoch in seconds is then an index
 * with a step of 3600), otherwise a timestamp (timestamps.ts: ISO 8601, or epoch among them).
 * Handled rather than refused, and counted in `InputSeries`:
 * - rows in any order: each series is sorted by t;
 * - a repeated t within a series: its values are merged into their mean;
 * - gaps (steps missing from the grid, or an empty value cell): filled by linear interpolation
 *   between the nearest values, or with the nearest value at either end, as long as at most
 *   half of the series is filled in.
 * Refused: a value that is not a plain decimal number, a t that is neither an index nor a
 * timestamp, a column that mixes indices with timestamps (an epoch of fewer than 9 digits counts
 * as an index there), times off the series' grid, fewer than MIN_HISTORY values.
 */
import { isMissingCell } from '../mlops/tabularFeatures';
import { MIN_HISTORY } from './forecast';
import { parseTimestampMs } from './timestamps';

export class ForecastInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForecastInputError';
  }
}

export interface LongRow {
  /** Line of the file, for messages. */
  line: number;
  series: string;
  t: string;
  value: string;
}

export type TimeKind = 'index' | 'timestamp';

export interface InputSeries {
  name: string;
  /** Index of the first value, or its time in epoch ms. */
  start: number;
  /** Distance between values, in index units or ms. */
  step: number;
  values: number[];
  /** Values filled in (gaps and empty cells). */
  imputed: number;
  /** Rows merged into another with the same t. */
  merged: number;
}

export interface ForecastInput {
  timeKind: TimeKind;
  series: InputSeries[];
}

/** A plain decimal number: `Number()` would also take `0x1f`, `Infinity` and an empty cell. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;
/** Beyond this, squares and sums overflow to Infinity. */
const MAX_ABS_VALUE = 1e150;
/** More filled-in values than observed ones would be a forecast of the interpolation. */
const MAX_IMPUTED_SHARE = 0.5;
/** Quoted cells are cut to this length in messages. */
const QUOTED = 40;

const quote = (text: string) => JSON.stringify(text.length > QUOTED ? `${text.slice(0, QUOTED)}…` : text);

interface Observation {
  time: number;
  /** undefined: an empty value cell. */
  value: number | undefined;
}

export function assembleSeries(rows: readonly LongRow[]): ForecastInput {
  if (rows.length === 0) throw new ForecastInputError('has no data rows');
  const timeKind: TimeKind = rows.every((row) => INTEGER.test(row.t.trim())) ? 'index' : 'timestamp';
  if (timeKind === 'timestamp') refuseMixedTimes(rows);
  const byName = new Map<string, Observation[]>();
  for (const row of rows) {
    const name = row.series.trim();
    if (name === '') throw new ForecastInputError(`line ${row.line} has an empty series name`);
    const time = parseTime(row, timeKind);
    const text = row.value.trim();
    let value: number | undefined;
    // NA, N/A, NaN, null or None (any case), as R, pandas and databases write a gap, are empty cells.
    if (!isMissingCell(text)) {
      if (!DECIMAL.test(text))
        throw new ForecastInputError(`line ${row.line} has the value ${quote(text)}, which is not a number`);
      value = Number(text);
      if (!(Math.abs(value) < MAX_ABS_VALUE)) {
        throw new ForecastInputError(
          `line ${row.line} has the value ${quote(text)}, beyond ±${MAX_ABS_VALUE} (too large to forecast)`
        );
      }
    }
    const list = byName.get(name) ?? [];
    list.push({ time, value });
    byName.set(name, list);
  }
  return { timeKind, series: [...byName].map(([name, observations]) => regularise(name, observations, timeKind)) };
}

/** Epochs in seconds with fewer digits than this are before March 1973: no export writes them. */
const EPOCH_MIN_DIGITS = 9;

/**
 * An integer index among timestamps would be read as an instant of 1970 and reported as an
 * irregular grid; say instead that the column mixes the two kinds.
 */
function refuseMixedTimes(rows: readonly LongRow[]): void {
  const index = rows.find((row) => {
    const text = row.t.trim();
    return INTEGER.test(text) && text.replace(/^[-+]?0*/, '').length < EPOCH_MIN_DIGITS;
  });
  if (index === undefined) return;
  const stamp = rows.find((row) => !INTEGER.test(row.t.trim()) && parseTimestampMs(row.t) !== undefined);
  if (stamp === undefined) return;
  throw new ForecastInputError(
    `line ${index.line} has the integer index t = ${quote(index.t.trim())} but line ${stamp.line} has t = ` +
      `${quote(stamp.t.trim())}: t must be integer indices in every row or timestamps in every row`
  );
}

function parseTime(row: LongRow, kind: TimeKind): number {
  const text = row.t.trim();
  if (kind === 'index') {
    const index = Number(text);
    if (!Number.isSafeInteger(index))
      throw new ForecastInputError(`line ${row.line} has the index ${quote(text)}, too large to count with`);
    return index;
  }
  const ms = parseTimestampMs(text);
  if (ms === undefined) {
    throw new ForecastInputError(
      `line ${row.line} has t = ${quote(text)}, which is neither an integer index nor a timestamp (ISO 8601 or epoch)`
    );
  }
  return ms;
}

function regularise(name: string, observations: Observation[], kind: TimeKind): InputSeries {
  observations.sort((a, b) => a.time - b.time);
  // Merge repeated times into their mean (an empty cell adds nothing but does not make the time missing).
  const times: number[] = [];
  const values: Array<number | undefined> = [];
  let merged = 0;
  let sum = 0;
  let count = 0;
  observations.forEach((o, i) => {
    if (i > 0 && o.time === times[times.length - 1]) {
      merged++;
    } else {
      if (i > 0) values.push(count > 0 ? sum / count : undefined);
      times.push(o.time);
      sum = 0;
      count = 0;
    }
    if (o.value !== undefined) {
      sum += o.value;
      count++;
    }
  });
  values.push(count > 0 ? sum / count : undefined);

  const shown = quote(name);
  const observed = values.filter((v) => v !== undefined).length;
  if (observed < MIN_HISTORY) {
    throw new ForecastInputError(
      `series ${shown} has ${observed} value${observed === 1 ? '' : 's'}; forecasting needs at least ${MIN_HISTORY}`
    );
  }
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) step = Math.min(step, times[i] - times[i - 1]);
  const length = (times[times.length - 1] - times[0]) / step + 1;
  for (let i = 1; i < times.length; i++) {
    if ((times[i] - times[0]) % step !== 0) {
      throw new ForecastInputError(
        `series ${shown} is not on a regular grid: t = ${showTime(times[i], kind)} follows t = ${showTime(times[i - 1], kind)}, ` +
          `which is no multiple of its smallest step (${showStep(step, kind)})`
      );
    }
  }
  if (length - observed > MAX_IMPUTED_SHARE * length) {
    throw new ForecastInputError(
      `series ${shown} is mostly missing: ${observed} values on a grid of ${length} steps (at most half may be filled in)`
    );
  }
  const grid = new Array<number | undefined>(length).fill(undefined);
  times.forEach((time, i) => (grid[(time - times[0]) / step] = values[i]));
  return { name, start: times[0], step, values: interpolate(grid), imputed: length - observed, merged };
}

const showTime = (time: number, kind: TimeKind) => (kind === 'index' ? String(time) : new Date(time).toISOString());
const showStep = (step: number, kind: TimeKind) => (kind === 'index' ? String(step) : `${step / 1000} s`);

/** Linear interpolation between observed neighbours; the nearest observed value before the first and after the last. */
function interpolate(grid: ReadonlyArray<number | undefined>): number[] {
  const out = new Array<number>(grid.length);
  let previous = -1;
  for (let i = 0; i <= grid.length; i++) {
    const value = grid[i];
    if (i < grid.length && value === undefined) continue;
    const left = previous >= 0 ? (grid[previous] as number) : undefined;
    for (let j = previous + 1; j < i; j++) {
      if (left === undefined) out[j] = value as number;
      else if (i === grid.length) out[j] = left;
      else out[j] = left + (((value as number) - left) * (j - previous)) / (i - previous);
    }
    if (i < grid.length) out[i] = value as number;
    previous = i;
  }
  return out;
}

/** Times of the `horizon` steps after a series, as written in the output: an index, or ISO 8601 UTC. */
export function futureTimes(series: InputSeries, horizon: number, kind: TimeKind): Array<string | number> {
  const last = series.start + (series.values.length - 1) * series.step;
  return Array.from({ length: horizon }, (_, h) => {
    const time = last + (h + 1) * series.step;
    return kind === 'index' ? time : new Date(time).toISOString();
  });
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

/**
 * The seasons a calendar gives timestamped data: a day and a week, in steps, where they are a
 * whole number of at least 2 steps (hourly: 24 and 168; 5-minutely: 288 and 2016; daily: 7).
 */
export function calendarSeasons(stepMs: number): number[] {
  return [DAY_MS, WEEK_MS].filter((period) => period % stepMs === 0 && period / stepMs >= 2).map((p) => p / stepMs);
}
