import { predictGbt, trainGbt } from './gbt';
import type { FeatureMatrix, GbtModel } from './gbt';
import type { SparseMatrix } from './featurizer';
import { trainSoftmaxRegression } from './softmaxRegression';

/**
 * The learners a tabular model chooses from by cross-validation (issue 10): gradient-boosted
 * trees (`gbt.ts`) and a linear baseline on standardised features (ridge regression for a number,
 * multinomial logistic regression, `softmaxRegression.ts`, for a class). Both produce raw outputs
 * the exported ONNX graph computes the same way: one number per row for regression, one logit per
 * class for classification (probabilities are softmax(logits / T), T the calibration).
 */

const { exp, fround, max, sqrt } = Math;

export type LearnerSpec =
  | {
      kind: 'linear';
      /** Ridge: λ of (ZᵀZ/n + λI) on standardised features. Logistic: the inverse strength C. */
      l2: number;
    }
  | {
      kind: 'gbt';
      maxDepth: number;
      nTrees: number;
      learningRate: number;
      minSamplesLeaf: number;
      subsample: number;
      featureFraction: number;
    };

export type GbtSpec = Extract<LearnerSpec, { kind: 'gbt' }>;

export type FittedLearner =
  | {
      kind: 'gbt';
      /**
       * Regression: one squared-loss ensemble. Two classes: one logistic ensemble, the log-odds of
       * the second label. More classes: one logistic ensemble per class, one against the rest.
       */
      ensembles: GbtModel[];
    }
  | {
      kind: 'linear';
      /** Standardisation, part of the graph: z = (x − mean) · scale (scale 0 for a constant feature). */
      mean: Float32Array;
      scale: Float32Array;
      /** Row-major [features, outputs]. */
      weights: Float32Array;
      bias: Float32Array;
    };

export const GBT_MAX_BINS = 64;
/** Logits are kept within ±this before the softmax, in TS and in the graph alike. */
export const LOGIT_BOUND = 30;

/** What the learners fit: a target per row (a number, or a class index) and how many classes. */
export interface LearnerTarget {
  /** Regression: 0. */
  classes: number;
  values: Float64Array;
}

export const outputsOf = (classes: number): number => (classes === 0 ? 1 : classes);

export function gbtFitKey(spec: GbtSpec): string {
  return `gbt:${spec.maxDepth}:${spec.learningRate}:${spec.minSamplesLeaf}:${spec.subsample}:${spec.featureFraction}`;
}

export function describeLearner(spec: LearnerSpec, classification: boolean): string {
  if (spec.kind === 'linear') return classification ? `logistic C=${spec.l2}` : `ridge λ=${spec.l2}`;
  return `GBT depth ${spec.maxDepth}, ${spec.nTrees} trees, rate ${spec.learningRate}`;
}

/** The rows `rows` of a matrix as their own matrix. */
export function selectRows(matrix: FeatureMatrix, rows: readonly number[]): FeatureMatrix {
  const w = matrix.featureCount;
  const values = new Float32Array(rows.length * w);
  rows.forEach((row, k) => values.set(matrix.values.subarray(row * w, (row + 1) * w), k * w));
  return { rowCount: rows.length, featureCount: w, values };
}

/** Trains the trees of a GBT spec (nTrees of them) on `rows`; progress per tree. */
export function fitGbt(
  matrix: FeatureMatrix,
  target: LearnerTarget,
  rows: readonly number[],
  spec: GbtSpec,
  seed: number,
  onTree?: (built: number, total: number) => void
): FittedLearner {
  const x = selectRows(matrix, rows);
  const common = {
    nTrees: spec.nTrees,
    learningRate: spec.learningRate,
    maxDepth: spec.maxDepth,
    minSamplesLeaf: spec.minSamplesLeaf,
    subsample: spec.subsample,
    featureFraction: spec.featureFraction,
    maxBins: GBT_MAX_BINS,
  };
  if (target.classes === 0) {
    const y = Float64Array.from(rows, (r) => target.values[r]);
    return { kind: 'gbt', ensembles: [trainGbt(x, y, { ...common, loss: { kind: 'squared' }, seed, onTree })] };
  }
  const ensembles: GbtModel[] = [];
  const ovr = target.classes === 2 ? [1] : Array.from({ length: target.classes }, (_, k) => k);
  const total = ovr.length * spec.nTrees;
  ovr.forEach((k, e) => {
    const y = Float64Array.from(rows, (r) => (target.values[r] === k ? 1 : 0));
    ensembles.push(
      trainGbt(x, y, {
        ...common,
        loss: { kind: 'logistic' },
        seed: seed + e,
        onTree: onTree ? (built) => onTree(e * spec.nTrees + built, total) : undefined,
      })
    );
  });
  return { kind: 'gbt', ensembles };
}

/** The same ensembles cut to their first `nTrees` trees. */
export function firstTrees(learner: FittedLearner, nTrees: number): FittedLearner {
  if (learner.kind !== 'gbt') return learner;
  return { kind: 'gbt', ensembles: learner.ensembles.map((e) => ({ ...e, trees: e.trees.slice(0, nTrees) })) };
}

/**
 * Raw outputs of the GBT on `rows` after each of `checkpoints` trees (ascending), in one pass
 * over the trees: [checkpoint][rows × outputs]. Scores every tree count of the grid from one fit.
 */
export function gbtCheckpointOutputs(
  learner: Extract<FittedLearner, { kind: 'gbt' }>,
  matrix: FeatureMatrix,
  rows: readonly number[],
  checkpoints: readonly number[],
  classes: number
): Float64Array[] {
  const outputs = outputsOf(classes);
  const w = matrix.featureCount;
  const sums = learner.ensembles.map((e) => new Float64Array(rows.length).fill(e.baseValue));
  const results: Float64Array[] = [];
  let built = 0;
  for (const checkpoint of checkpoints) {
    learner.ensembles.forEach((ensemble, e) => {
      for (let t = built; t < checkpoint && t < ensemble.trees.length; t++) {
        const tree = ensemble.trees[t];
        rows.forEach((row, k) => {
          let node = 0;
          const at = row * w;
          while (tree.feature[node] >= 0) {
            node = matrix.values[at + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
          }
          sums[e][k] += tree.value[node];
        });
      }
    });
    built = checkpoint;
    results.push(assembleGbtOutputs(sums, rows.length, outputs));
  }
  return results;
}

function assembleGbtOutputs(sums: Float64Array[], n: number, outputs: number): Float64Array {
  const out = new Float64Array(n * outputs);
  for (let k = 0; k < n; k++) {
    if (outputs === 2 && sums.length === 1) {
      // Two classes: logits [0, log-odds of the second].
      out[k * 2 + 1] = sums[0][k];
    } else for (let o = 0; o < outputs; o++) out[k * outputs + o] = sums[o][k];
  }
  return out;
}

/** Raw outputs [rows × outputs] of a fitted learner: what the graph's learner part computes. */
export function learnerOutputs(
  learner: FittedLearner,
  matrix: FeatureMatrix,
  rows: readonly number[],
  classes: number
): Float64Array {
  const outputs = outputsOf(classes);
  const w = matrix.featureCount;
  if (learner.kind === 'gbt') {
    const sums = learner.ensembles.map((e) =>
      Float64Array.from(rows, (row) => predictGbt(e, matrix.values.subarray(row * w, (row + 1) * w)))
    );
    return assembleGbtOutputs(sums, rows.length, outputs);
  }
  const out = new Float64Array(rows.length * outputs);
  const z = new Float64Array(w);
  rows.forEach((row, k) => {
    // float32 at each step, as the graph's Sub and Mul compute.
    for (let f = 0; f < w; f++) z[f] = fround(fround(matrix.values[row * w + f] - learner.mean[f]) * learner.scale[f]);
    for (let o = 0; o < outputs; o++) {
      let sum = 0;
      for (let f = 0; f < w; f++) sum += z[f] * learner.weights[f * outputs + o];
      out[k * outputs + o] = sum + learner.bias[o];
    }
  });
  return out;
}

/** Softmax of logits / T per row, logits clipped to ±LOGIT_BOUND as the graph does. */
export function softmaxRows(logits: Float64Array, classes: number, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  const inverse = fround(1 / temperature);
  for (let r = 0; r < logits.length / classes; r++) {
    let m = -Infinity;
    for (let k = 0; k < classes; k++) {
      const z = Math.min(LOGIT_BOUND, Math.max(-LOGIT_BOUND, logits[r * classes + k])) * inverse;
      out[r * classes + k] = z;
      m = max(m, z);
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const e = exp(out[r * classes + k] - m);
      out[r * classes + k] = e;
      sum += e;
    }
    for (let k = 0; k < classes; k++) out[r * classes + k] /= sum;
  }
  return out;
}

/** Mean and scale (1/std, 0 for a constant feature) of `rows`, float32. */
function standardisation(matrix: FeatureMatrix, rows: readonly number[]): { mean: Float32Array; scale: Float32Array } {
  const w = matrix.featureCount;
  const sum = new Float64Array(w);
  for (const row of rows) for (let f = 0; f < w; f++) sum[f] += matrix.values[row * w + f];
  const mean = Float32Array.from(sum, (s) => s / rows.length);
  const squares = new Float64Array(w);
  for (const row of rows) {
    for (let f = 0; f < w; f++) {
      const d = matrix.values[row * w + f] - mean[f];
      squares[f] += d * d;
    }
  }
  const scale = Float32Array.from(squares, (s) => {
    const sd = sqrt(s / rows.length);
    return sd > 1e-9 ? 1 / sd : 0;
  });
  return { mean, scale };
}

/**
 * Sufficient statistics of ridge regression over a block of rows: Σx, Σxxᵀ (upper triangle), Σy,
 * Σxy. Blocks add up, so the folds' training parts cost one pass over the rows in all.
 */
export interface GramBlock {
  rows: number;
  sumX: Float64Array;
  /** Row-major [features × features]; only j ≥ i is filled. */
  sumXX: Float64Array;
  sumY: number;
  sumXY: Float64Array;
}

export function gramBlock(matrix: FeatureMatrix, target: Float64Array, rows: readonly number[]): GramBlock {
  const w = matrix.featureCount;
  const sumX = new Float64Array(w);
  const sumXX = new Float64Array(w * w);
  const sumXY = new Float64Array(w);
  let sumY = 0;
  const x = new Float64Array(w);
  for (const row of rows) {
    for (let f = 0; f < w; f++) x[f] = matrix.values[row * w + f];
    const y = target[row];
    sumY += y;
    for (let i = 0; i < w; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      sumX[i] += xi;
      sumXY[i] += xi * y;
      const base = i * w;
      for (let j = i; j < w; j++) sumXX[base + j] += xi * x[j];
    }
  }
  return { rows: rows.length, sumX, sumXX, sumY, sumXY };
}

export function addGramBlocks(blocks: readonly GramBlock[]): GramBlock {
  const w = blocks[0].sumX.length;
  const out: GramBlock = {
    rows: 0,
    sumX: new Float64Array(w),
    sumXX: new Float64Array(w * w),
    sumY: 0,
    sumXY: new Float64Array(w),
  };
  for (const b of blocks) {
    out.rows += b.rows;
    out.sumY += b.sumY;
    for (let i = 0; i < w; i++) {
      out.sumX[i] += b.sumX[i];
      out.sumXY[i] += b.sumXY[i];
    }
    for (let i = 0; i < w * w; i++) out.sumXX[i] += b.sumXX[i];
  }
  return out;
}

/** Solves A·x = b in place for a symmetric positive definite A (Cholesky); returns x. */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    const root = sqrt(max(d, 1e-12));
    a[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / root;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * y[k];
    y[i] = s / a[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * x[k];
    x[i] = s / a[i * n + i];
  }
  return x;
}

/**
 * Ridge regression from its sufficient statistics: features standardised with the block's own
 * mean and std, (ZᵀZ/n + λI)·w = Zᵀ(y − ȳ)/n, intercept ȳ (not penalised).
 */
export function fitRidge(block: GramBlock, l2: number): FittedLearner {
  const w = block.sumX.length;
  const n = block.rows;
  const mean = new Float64Array(w);
  for (let i = 0; i < w; i++) mean[i] = block.sumX[i] / n;
  const yMean = block.sumY / n;
  const sd = new Float64Array(w);
  for (let i = 0; i < w; i++) {
    const variance = block.sumXX[i * w + i] / n - mean[i] * mean[i];
    sd[i] = variance > 1e-18 ? sqrt(variance) : 0;
  }
  const a = new Float64Array(w * w);
  const b = new Float64Array(w);
  for (let i = 0; i < w; i++) {
    b[i] = sd[i] > 0 ? (block.sumXY[i] / n - mean[i] * yMean) / sd[i] : 0;
    for (let j = i; j < w; j++) {
      const covariance = block.sumXX[i * w + j] / n - mean[i] * mean[j];
      const value = sd[i] > 0 && sd[j] > 0 ? covariance / (sd[i] * sd[j]) : 0;
      a[i * w + j] = value;
      a[j * w + i] = value;
    }
    a[i * w + i] += l2;
  }
  const weights = Float32Array.from(choleskySolve(a, b, w));
  const mean32 = Float32Array.from(mean);
  // The graph centres on the float32 mean: the intercept takes up the rounding.
  let bias = yMean;
  for (let i = 0; i < w; i++) if (sd[i] > 0) bias += (weights[i] * (mean32[i] - mean[i])) / sd[i];
  return {
    kind: 'linear',
    mean: mean32,
    scale: Float32Array.from(sd, (s) => (s > 0 ? 1 / s : 0)),
    weights,
    bias: Float32Array.of(bias),
  };
}

/** Multinomial logistic regression on features standardised over `rows`. */
export function fitLogistic(
  matrix: FeatureMatrix,
  target: LearnerTarget,
  rows: readonly number[],
  C: number,
  labels: readonly string[]
): FittedLearner {
  const { mean, scale } = standardisation(matrix, rows);
  const w = matrix.featureCount;
  const active: number[] = [];
  for (let f = 0; f < w; f++) if (scale[f] > 0) active.push(f);
  const features: SparseMatrix = {
    rows: rows.length,
    cols: w,
    rowPtr: Int32Array.from({ length: rows.length + 1 }, (_, i) => i * active.length),
    indices: new Int32Array(rows.length * active.length),
    values: new Float32Array(rows.length * active.length),
  };
  rows.forEach((row, i) => {
    active.forEach((f, k) => {
      features.indices[i * active.length + k] = f;
      features.values[i * active.length + k] = fround(fround(matrix.values[row * w + f] - mean[f]) * scale[f]);
    });
  });
  const targets = Int32Array.from(rows, (r) => target.values[r]);
  const { model } = trainSoftmaxRegression(
    { features, targets, labels },
    { C, classWeight: 'none', maxIterations: 200 }
  );
  return { kind: 'linear', mean, scale, weights: model.weights, bias: model.bias };
}
