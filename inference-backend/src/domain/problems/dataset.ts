import type { FeatureMatrix } from '../mlops/gbt';

/**
 * The training set of a predictive alert problem (issue 12), built from series already aligned on
 * a time grid. Time conventions, which the no-look-ahead guarantee rests on:
 *
 * - Bucket k of the grid covers [startMs + k·step, startMs + (k+1)·step): InfluxDB's
 *   `GROUP BY time(step)` labels it with its start, but its mean is known only at its end.
 * - The row of bucket k is the prediction made at tₖ = startMs + (k+1)·step, its end. Its features
 *   read buckets 0…k only (forward-filled values, rolling windows ending at k).
 * - The event fires in bucket j when its condition has held for `forSteps` buckets in a row up to
 *   and including j and did not fire in bucket j−1: the onset. The row of bucket k is positive when
 *   an onset lies in buckets k+1 … k+H (H = horizon / step), i.e. within (tₖ, tₖ + horizon].
 * - Rows during a firing event (nothing left to predict) and rows whose horizon is not fully
 *   observed are not rows.
 */

export interface ProblemGrid {
  startMs: number;
  stepMs: number;
  steps: number;
}

/** One entity's series on the grid: a value per bucket (NaN: no sample) and the event condition. */
export interface EntitySeries {
  entity: string;
  /** Per input variable (`measurement.field`), `steps` values. */
  values: ReadonlyMap<string, Float64Array>;
  /** 1 where the event's condition holds in the bucket (threshold met, or at least one ticket/line). */
  condition: Uint8Array;
}

export const ROLLING_STATS = ['mean', 'min', 'max', 'std', 'slope'] as const;

/** How rows are made: the same for training and, next session, for serving (stored in the manifest). */
export interface ProblemFeatureSpec {
  stepMs: number;
  /** Input variables in feature order. */
  variables: string[];
  /** Window lengths in buckets, ascending. */
  windowSteps: number[];
  /** Buckets in a row the condition must hold to fire (at least 1). */
  forSteps: number;
  /** Buckets ahead a row looks for an onset. */
  horizonSteps: number;
}

/** Feature names in matrix column order: `freezer.door_open_count:last`, `…:mean_6` (6 buckets). */
export function featureNames(spec: Pick<ProblemFeatureSpec, 'variables' | 'windowSteps'>): string[] {
  return spec.variables.flatMap((v) => [
    `${v}:last`,
    ...spec.windowSteps.flatMap((w) => ROLLING_STATS.map((s) => `${v}:${s}_${w}`)),
  ]);
}

/** Onset buckets of the event and whether it is firing in each bucket. */
export function eventOnsets(condition: Uint8Array, forSteps: number): { onsets: number[]; firing: Uint8Array } {
  const firing = new Uint8Array(condition.length);
  const onsets: number[] = [];
  let run = 0;
  for (let k = 0; k < condition.length; k++) {
    run = condition[k] ? run + 1 : 0;
    if (run >= forSteps) {
      firing[k] = 1;
      if (k === 0 || !firing[k - 1]) onsets.push(k);
    }
  }
  return { onsets, firing };
}

/** Values carried forward over missing buckets (never backward: that would read the future). */
export function forwardFilled(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let last = NaN;
  for (let k = 0; k < values.length; k++) {
    if (!Number.isNaN(values[k])) last = values[k];
    out[k] = last;
  }
  return out;
}

/**
 * The features of bucket k of one entity, written into `out` at `offset`; false when a variable
 * has no value yet at k (the row is skipped). Reads `filled[v][0..k]` only.
 */
export function rowFeatures(
  filled: readonly Float64Array[],
  k: number,
  windowSteps: readonly number[],
  out: Float32Array,
  offset: number
): boolean {
  let at = offset;
  for (const series of filled) {
    const last = series[k];
    if (Number.isNaN(last)) return false;
    out[at++] = last;
    for (const w of windowSteps) {
      let n = 0;
      let sum = 0;
      let sumSq = 0;
      let min = Infinity;
      let max = -Infinity;
      // Slope per bucket by least squares over the window's observed values (x = bucket offset).
      let sumX = 0;
      let sumXY = 0;
      let sumXX = 0;
      for (let j = Math.max(0, k - w + 1); j <= k; j++) {
        const x = series[j];
        if (Number.isNaN(x)) continue;
        const t = j - k;
        n++;
        sum += x;
        sumSq += x * x;
        if (x < min) min = x;
        if (x > max) max = x;
        sumX += t;
        sumXY += t * x;
        sumXX += t * t;
      }
      const mean = sum / n;
      const variance = Math.max(0, sumSq / n - mean * mean);
      const denominator = n * sumXX - sumX * sumX;
      const slope = denominator > 0 ? (n * sumXY - sumX * sum) / denominator : 0;
      out[at++] = mean;
      out[at++] = min;
      out[at++] = max;
      out[at++] = Math.sqrt(variance);
      out[at++] = slope;
    }
  }
  return true;
}

export interface ProblemRows {
  matrix: FeatureMatrix;
  /** 1 when an onset lies within the horizon. */
  labels: Uint8Array;
  /** Prediction time tₖ of each row (epoch ms). */
  timesMs: Float64Array;
  /** Index into `entities`. */
  entityOf: Int32Array;
  /** Bucket k of each row on the grid. */
  bucketOf: Int32Array;
  entities: string[];
  /** Onsets per entity as event times (end of the onset bucket, epoch ms), within the grid. */
  onsetTimesMs: number[][];
}

/**
 * The rows whose prediction time lies in [fromMs, toMs − horizon] (every label fully observed
 * before `toMs`: a period's labels never read a later period), for every entity.
 */
export function buildRows(
  grid: ProblemGrid,
  series: readonly EntitySeries[],
  spec: ProblemFeatureSpec,
  period: { fromMs: number; toMs: number }
): ProblemRows {
  const width = featureNames(spec).length;
  const horizonMs = spec.horizonSteps * grid.stepMs;
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  const times: number[] = [];
  const entityOf: number[] = [];
  const bucketOf: number[] = [];
  const onsetTimesMs: number[][] = [];
  series.forEach((s, e) => {
    const filled = spec.variables.map((v) => {
      const values = s.values.get(v);
      return values ? forwardFilled(values) : new Float64Array(grid.steps).fill(NaN);
    });
    const { onsets, firing } = eventOnsets(s.condition, spec.forSteps);
    onsetTimesMs.push(onsets.map((j) => grid.startMs + (j + 1) * grid.stepMs));
    // nextOnset[k]: the first onset bucket after k (Infinity when none).
    const nextOnset = new Float64Array(grid.steps).fill(Infinity);
    let upcoming = Infinity;
    const isOnset = new Uint8Array(grid.steps);
    for (const j of onsets) isOnset[j] = 1;
    for (let k = grid.steps - 1; k >= 0; k--) {
      nextOnset[k] = upcoming;
      if (isOnset[k]) upcoming = k;
    }
    const row = new Float32Array(width);
    for (let k = 0; k < grid.steps; k++) {
      const t = grid.startMs + (k + 1) * grid.stepMs;
      if (t < period.fromMs || t + horizonMs > period.toMs) continue;
      if (k + spec.horizonSteps >= grid.steps) continue;
      if (firing[k]) continue;
      if (!rowFeatures(filled, k, spec.windowSteps, row, 0)) continue;
      chunks.push(row.slice());
      labels.push(nextOnset[k] <= k + spec.horizonSteps ? 1 : 0);
      times.push(t);
      entityOf.push(e);
      bucketOf.push(k);
    }
  });
  const values = new Float32Array(chunks.length * width);
  chunks.forEach((c, i) => values.set(c, i * width));
  return {
    matrix: { rowCount: chunks.length, featureCount: width, values },
    labels: Uint8Array.from(labels),
    timesMs: Float64Array.from(times),
    entityOf: Int32Array.from(entityOf),
    bucketOf: Int32Array.from(bucketOf),
    entities: series.map((s) => s.entity),
    onsetTimesMs,
  };
}

/** Onsets (event times, epoch ms) of every entity within [fromMs, toMs). */
export function countOnsets(rows: ProblemRows, fromMs: number, toMs: number): number {
  return rows.onsetTimesMs.reduce((n, list) => n + list.filter((t) => t >= fromMs && t < toMs).length, 0);
}
