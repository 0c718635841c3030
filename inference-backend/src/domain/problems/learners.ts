import type { ProblemCandidate } from '@nocai/contract';
import { predictGbt, trainGbt } from '../mlops/gbt';
import type { FeatureMatrix, GbtModel } from '../mlops/gbt';
import { fitGbt, fitLogistic, gbtCheckpointOutputs, GBT_MAX_BINS, selectRows } from '../mlops/tabularLearners';

/**
 * The learners a problem's candidates are (issue 12), each reduced to one number per row, the
 * log-odds of the event, which the calibration maps to a probability (`probabilityOf`):
 *
 * - `gbt`: the tabular trainer's gradient-boosted trees (logistic loss);
 * - `logistic`: the tabular trainer's logistic regression on standardised features;
 * - `random_forest`: bagged regression trees on the 0/1 label (bootstrap rows, a random subset of
 *   the features per tree, depth ≤ 6 as the tree builder allows), averaged into a probability p;
 *   its log-odds are log(p / (1 − p)) with p kept within [ε, 1 − ε].
 *
 * Every fitted learner is a plain object the ONNX export (`adapters/onnx/problemModel.ts`) writes
 * as the same arithmetic, so the served graph and `logOdds` agree.
 */

export type ProblemLearnerSpec =
  | { kind: 'gbt'; maxDepth: number; nTrees: number; learningRate: number; minSamplesLeaf: number }
  | { kind: 'logistic'; C: number }
  | { kind: 'random_forest'; maxDepth: number; nTrees: number; minSamplesLeaf: number; featureFraction: number };

export type FittedProblemLearner =
  | { kind: 'gbt'; ensemble: GbtModel }
  | {
      kind: 'logistic';
      /** z = (x − mean) · scale; log-odds = z · weights + bias. */
      mean: number[];
      scale: number[];
      weights: number[];
      bias: number;
    }
  | {
      kind: 'random_forest';
      /** One ensemble whose sum is the mean of the trees (leaf values divided by the tree count). */
      ensemble: GbtModel;
      epsilon: number;
    };

/** Probabilities of a forest are kept this far from 0 and 1 before the log-odds. */
export const FOREST_EPSILON = 1e-3;

/** The candidates' grids, searched by time-series CV inside the training period. */
export const PROBLEM_GRIDS: Record<ProblemCandidate, ProblemLearnerSpec[]> = {
  gbt: [3, 5].flatMap((maxDepth) =>
    [50, 100, 200].map((nTrees) => ({ kind: 'gbt' as const, maxDepth, nTrees, learningRate: 0.1, minSamplesLeaf: 20 }))
  ),
  logistic: [0.01, 0.1, 1, 10].map((C) => ({ kind: 'logistic' as const, C })),
  random_forest: [4, 6].flatMap((maxDepth) =>
    [5, 20].map((minSamplesLeaf) => ({
      kind: 'random_forest' as const,
      maxDepth,
      nTrees: 60,
      minSamplesLeaf,
      featureFraction: 0.5,
    }))
  ),
};

export function describeSpec(spec: ProblemLearnerSpec): string {
  switch (spec.kind) {
    case 'gbt':
      return `GBT depth ${spec.maxDepth}, ${spec.nTrees} trees, rate ${spec.learningRate}`;
    case 'logistic':
      return `logistic regression C=${spec.C}`;
    case 'random_forest':
      return `random forest depth ${spec.maxDepth}, ${spec.nTrees} trees, min leaf ${spec.minSamplesLeaf}`;
  }
}

const target = (labels: Uint8Array) => ({ classes: 2, values: Float64Array.from(labels) });

/** Fits one spec on `rows` of the matrix. */
export function fitProblemLearner(
  matrix: FeatureMatrix,
  labels: Uint8Array,
  rows: readonly number[],
  spec: ProblemLearnerSpec,
  seed: number
): FittedProblemLearner {
  if (spec.kind === 'gbt') {
    const fitted = fitGbt(matrix, target(labels), rows, { ...spec, subsample: 0.8, featureFraction: 1 }, seed);
    if (fitted.kind !== 'gbt') throw new Error('a GBT fit is not a GBT');
    return { kind: 'gbt', ensemble: fitted.ensembles[0] };
  }
  if (spec.kind === 'logistic') {
    const fitted = fitLogistic(matrix, target(labels), rows, spec.C, ['0', '1']);
    if (fitted.kind !== 'linear') throw new Error('a logistic fit is not linear');
    const F = matrix.featureCount;
    // Two softmax outputs: the log-odds of the event is the difference of its logits.
    const weights = Array.from({ length: F }, (_, f) => fitted.weights[f * 2 + 1] - fitted.weights[f * 2]);
    return {
      kind: 'logistic',
      mean: Array.from(fitted.mean),
      scale: Array.from(fitted.scale),
      weights: Array.from(Float32Array.from(weights)),
      bias: Math.fround(fitted.bias[1] - fitted.bias[0]),
    };
  }
  return { kind: 'random_forest', ensemble: fitForest(matrix, labels, rows, spec, seed), epsilon: FOREST_EPSILON };
}

function fitForest(
  matrix: FeatureMatrix,
  labels: Uint8Array,
  rows: readonly number[],
  spec: Extract<ProblemLearnerSpec, { kind: 'random_forest' }>,
  seed: number
): GbtModel {
  // Squared-loss trees on bootstrap samples, averaged: each predicts its leaf's share of events.
  return trainGbt(
    selectRows(matrix, rows),
    Float64Array.from(rows, (r) => labels[r]),
    {
      loss: { kind: 'squared' },
      bagging: true,
      nTrees: spec.nTrees,
      learningRate: 1,
      maxDepth: spec.maxDepth,
      minSamplesLeaf: spec.minSamplesLeaf,
      subsample: 1,
      featureFraction: spec.featureFraction,
      maxBins: GBT_MAX_BINS,
      seed: seed + 1,
    }
  );
}

const logit = (p: number, epsilon: number) => {
  const q = Math.min(1 - epsilon, Math.max(epsilon, p));
  return Math.log(q) - Math.log(1 - q);
};

/** Log-odds of the event for `rows` of the matrix (all rows when absent). */
export function logOdds(learner: FittedProblemLearner, matrix: FeatureMatrix, rows?: readonly number[]): Float64Array {
  const list = rows ?? Array.from({ length: matrix.rowCount }, (_, i) => i);
  const w = matrix.featureCount;
  const out = new Float64Array(list.length);
  if (learner.kind === 'logistic') {
    const { fround } = Math;
    list.forEach((row, k) => {
      let sum = 0;
      for (let f = 0; f < w; f++) {
        // float32 at each step, as the graph's Sub and Mul compute.
        sum += fround(fround(matrix.values[row * w + f] - learner.mean[f]) * learner.scale[f]) * learner.weights[f];
      }
      out[k] = sum + learner.bias;
    });
    return out;
  }
  list.forEach((row, k) => {
    const raw = predictGbt(learner.ensemble, matrix.values.subarray(row * w, (row + 1) * w));
    out[k] = learner.kind === 'gbt' ? raw : logit(raw, learner.epsilon);
  });
  return out;
}

/**
 * Log-odds on `rows` for several GBT tree counts from one fit of the largest (ascending counts):
 * what makes the tree-count axis of the grid cheap.
 */
export function gbtLogOddsByTrees(
  learner: Extract<FittedProblemLearner, { kind: 'gbt' }>,
  matrix: FeatureMatrix,
  rows: readonly number[],
  counts: readonly number[]
): Float64Array[] {
  return gbtCheckpointOutputs({ kind: 'gbt', ensembles: [learner.ensemble] }, matrix, rows, counts, 2).map((pairs) =>
    Float64Array.from({ length: rows.length }, (_, k) => pairs[k * 2 + 1])
  );
}

/**
 * Platt scaling: probability = sigmoid(slope · z + offset) of the learner's log-odds z. A temperature
 * alone (slope only) cannot move the point where the probability is ½, and the learners' raw
 * log-odds are often shifted (a forest's averaged leaves, a model trained on the rows of a
 * different period): the offset corrects that.
 */
export interface PlattCalibration {
  slope: number;
  offset: number;
}

/** Log-odds are clipped to ±this before the calibration, in TypeScript and in the graph alike. */
export const LOG_ODDS_BOUND = 30;

/** The probability of the event from the learner's log-odds, as the exported graph computes it. */
export function probabilityOf(logOddsValue: number, calibration: PlattCalibration): number {
  const z = Math.fround(Math.min(LOG_ODDS_BOUND, Math.max(-LOG_ODDS_BOUND, logOddsValue)));
  return 1 / (1 + Math.exp(-(calibration.slope * z + calibration.offset)));
}

/**
 * Fits Platt's slope and offset to log-odds `z` and 0/1 `labels` by Newton's method on the
 * log-loss, with Platt's smoothed targets ((positives + 1) / (positives + 2) and 1 / (negatives + 2)),
 * so that separable data does not drive the slope to infinity.
 */
export function fitPlatt(z: ArrayLike<number>, labels: ArrayLike<number>): PlattCalibration {
  const n = z.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] ? 1 : 0;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (n - positives + 2);
  const x = Float64Array.from({ length: n }, (_, i) => Math.min(LOG_ODDS_BOUND, Math.max(-LOG_ODDS_BOUND, z[i])));
  const loss = (a: number, b: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const t = labels[i] ? high : low;
      const m = a * x[i] + b;
      // log(1 + e^m) − t·m, computed without overflow.
      sum += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - t * m;
    }
    return sum;
  };
  let slope = 1;
  let offset = 0;
  let current = loss(slope, offset);
  for (let iteration = 0; iteration < 100; iteration++) {
    // Gradient and Hessian of the log-loss in (slope, offset), with a tiny ridge for stability.
    let gA = 0;
    let gB = 0;
    let hAA = 1e-9;
    let hAB = 0;
    let hBB = 1e-9;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-(slope * x[i] + offset)));
      const d = p - (labels[i] ? high : low);
      const w = Math.max(p * (1 - p), 1e-12);
      gA += d * x[i];
      gB += d;
      hAA += w * x[i] * x[i];
      hAB += w * x[i];
      hBB += w;
    }
    const det = hAA * hBB - hAB * hAB;
    if (!(det > 0)) break;
    const stepA = (hBB * gA - hAB * gB) / det;
    const stepB = (hAA * gB - hAB * gA) / det;
    // Newton's step, halved until the loss goes down (far from the optimum it overshoots).
    let scale = 1;
    let next = loss(slope - stepA, offset - stepB);
    while (next > current && scale > 1e-6) {
      scale /= 2;
      next = loss(slope - scale * stepA, offset - scale * stepB);
    }
    if (next > current) break;
    slope -= scale * stepA;
    offset -= scale * stepB;
    const improvement = current - next;
    current = next;
    if (improvement < 1e-12 * Math.max(1, Math.abs(current))) break;
  }
  return { slope: Math.fround(slope), offset: Math.fround(offset) };
}
