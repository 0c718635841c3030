import type { Explanation } from '@nocai/contract';
import { buildRows, forwardFilled } from './dataset';
import type { EntitySeries, ProblemFeatureSpec, ProblemGrid } from './dataset';
import { predictGbt } from '../mlops/gbt';
import type { GbtModel } from '../mlops/gbt';
import { treeShap } from '../mlops/treeShap';
import { LOG_ODDS_BOUND } from './learners';
import type { PlattCalibration } from './learners';

/**
 * Why a served problem model gave a row its probability (issue 12 point 4): exact SHAP values in
 * the space where the learner is additive, with the base value they start from, so that
 * `base + Σ contributions = output`, the learner's raw output for the row (to float rounding):
 *
 * - gbt: the trees' log-odds (path-dependent TreeSHAP, `treeShap`), before Platt's calibration;
 * - logistic: the log-odds, exactly: feature f contributes w_f·scale_f·(x_f − mean_f) (float32 at
 *   each step, as the graph computes) against the training-mean row, and the base is the bias;
 * - random_forest: the forest's mean leaf value (a probability), by TreeSHAP; the graph then takes
 *   its log-odds, which no additive explanation survives, so the contributions stay in that space.
 *
 * The calibration maps the output to the served probability and is told with every explanation
 * (`calibrationText`): sigmoid(slope · clip(log-odds, ±30) + offset).
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

/** The space a problem model's SHAP values add up in (see above). */
export type ProblemShapSpace = 'log_odds' | 'forest_mean';

/** SHAP values of one row: `base + Σ contributions = output` (the learner's raw output). */
export interface RowShap {
  space: ProblemShapSpace;
  base: number;
  /** The learner's raw output for the row, computed by evaluating the model, not by summing. */
  output: number;
  /** One per feature, in tensor order. */
  contributions: Float64Array;
}

/** Explains one row of a served problem model (its graph's learner, read from the ONNX file). */
export type ProblemExplainer = (row: ArrayLike<number>) => RowShap;

/** What an alert carries: the SHAP values of its row, their space and how the probability follows from them. */
export interface ProblemShap {
  space: ProblemShapSpace;
  base: number;
  output: number;
  /** Every feature's contribution, in the order of the model's features. */
  contributions: number[];
  /** The calibration from `output` to the served probability, in words a reader can recompute. */
  calibration: string;
}

/** Exact contributions of a logistic graph's terms: the base is the bias (the log-odds of the training-mean row). */
export function linearExplainer(terms: LinearTerms): ProblemExplainer {
  const { fround } = Math;
  return (row) => {
    // float32 at each step, as the graph's Sub and Mul compute.
    const contributions = Float64Array.from(
      { length: terms.weights.length },
      (_, f) => fround(fround(row[f] - terms.mean[f]) * terms.scale[f]) * terms.weights[f]
    );
    let output = terms.bias;
    for (let f = 0; f < contributions.length; f++) output += contributions[f];
    return { space: 'log_odds', base: terms.bias, output, contributions };
  };
}

/**
 * Exact path-dependent TreeSHAP of a graph's tree ensemble (a GBT's log-odds, a forest's mean);
 * the output is the ensemble's prediction.
 */
export function treeExplainer(ensemble: GbtModel, space: ProblemShapSpace): ProblemExplainer {
  return (row) => {
    const { base, contributions } = treeShap(ensemble, row);
    return { space, base, output: predictGbt(ensemble, row), contributions };
  };
}

const number = (v: number) => String(Math.round(v * 1e6) / 1e6);

/** The calibration of a model, from the explained output to the probability. */
export function calibrationText(space: ProblemShapSpace, calibration: PlattCalibration, epsilon = 0): string {
  const logOdds = space === 'log_odds' ? 'log_odds' : `logit(clip(forest_mean, ${epsilon}, ${1 - epsilon}))`;
  const offset = calibration.offset < 0 ? ` - ${number(-calibration.offset)}` : ` + ${number(calibration.offset)}`;
  return `probability = sigmoid(${number(calibration.slope)} * clip(${logOdds}, ±${LOG_ODDS_BOUND})${offset})`;
}

/** The features that raised the probability most (positive contributions), strongest first, weights rounded to 0.001. */
export function topFactors(
  names: readonly string[],
  contributions: ArrayLike<number>,
  row?: ArrayLike<number>,
  count = 3
): Explanation[] {
  return Array.from({ length: contributions.length }, (_, f) => ({ f, feature: names[f], weight: contributions[f] }))
    .filter((e) => e.weight > 0)
    .sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1))
    .slice(0, count)
    .map((e) => ({
      feature: e.feature,
      weight: Math.round(e.weight * 1000) / 1000,
      ...(row ? { value: Math.round(row[e.f] * 1000) / 1000 } : {}),
    }));
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
