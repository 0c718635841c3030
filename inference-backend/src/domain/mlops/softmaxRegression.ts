import type { SparseVector } from './featurizer';

/**
 * Multinomial logistic regression: p = softmax(x·W + b). Weights are float32 because that is
 * what the ONNX graph computes with; the TS forward pass reads the same numbers, so the two
 * agree to float32 rounding.
 */
export interface LinearModel {
  labels: string[];
  dimension: number;
  /** Row-major [dimension, labels.length]: the MatMul's B operand. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface TrainOptions {
  /** L2 penalty on the weights (not the bias), per unit of total sample weight. */
  l2: number;
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** Same seed, same data → same model, bit for bit. */
  seed: number;
  /** `balanced`: each class weighs as much in the loss as any other, whatever its size. */
  classWeight: 'balanced' | 'none';
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  l2: 1e-5,
  learningRate: 0.05,
  epochs: 25,
  batchSize: 32,
  seed: 1,
  classWeight: 'balanced',
};

export interface TrainingSet {
  features: readonly SparseVector[];
  /** Index into `labels` per row. */
  targets: readonly number[];
  labels: readonly string[];
  dimension: number;
  /** How many identical rows each row stands for (deduplicated data); 1 when absent. */
  counts?: readonly number[];
}

/** mulberry32: small, fast and reproducible across platforms. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per-row loss weights: counts × class weight, scaled so they average 1 over the rows' total count. */
function sampleWeights(set: TrainingSet, classWeight: TrainOptions['classWeight']): Float64Array {
  const classes = set.labels.length;
  const totals = new Float64Array(classes);
  let total = 0;
  set.targets.forEach((t, i) => {
    const c = set.counts?.[i] ?? 1;
    totals[t] += c;
    total += c;
  });
  const present = totals.filter((t) => t > 0).length;
  const weights = new Float64Array(set.targets.length);
  set.targets.forEach((t, i) => {
    const c = set.counts?.[i] ?? 1;
    weights[i] = classWeight === 'balanced' ? (c * total) / (present * totals[t]) : c;
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) weights[i] *= set.targets.length / sum;
  return weights;
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < z.length; k++) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    z[k] = Math.exp(z[k] - max);
    sum += z[k];
  }
  for (let k = 0; k < z.length; k++) z[k] /= sum;
}

/**
 * Mini-batch Adam on the weighted cross-entropy. Updates are lazy: a batch touches only the
 * weight rows of the features it contains (with their L2 term), which keeps an epoch
 * proportional to the non-zeros rather than to vocabulary × classes.
 */
export function trainSoftmaxRegression(set: TrainingSet, options: Partial<TrainOptions> = {}): LinearModel {
  const opts = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const C = set.labels.length;
  const V = set.dimension;
  const n = set.features.length;
  if (C < 2) throw new Error('a classifier needs at least two classes');
  const W = new Float64Array(V * C);
  const b = new Float64Array(C);
  const mW = new Float64Array(V * C);
  const vW = new Float64Array(V * C);
  const mb = new Float64Array(C);
  const vb = new Float64Array(C);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const weights = sampleWeights(set, opts.classWeight);
  const random = seededRandom(opts.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const gradW = new Map<number, Float64Array>();
  const gradB = new Float64Array(C);
  const z = new Float64Array(C);
  let step = 0;

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < n; start += opts.batchSize) {
      const end = Math.min(n, start + opts.batchSize);
      gradW.clear();
      gradB.fill(0);
      let batchWeight = 0;
      for (let r = start; r < end; r++) {
        const row = order[r];
        const x = set.features[row];
        const w = weights[row];
        batchWeight += w;
        for (let k = 0; k < C; k++) z[k] = b[k];
        for (let e = 0; e < x.indices.length; e++) {
          const base = x.indices[e] * C;
          const value = x.values[e];
          for (let k = 0; k < C; k++) z[k] += W[base + k] * value;
        }
        softmaxInPlace(z);
        z[set.targets[row]] -= 1;
        for (let k = 0; k < C; k++) gradB[k] += w * z[k];
        for (let e = 0; e < x.indices.length; e++) {
          const column = x.indices[e];
          let g = gradW.get(column);
          if (!g) {
            g = new Float64Array(C);
            gradW.set(column, g);
          }
          const value = x.values[e] * w;
          for (let k = 0; k < C; k++) g[k] += z[k] * value;
        }
      }
      if (batchWeight === 0) continue;
      step++;
      const lr = (opts.learningRate * Math.sqrt(1 - Math.pow(beta2, step))) / (1 - Math.pow(beta1, step));
      for (let k = 0; k < C; k++) {
        const g = gradB[k] / batchWeight;
        mb[k] = beta1 * mb[k] + (1 - beta1) * g;
        vb[k] = beta2 * vb[k] + (1 - beta2) * g * g;
        b[k] -= (lr * mb[k]) / (Math.sqrt(vb[k]) + eps);
      }
      // Map iteration follows insertion order, which follows the shuffled rows: deterministic.
      for (const [column, g] of gradW) {
        const base = column * C;
        for (let k = 0; k < C; k++) {
          const grad = g[k] / batchWeight + opts.l2 * W[base + k];
          mW[base + k] = beta1 * mW[base + k] + (1 - beta1) * grad;
          vW[base + k] = beta2 * vW[base + k] + (1 - beta2) * grad * grad;
          W[base + k] -= (lr * mW[base + k]) / (Math.sqrt(vW[base + k]) + eps);
        }
      }
    }
  }
  return { labels: [...set.labels], dimension: V, weights: Float32Array.from(W), bias: Float32Array.from(b) };
}

/** Class probabilities of one row, in `model.labels` order (the TS twin of the ONNX graph). */
export function predictProbabilities(model: LinearModel, x: SparseVector): number[] {
  const C = model.labels.length;
  const z = new Float64Array(C);
  for (let k = 0; k < C; k++) z[k] = model.bias[k];
  for (let e = 0; e < x.indices.length; e++) {
    const base = x.indices[e] * C;
    for (let k = 0; k < C; k++) z[k] += model.weights[base + k] * x.values[e];
  }
  softmaxInPlace(z);
  return Array.from(z);
}

/** Index of the largest value; the first one on ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}
