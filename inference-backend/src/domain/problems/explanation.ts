import type { Explanation } from '@nocai/contract';
import { buildRows, forwardFilled } from './dataset';
import type { EntitySeries, ProblemFeatureSpec, ProblemGrid } from './dataset';
import type { PlattCalibration } from './learners';

/**
 * Why a served problem model gave a row its probability (issue 12 point 4, until TreeSHAP serves
 * trees): contributions in calibrated log-odds, so that they read the same for every learner.
 *
 * - Logistic regression: exact. log-odds = Σ_f w_f·scale_f·(x_f − mean_f) + bias, and Platt's
 *   calibration multiplies it by `slope`: feature f contributes slope·w_f·scale_f·(x_f − mean_f)
 *   against the training-average row (mean_f is the training mean the model standardised with), and
 *   the contributions plus slope·bias + offset are the calibrated log-odds (when not clipped at ±30).
 * - Trees: occlusion. Feature f is replaced by its training mean and the row run again; its
 *   contribution is logit(p) − logit(p with f occluded). Not additive (interactions are counted in
 *   each feature they involve), which is why exact TreeSHAP replaces it for trees.
 */

/** Probabilities of the event for row-major float32 rows (the served ONNX graph). */
export type ProblemScorer = (rows: Float32Array) => Promise<Float32Array>;

/** The linear part of a logistic problem model, as its graph holds it. */
export interface LinearTerms {
  mean: ArrayLike<number>;
  scale: ArrayLike<number>;
  weights: ArrayLike<number>;
  bias: number;
}

/**
 * What the training period looked like, kept with a model so that serving can explain and advise
 * without reading the training period again.
 */
export interface ProblemReference {
  /** Mean of each feature column over the training rows, in tensor order. */
  featureMeans: number[];
  /** Per input variable (`measurement.field`), the lowest and highest value seen in the training period. */
  ranges: Record<string, { min: number; max: number }>;
}

/** The reference of a training period: the rows' column means and every variable's observed range. */
export function problemReference(
  grid: ProblemGrid,
  series: readonly EntitySeries[],
  spec: ProblemFeatureSpec,
  period: { fromMs: number; toMs: number }
): ProblemReference {
  const rows = buildRows(grid, series, spec, period);
  const { rowCount, featureCount, values } = rows.matrix;
  const sums = new Float64Array(featureCount);
  for (let i = 0; i < rowCount; i++) for (let f = 0; f < featureCount; f++) sums[f] += values[i * featureCount + f];
  const featureMeans = Array.from(sums, (s) => (rowCount > 0 ? s / rowCount : 0));
  const ranges: ProblemReference['ranges'] = {};
  for (const variable of spec.variables) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of series) {
      const raw = s.values.get(variable);
      if (!raw) continue;
      const filled = forwardFilled(raw);
      for (let k = 0; k < grid.steps; k++) {
        const endMs = grid.startMs + (k + 1) * grid.stepMs;
        const x = filled[k];
        if (endMs <= period.fromMs || endMs > period.toMs || Number.isNaN(x)) continue;
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
    if (min <= max) ranges[variable] = { min, max };
  }
  return { featureMeans, ranges };
}

const EPSILON = 1e-6;
/** logit of a float32 probability, kept finite at 0 and 1. */
export const logit = (p: number) => {
  const q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
  return Math.log(q) - Math.log(1 - q);
};

/** Exact contributions of a logistic model's features to the calibrated log-odds of `row`. */
export function linearContributions(
  terms: LinearTerms,
  calibration: PlattCalibration,
  row: ArrayLike<number>
): Float64Array {
  const { fround } = Math;
  return Float64Array.from(
    { length: row.length },
    // float32 at each step, as the graph's Sub and Mul compute.
    (_, f) => calibration.slope * fround(fround(row[f] - terms.mean[f]) * terms.scale[f]) * terms.weights[f]
  );
}

/** Occlusion contributions of every feature of `row` (probability `probability`), one model run of F rows. */
export async function occlusionContributions(
  score: ProblemScorer,
  row: Float32Array,
  probability: number,
  featureMeans: readonly number[]
): Promise<Float64Array> {
  const F = row.length;
  const variants = new Float32Array(F * F);
  for (let f = 0; f < F; f++) {
    variants.set(row, f * F);
    variants[f * F + f] = featureMeans[f];
  }
  const occluded = await score(variants);
  const base = logit(probability);
  return Float64Array.from({ length: F }, (_, f) => base - logit(occluded[f]));
}

/** The features that raised the probability most (positive contributions), strongest first, weights rounded to 0.001. */
export function topFactors(names: readonly string[], contributions: ArrayLike<number>, count = 3): Explanation[] {
  return Array.from({ length: contributions.length }, (_, f) => ({ feature: names[f], weight: contributions[f] }))
    .filter((e) => e.weight > 0)
    .sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1))
    .slice(0, count)
    .map((e) => ({ feature: e.feature, weight: Math.round(e.weight * 1000) / 1000 }));
}

/**
 * The controllable variables ordered by how much their features together raised the probability
 * (the sum of their contributions), most first: where the search for a remedy starts.
 */
export function rankByContribution(
  controllable: readonly string[],
  names: readonly string[],
  contributions: ArrayLike<number>
): string[] {
  const total = new Map(controllable.map((v) => [v, 0]));
  names.forEach((name, f) => {
    const variable = name.slice(0, name.lastIndexOf(':'));
    const sum = total.get(variable);
    if (sum !== undefined) total.set(variable, sum + contributions[f]);
  });
  return [...controllable].sort((a, b) => (total.get(b) ?? 0) - (total.get(a) ?? 0));
}
