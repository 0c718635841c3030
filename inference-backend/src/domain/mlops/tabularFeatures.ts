import { quantileOfSorted } from './gbt';
import type { FeatureMatrix } from './gbt';

/**
 * The features of a tabular model (issue 10), from the columns of a table of strings:
 *
 * - numeric columns as they are (missing cells filled with the training median), optionally
 *   z-scored within each value of a condition column (`normalizeBy`: the per-operating-condition
 *   normalisation of turbofan sensors), with statistics from the training rows;
 * - rolling windows over the rows of each group in order (`group`, `order`, `windows`): for every
 *   numeric column and window w, the mean, std, min, max and least-squares slope (per row) of the
 *   w most recent rows of the group up to and including the row itself. A row's windows never see
 *   a later row of its group: what `nocai predict` computes for a row is what was known then.
 *   The row's own value ("last") is the column itself, listed once;
 * - categorical columns one-hot, one column per level seen in training (the 50 most frequent);
 *   a level not seen in training sets none of them.
 *
 * Columns constant over the training rows are dropped. Everything here is replayed in TypeScript
 * by `nocai predict` from the parameters stored in the model's manifest, before onnxruntime runs
 * the learner on the float32 matrix; windows need a group's history, which only the rows given
 * to predict can supply.
 */

export const TABULAR_FEATURE_VERSION = 1;
export const ROLLING_STATS = ['mean', 'std', 'min', 'max', 'slope'] as const;
export type RollingStat = (typeof ROLLING_STATS)[number];
/** A window longer than this is a mistake rather than a choice (and would cost n × w). */
export const MAX_WINDOW = 1000;
/** Levels kept per categorical column; rarer ones share the "not seen" encoding. */
export const MAX_LEVELS = 50;
/**
 * A column whose non-missing cells are at least this share numbers is numeric: its other cells
 * are typos, refused with their row, unless the user declares the column categorical.
 */
const NUMERIC_SHARE = 0.9;
const MISSING_CELLS = new Set(['', 'na', 'n/a', 'nan', 'null', 'none']);
const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Bad data the user can fix; the message names the column and the data row, callers add the file. */
export class TabularDataError extends Error {}

export const isMissingCell = (cell: string | undefined): boolean =>
  cell === undefined || MISSING_CELLS.has(cell.trim().toLowerCase());

/** The number in a cell, or undefined when it is not a plain decimal number. */
export function numberOf(cell: string): number | undefined {
  const trimmed = cell.trim();
  return PLAIN_NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

export type Row = Readonly<Record<string, string>>;

/**
 * How a column of class labels names its classes. When every cell is a number, the cells of one value
 * are one class (`1`, `1.0` and `1e0`), named by its most frequent spelling (the first written on a
 * tie), so codes such as `01` and `02` keep their names; otherwise a class is its cell without the
 * spaces around it.
 */
export function classNamer(cells: Iterable<string>): (cell: string) => string {
  const spellings = new Map<number, Map<string, number>>();
  for (const cell of cells) {
    const written = cell.trim();
    const value = numberOf(written);
    if (value === undefined) return (c) => c.trim();
    const counts = spellings.get(value) ?? new Map<string, number>();
    counts.set(written, (counts.get(written) ?? 0) + 1);
    spellings.set(value, counts);
  }
  const names = new Map<number, string>();
  for (const [value, counts] of spellings) {
    let name = '';
    let most = 0;
    for (const [written, count] of counts) {
      if (count > most) [name, most] = [written, count];
    }
    names.set(value, name);
  }
  return (cell) => {
    const value = numberOf(cell);
    return (value === undefined ? undefined : names.get(value)) ?? cell.trim();
  };
}

/** What the user asked for: which columns, and how rows relate to each other. */
export interface TabularFeatureRequest {
  features: string[];
  /** Columns read as categories even when they hold numbers (codes, ids). */
  categorical: string[];
  group?: string;
  order?: string;
  windows: number[];
  normalizeBy?: string;
}

export interface NumericInput {
  column: string;
  /** Training median, for missing cells. */
  fill: number;
  /** z-scored within each level of the normalisation column (never the order column). */
  normalized: boolean;
  windowed: boolean;
}

export interface CategoricalInput {
  column: string;
  levels: string[];
}

export interface NormalizationStats {
  /** Per normalised numeric column, in `numeric` order of the normalised ones. */
  mean: number[];
  std: number[];
}

export interface Normalization {
  column: string;
  byLevel: Record<string, NormalizationStats>;
  /** For a level not seen in training: the statistics of all training rows. */
  overall: NormalizationStats;
}

/** Everything `nocai predict` needs to rebuild the float32 matrix the learner was trained on. */
export interface TabularFeatureParams {
  version: typeof TABULAR_FEATURE_VERSION;
  numeric: NumericInput[];
  categorical: CategoricalInput[];
  group?: string;
  order?: { column: string; kind: 'number' | 'time' };
  windows: number[];
  normalization: Normalization | null;
  /** Indices into the full list of features (see `fullFeatureNames`) that the learner reads. */
  kept: number[];
  /** Names of the kept features, in matrix column order. */
  names: string[];
}

/**
 * The columns a model reads from each row: those with a feature the model kept (a column whose
 * features were all constant over the training rows feeds nothing, and a file may leave it out), then
 * the group, order and normalisation columns.
 */
export function inputColumns(params: TabularFeatureParams): string[] {
  const source = featureColumns(params);
  const feeding = new Set(params.kept.map((f) => source[f]));
  const columns = [
    ...params.numeric.map((n) => n.column).filter((column) => feeding.has(column)),
    ...params.categorical.map((c) => c.column).filter((column) => feeding.has(column)),
    ...(params.group ? [params.group] : []),
    ...(params.order ? [params.order.column] : []),
    ...(params.normalization ? [params.normalization.column] : []),
  ];
  return [...new Set(columns)];
}

const quote = (name: string) => `"${name}"`;

/** Data row n (1-based) as users count them in the file: the header is not a data row. */
const rowLabel = (i: number) => `data row ${i + 1}`;

/**
 * Numeric or categorical, per feature column, from the cells of the training rows. A column that
 * is mostly numbers but has a few other cells is refused with the first such cell.
 */
export function columnKinds(
  rows: readonly Row[],
  request: TabularFeatureRequest
): Map<string, 'numeric' | 'categorical'> {
  const kinds = new Map<string, 'numeric' | 'categorical'>();
  for (const column of request.features) {
    if (request.categorical.includes(column)) {
      kinds.set(column, 'categorical');
      continue;
    }
    let numbers = 0;
    let others = 0;
    let firstOther = -1;
    rows.forEach((row, i) => {
      const cell = row[column];
      if (isMissingCell(cell)) return;
      if (numberOf(cell) !== undefined) numbers++;
      else {
        others++;
        if (firstOther < 0) firstOther = i;
      }
    });
    if (others === 0 && numbers > 0) kinds.set(column, 'numeric');
    else if (numbers > 0 && numbers >= NUMERIC_SHARE * (numbers + others)) {
      throw new TabularDataError(
        `column ${quote(column)} holds numbers but ${rowLabel(firstOther)} has "${rows[firstOther][column]}", ` +
          `not a number (fix the cell, or pass the column to --categorical)`
      );
    } else kinds.set(column, 'categorical');
  }
  return kinds;
}

/** How an order column is read: numbers when its first value is one, else times. */
export function orderSpec(rows: readonly Row[], column: string): { column: string; kind: 'number' | 'time' } {
  const first = rows.find((row) => !isMissingCell(row[column]));
  return { column, kind: first && numberOf(first[column]) === undefined ? 'time' : 'number' };
}

function orderValue(row: Row, i: number, order: { column: string; kind: 'number' | 'time' }): number {
  const cell = row[order.column] ?? '';
  const value = order.kind === 'number' ? numberOf(cell) : Date.parse(cell.trim());
  if (value === undefined || !Number.isFinite(value)) {
    throw new TabularDataError(
      `the order column ${quote(order.column)} must hold ${order.kind === 'number' ? 'numbers' : 'times (ISO 8601)'}; ` +
        `${rowLabel(i)} has "${cell}"`
    );
  }
  return value;
}

/** Row indices sorted by group (first appearance) and then by order; ties keep file order. */
export function sequenceOrder(
  rows: readonly Row[],
  group: string | undefined,
  order: TabularFeatureParams['order']
): { sorted: number[]; groupStart: Int32Array; orderValues?: Float64Array } {
  const n = rows.length;
  const groupIndex = new Int32Array(n);
  if (group) {
    const seen = new Map<string, number>();
    rows.forEach((row, i) => {
      const key = row[group] ?? '';
      let g = seen.get(key);
      if (g === undefined) {
        g = seen.size;
        seen.set(key, g);
      }
      groupIndex[i] = g;
    });
  }
  const orderValues = order ? Float64Array.from(rows, (row, i) => orderValue(row, i, order)) : undefined;
  const sorted = rows.map((_, i) => i);
  sorted.sort((a, b) => groupIndex[a] - groupIndex[b] || (orderValues ? orderValues[a] - orderValues[b] : 0) || a - b);
  // groupStart[i]: position in `sorted` where row sorted[i]'s group begins.
  const groupStart = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    groupStart[p] = p > 0 && groupIndex[sorted[p]] === groupIndex[sorted[p - 1]] ? groupStart[p - 1] : p;
  }
  return { sorted, groupStart, orderValues };
}

/** Parses the numeric columns of every row: [rows × numeric] float64, missing cells as NaN. */
function numericValues(rows: readonly Row[], numeric: readonly { column: string }[]): Float64Array {
  const width = numeric.length;
  const out = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    numeric.forEach(({ column }, c) => {
      const cell = row[column];
      if (isMissingCell(cell)) {
        out[i * width + c] = NaN;
        return;
      }
      const value = numberOf(cell);
      if (value === undefined || !Number.isFinite(value)) {
        throw new TabularDataError(`column ${quote(column)} must hold numbers; ${rowLabel(i)} has "${cell}"`);
      }
      out[i * width + c] = value;
    });
  });
  return out;
}

function statsOf(
  values: Float64Array,
  width: number,
  rows: Iterable<number>,
  columns: readonly number[]
): NormalizationStats {
  const sum = new Float64Array(columns.length);
  let count = 0;
  const list = [...rows];
  for (const i of list) {
    count++;
    columns.forEach((c, k) => (sum[k] += values[i * width + c]));
  }
  const mean = Array.from(sum, (s) => (count > 0 ? s / count : 0));
  const squares = new Float64Array(columns.length);
  for (const i of list) columns.forEach((c, k) => (squares[k] += (values[i * width + c] - mean[k]) ** 2));
  // A column constant within a level is centred only: it then carries nothing, and is dropped.
  const std = Array.from(squares, (s) => {
    const sd = count > 0 ? Math.sqrt(s / count) : 0;
    return sd > 1e-12 ? sd : 1;
  });
  return { mean, std };
}

/**
 * Fits the parameters on `fitRows` (fills, levels, normalisation statistics); `kept` and `names`
 * list every feature until `dropConstantFeatures` prunes them.
 */
export function fitFeatureParams(
  rows: readonly Row[],
  request: TabularFeatureRequest,
  kinds: ReadonlyMap<string, 'numeric' | 'categorical'>,
  fitRows: readonly number[],
  normalize: boolean
): TabularFeatureParams {
  for (const w of request.windows) {
    if (!(Number.isInteger(w) && w >= 2 && w <= MAX_WINDOW)) {
      throw new TabularDataError(`a window must be a whole number of rows from 2 to ${MAX_WINDOW}, got ${w}`);
    }
  }
  const order = request.order ? orderSpec(rows, request.order) : undefined;
  const numericColumns = request.features.filter((c) => kinds.get(c) === 'numeric');
  const values = numericValues(
    rows,
    numericColumns.map((column) => ({ column }))
  );
  const width = numericColumns.length;
  const numeric: NumericInput[] = numericColumns.map((column, c) => {
    const present = fitRows.map((i) => values[i * width + c]).filter((v) => !Number.isNaN(v));
    const fill = present.length > 0 ? quantileOfSorted(Float64Array.from(present).sort(), 0.5) : 0;
    const isOrder = column === order?.column;
    return { column, fill, normalized: normalize && !isOrder, windowed: request.windows.length > 0 && !isOrder };
  });
  for (let i = 0; i < rows.length; i++) {
    for (let c = 0; c < width; c++) if (Number.isNaN(values[i * width + c])) values[i * width + c] = numeric[c].fill;
  }
  let normalization: Normalization | null = null;
  if (normalize && request.normalizeBy) {
    const column = request.normalizeBy;
    const normalized = numeric.flatMap((n, c) => (n.normalized ? [c] : []));
    const byLevelRows = new Map<string, number[]>();
    for (const i of fitRows) {
      const level = rows[i][column] ?? '';
      const list = byLevelRows.get(level) ?? [];
      list.push(i);
      byLevelRows.set(level, list);
    }
    const byLevel: Record<string, NormalizationStats> = {};
    for (const level of [...byLevelRows.keys()].sort()) {
      byLevel[level] = statsOf(values, width, byLevelRows.get(level) ?? [], normalized);
    }
    normalization = { column, byLevel, overall: statsOf(values, width, fitRows, normalized) };
  }
  const categorical: CategoricalInput[] = request.features
    .filter((c) => kinds.get(c) === 'categorical')
    .map((column) => {
      const counts = new Map<string, number>();
      for (const i of fitRows) {
        const level = (rows[i][column] ?? '').trim();
        counts.set(level, (counts.get(level) ?? 0) + 1);
      }
      const levels = [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, MAX_LEVELS)
        .map(([level]) => level);
      return { column, levels };
    });
  const params: TabularFeatureParams = {
    version: TABULAR_FEATURE_VERSION,
    numeric,
    categorical,
    group: request.group,
    order,
    windows: [...request.windows],
    normalization,
    kept: [],
    names: [],
  };
  const names = fullFeatureNames(params);
  return { ...params, kept: names.map((_, i) => i), names };
}

/** The column of every feature before constant ones are dropped, in matrix order (as `fullFeatureNames`). */
function featureColumns(params: Pick<TabularFeatureParams, 'numeric' | 'categorical' | 'windows'>): string[] {
  const columns: string[] = [];
  const perWindowed = params.windows.length * ROLLING_STATS.length;
  for (const n of params.numeric) {
    for (let k = 0; k < 1 + (n.windowed ? perWindowed : 0); k++) columns.push(n.column);
  }
  for (const c of params.categorical) for (let k = 0; k < c.levels.length; k++) columns.push(c.column);
  return columns;
}

/** Every feature before constant ones are dropped, in matrix order. */
export function fullFeatureNames(params: Pick<TabularFeatureParams, 'numeric' | 'categorical' | 'windows'>): string[] {
  const names: string[] = [];
  for (const n of params.numeric) {
    names.push(n.column);
    if (n.windowed)
      for (const w of params.windows) for (const stat of ROLLING_STATS) names.push(`${n.column} ${stat}(${w})`);
  }
  for (const c of params.categorical)
    for (const level of c.levels) names.push(`${c.column}=${level === '' ? '(empty)' : level}`);
  return names;
}

/** Writes mean, std, min, max and slope of x[from..to] (inclusive) at out[at..at+4]. */
function windowStats(x: Float64Array, from: number, to: number, out: Float64Array, at: number): void {
  const m = to - from + 1;
  let sum = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = from; p <= to; p++) {
    const v = x[p];
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const mean = sum / m;
  const centre = (m - 1) / 2;
  let squares = 0;
  let cross = 0;
  let spread = 0;
  for (let p = from; p <= to; p++) {
    const d = x[p] - mean;
    const j = p - from - centre;
    squares += d * d;
    cross += j * d;
    spread += j * j;
  }
  out[at] = mean;
  out[at + 1] = Math.sqrt(squares / m);
  out[at + 2] = lo;
  out[at + 3] = hi;
  out[at + 4] = spread > 0 ? cross / spread : 0;
}

/**
 * The feature matrix of `rows` (float32, rows in the order given), with every feature or only
 * the kept ones. Bad cells raise a `TabularDataError` naming the column and the row.
 */
export function buildFeatures(
  params: TabularFeatureParams,
  rows: readonly Row[],
  options: { all?: boolean } = {}
): FeatureMatrix {
  const n = rows.length;
  const numericWidth = params.numeric.length;
  const values = numericValues(rows, params.numeric);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < numericWidth; c++) {
      if (Number.isNaN(values[i * numericWidth + c])) values[i * numericWidth + c] = params.numeric[c].fill;
    }
  }
  const norm = params.normalization;
  if (norm) {
    const normalized = params.numeric.flatMap((spec, c) => (spec.normalized ? [c] : []));
    for (let i = 0; i < n; i++) {
      const stats = norm.byLevel[rows[i][norm.column] ?? ''] ?? norm.overall;
      normalized.forEach((c, k) => {
        values[i * numericWidth + c] = (values[i * numericWidth + c] - stats.mean[k]) / stats.std[k];
      });
    }
  }
  const perWindowed = params.windows.length * ROLLING_STATS.length;
  const fullWidth =
    params.numeric.reduce((sum, spec) => sum + 1 + (spec.windowed ? perWindowed : 0), 0) +
    params.categorical.reduce((sum, c) => sum + c.levels.length, 0);
  // Output column of every feature of the full list, -1 for a dropped one.
  const position = new Int32Array(fullWidth).fill(-1);
  if (options.all) position.forEach((_, f) => (position[f] = f));
  else params.kept.forEach((f, k) => (position[f] = k));
  const width = options.all ? fullWidth : params.kept.length;
  const out = new Float32Array(n * width);
  const anyWindows = params.numeric.some((spec) => spec.windowed) && params.windows.length > 0;
  const { sorted, groupStart } = anyWindows
    ? sequenceOrder(rows, params.group, params.order)
    : { sorted: [] as number[], groupStart: new Int32Array(0) };
  let offset = 0;
  const series = new Float64Array(n);
  const stats = new Float64Array(ROLLING_STATS.length);
  params.numeric.forEach((spec, c) => {
    const own = position[offset];
    if (own >= 0) for (let i = 0; i < n; i++) out[i * width + own] = values[i * numericWidth + c];
    offset++;
    if (!spec.windowed) return;
    // The column in sequence order, so that a window is a contiguous run of `series`.
    for (let p = 0; p < n; p++) series[p] = values[sorted[p] * numericWidth + c];
    for (let p = 0; p < n; p++) {
      const row = sorted[p];
      params.windows.forEach((w, k) => {
        const first = offset + k * ROLLING_STATS.length;
        windowStats(series, Math.max(groupStart[p], p - w + 1), p, stats, 0);
        for (let s = 0; s < ROLLING_STATS.length; s++) {
          const column = position[first + s];
          if (column >= 0) out[row * width + column] = stats[s];
        }
      });
    }
    offset += perWindowed;
  });
  for (const { column, levels } of params.categorical) {
    const index = new Map(levels.map((level, k) => [level, k] as const));
    rows.forEach((row, i) => {
      const k = index.get((row[column] ?? '').trim());
      const at = k === undefined ? -1 : position[offset + k];
      if (at >= 0) out[i * width + at] = 1;
    });
    offset += levels.length;
  }
  return { rowCount: n, featureCount: width, values: out };
}

/** The parameters with the features that never vary over `fitRows` of the full matrix dropped. */
export function dropConstantFeatures(
  params: TabularFeatureParams,
  full: FeatureMatrix,
  fitRows: readonly number[]
): TabularFeatureParams {
  const names = fullFeatureNames(params);
  const width = full.featureCount;
  const kept: number[] = [];
  for (let f = 0; f < width; f++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of fitRows) {
      const v = full.values[i * width + f];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi > lo) kept.push(f);
  }
  return { ...params, kept, names: kept.map((f) => names[f]) };
}

/** Selects the kept columns of a full matrix (as `buildFeatures` would have returned them). */
export function keptColumns(full: FeatureMatrix, kept: readonly number[]): FeatureMatrix {
  const width = full.featureCount;
  const out = new Float32Array(full.rowCount * kept.length);
  for (let i = 0; i < full.rowCount; i++) {
    for (let k = 0; k < kept.length; k++) out[i * kept.length + k] = full.values[i * width + kept[k]];
  }
  return { rowCount: full.rowCount, featureCount: kept.length, values: out };
}
