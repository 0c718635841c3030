import type { SparseMatrix } from './featurizer';
import { minimise, sampleWeights } from './softmaxRegression';
import type { LinearModel, TrainingSet, TrainOptions } from './softmaxRegression';

/**
 * NB-weighted logistic regression (Wang & Manning 2012, "NBSVM" with a logistic loss): for each
 * class k, every feature is scaled by its naive-Bayes log-count ratio rₖ (how much more often
 * the feature is present in class k's rows than in the others', smoothed), and a one-vs-rest L2
 * logistic regression is fitted on x ⊙ rₖ. Class k's score is wₖ·(x ⊙ rₖ) + bₖ = (wₖ ⊙ rₖ)·x + bₖ:
 * a linear model in x, exported as one, so the ONNX graph and the serving path do not change.
 *
 * The scaling is a prior on the weights: a feature that tells class k apart costs less L2 to use,
 * one present everywhere costs more. Alone it does a little worse than the multinomial regression
 * on tickets; its logits blended with the regression's (`blendLinear`) do better than either on
 * the inner folds, and how much of it, if any, is chosen by cross-validation (textClassifier.ts).
 */
export interface NbLogisticOptions extends Pick<TrainOptions, 'C' | 'maxIterations' | 'tolerance'> {
  /** Added to every feature's presence count in and out of the class (Wang & Manning's α). */
  smoothing: number;
}

export const DEFAULT_NB_LOGISTIC_OPTIONS: NbLogisticOptions = {
  C: 10,
  maxIterations: 100,
  tolerance: 1e-3,
  smoothing: 1,
};

const { exp, log, log1p } = Math;

/** Log-count ratios, row-major [features, classes]: log((pₖ/‖pₖ‖₁) / (qₖ/‖qₖ‖₁)) of binarised counts. */
export function logCountRatios(set: TrainingSet, smoothing: number): Float64Array {
  const K = set.labels.length;
  const V = set.features.cols;
  const { rowPtr, indices } = set.features;
  const present = new Float64Array(V * K);
  for (let i = 0; i < set.features.rows; i++) {
    const c = set.counts ? set.counts[i] : 1;
    const k = set.targets[i];
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) present[indices[e] * K + k] += c;
  }
  const everywhere = new Float64Array(V);
  for (let j = 0; j < V; j++) for (let k = 0; k < K; k++) everywhere[j] += present[j * K + k];
  const inTotal = new Float64Array(K);
  const outTotal = new Float64Array(K);
  for (let j = 0; j < V; j++) {
    for (let k = 0; k < K; k++) {
      inTotal[k] += present[j * K + k] + smoothing;
      outTotal[k] += everywhere[j] - present[j * K + k] + smoothing;
    }
  }
  const r = new Float64Array(V * K);
  for (let j = 0; j < V; j++) {
    for (let k = 0; k < K; k++) {
      const p = (present[j * K + k] + smoothing) / inTotal[k];
      const q = (everywhere[j] - present[j * K + k] + smoothing) / outTotal[k];
      r[j * K + k] = log(p / q);
    }
  }
  return r;
}

/**
 * The binary objective of one class, divided by C·S as the multinomial one is: mean weighted
 * log-loss of ±1 targets + ‖w‖² / (2·C·S), bias unpenalised; x = [w (features), b].
 */
function binaryObjective(
  X: SparseMatrix,
  scaled: Float32Array,
  /** +1 for the class's rows, −1 for the others'. */
  sign: Int8Array,
  s: Float64Array,
  S: number,
  l2: number,
  x: Float64Array,
  g: Float64Array
): number {
  const V = X.cols;
  const { rowPtr, indices } = X;
  g.fill(0);
  let loss = 0;
  const b = x[V];
  for (let i = 0; i < X.rows; i++) {
    const si = s[i];
    if (si === 0) continue;
    const from = rowPtr[i];
    const to = rowPtr[i + 1];
    let z = b;
    for (let e = from; e < to; e++) z += x[indices[e]] * scaled[e];
    const y = sign[i];
    // Loss log(1 + e^m), m = −y·z, computed without overflow; its derivative in z is −y·σ(m).
    const m = -y * z;
    loss += si * (m > 0 ? m + log1p(exp(-m)) : log1p(exp(m)));
    const dz = (-y * (si / S)) / (1 + exp(-m));
    g[V] += dz;
    for (let e = from; e < to; e++) g[indices[e]] += dz * scaled[e];
  }
  let penalty = 0;
  for (let j = 0; j < V; j++) {
    penalty += x[j] * x[j];
    g[j] += l2 * x[j];
  }
  return loss / S + 0.5 * l2 * penalty;
}

/** One-vs-rest NB-weighted logistic regression, returned as the linear model x·(W ⊙ R) + b. */
export function trainNbLogistic(set: TrainingSet, options: Partial<NbLogisticOptions> = {}): LinearModel {
  const opts = { ...DEFAULT_NB_LOGISTIC_OPTIONS, ...options };
  const K = set.labels.length;
  const V = set.features.cols;
  if (K < 2) throw new Error('a classifier needs at least two classes');
  const r = logCountRatios(set, opts.smoothing);
  const s = sampleWeights(set, 'none');
  const S = s.reduce((a, b) => a + b, 0);
  if (!(S > 0)) throw new Error('no training row has a positive weight');
  const l2 = 1 / (opts.C * S);
  const { indices, values } = set.features;
  const scaled = new Float32Array(values.length);
  const weights = new Float32Array(V * K);
  const bias = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    for (let e = 0; e < values.length; e++) scaled[e] = values[e] * r[indices[e] * K + k];
    const sign = Int8Array.from({ length: set.features.rows }, (_, i) => (set.targets[i] === k ? 1 : -1));
    const { x } = minimise(V + 1, (at, g) => binaryObjective(set.features, scaled, sign, s, S, l2, at, g), opts);
    for (let j = 0; j < V; j++) weights[j * K + k] = x[j] * r[j * K + k];
    bias[k] = x[V];
  }
  return { labels: [...set.labels], dimension: V, weights, bias };
}

/** The linear model whose logits are (1 − share) × a's + share × b's (same labels and features). */
export function blendLinear(a: LinearModel, b: LinearModel, share: number): LinearModel {
  if (a.dimension !== b.dimension || a.labels.join('\u0000') !== b.labels.join('\u0000')) {
    throw new Error(
      `cannot blend a model of ${a.dimension}×${a.labels.length} with one of ${b.dimension}×${b.labels.length}`
    );
  }
  if (share === 0) return a;
  return {
    ...a,
    weights: Float32Array.from(a.weights, (w, p) => (1 - share) * w + share * b.weights[p]),
    bias: Float32Array.from(a.bias, (w, k) => (1 - share) * w + share * b.bias[k]),
  };
}
