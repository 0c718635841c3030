/**
 * Poisson regression with a ridge penalty, for counts per time step (tickets per hour), and the
 * negative binomial quantiles its prediction intervals are read from.
 *
 * The model is log E[y] = β·x over sparse rows x (calendar dummies, a holiday flag). Rows that
 * share their features are fitted as one (their weights and weighted counts add up), so a year
 * of hourly counts costs as much as the few hundred calendar cells it falls into.
 */
import { choleskySolve } from './cholesky';

const { abs, ceil, exp, floor, log, max, min } = Math;

/** The non-zero features of one row: indices into β and their values. */
export interface SparseRow {
  index: number[];
  value: number[];
}

/** Rows with their weight (observations × recency weight) and weighted count, as `CountDesign.add` sums them. */
export class CountDesign {
  readonly rows: SparseRow[] = [];
  readonly weight: number[] = [];
  readonly count: number[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(readonly dimensions: number) {}

  /** Adds one observation of `count` with weight `weight`; `key` identifies rows with the same features. */
  add(row: SparseRow, key: string, count: number, weight: number): void {
    if (!(weight > 0)) return;
    let at = this.byKey.get(key);
    if (at === undefined) {
      at = this.rows.length;
      this.byKey.set(key, at);
      this.rows.push(row);
      this.weight.push(0);
      this.count.push(0);
    }
    this.weight[at] += weight;
    this.count[at] += weight * count;
  }

  get totalWeight(): number {
    return this.weight.reduce((s, w) => s + w, 0);
  }

  get totalCount(): number {
    return this.count.reduce((s, c) => s + c, 0);
  }
}

/** Linear predictors beyond this are clamped: e^±30 is far past any count a NOC sees. */
const MAX_ETA = 30;
const MAX_ITERATIONS = 50;
const TOLERANCE = 1e-5;

export function linearPredictor(beta: ArrayLike<number>, row: SparseRow): number {
  let eta = 0;
  for (let k = 0; k < row.index.length; k++) eta += beta[row.index[k]] * row.value[k];
  return min(MAX_ETA, max(-MAX_ETA, eta));
}

export function predictMean(beta: ArrayLike<number>, row: SparseRow): number {
  return exp(linearPredictor(beta, row));
}

/**
 * Maximises Σ (Y·η − W·e^η) − ½ Σⱼ penaltyⱼ·βⱼ² by Newton's method with step halving (the
 * objective is concave, so it converges from any start; `start` is a warm start from a nearby
 * penalty). Feature 0 is the intercept and should carry no penalty.
 */
export function fitPoissonRidge(
  design: CountDesign,
  penalty: ArrayLike<number>,
  start?: ArrayLike<number>
): Float64Array {
  const d = design.dimensions;
  const beta = new Float64Array(d);
  if (start) beta.set(start);
  else beta[0] = log((design.totalCount + 0.5) / max(design.totalWeight, 1e-9));
  const hessian = new Float64Array(d * d);
  const gradient = new Float64Array(d);
  let objective = penalisedLoss(design, beta, penalty);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    hessian.fill(0);
    for (let j = 0; j < d; j++) {
      hessian[j * d + j] = penalty[j] + 1e-9;
      gradient[j] = -penalty[j] * beta[j];
    }
    design.rows.forEach((row, r) => {
      const expected = design.weight[r] * predictMean(beta, row);
      const residual = design.count[r] - expected;
      const { index, value } = row;
      for (let a = 0; a < index.length; a++) {
        gradient[index[a]] += value[a] * residual;
        const rowOffset = index[a] * d;
        for (let b = 0; b < index.length; b++) hessian[rowOffset + index[b]] += value[a] * value[b] * expected;
      }
    });
    const step = choleskySolve(hessian, gradient, d);
    if (!step) break;
    let scale = 1;
    let next = beta;
    let nextObjective = objective;
    for (let halving = 0; halving < 30; halving++, scale /= 2) {
      next = beta.map((b, j) => b + scale * step[j]);
      nextObjective = penalisedLoss(design, next, penalty);
      if (nextObjective <= objective + 1e-12 * abs(objective)) break;
    }
    let change = 0;
    for (let j = 0; j < d; j++) change = max(change, abs(next[j] - beta[j]));
    beta.set(next);
    objective = nextObjective;
    if (change < TOLERANCE) break;
  }
  return beta;
}

/** The negative penalised log-likelihood (up to a constant): lower is better. */
function penalisedLoss(design: CountDesign, beta: ArrayLike<number>, penalty: ArrayLike<number>): number {
  let loss = 0;
  design.rows.forEach((row, r) => {
    const eta = linearPredictor(beta, row);
    loss += design.weight[r] * exp(eta) - design.count[r] * eta;
  });
  for (let j = 0; j < beta.length; j++) loss += 0.5 * penalty[j] * beta[j] * beta[j];
  return loss;
}

/** Poisson deviance of one count against its expected value (0 when they agree). */
export function poissonDeviance(count: number, mean: number): number {
  const m = max(mean, 1e-12);
  return 2 * ((count > 0 ? count * log(count / m) : 0) - (count - m));
}

/**
 * Cumulative probabilities P(Y ≤ 0), P(Y ≤ 1), … of Y negative binomial with this mean and variance
 * mean + dispersion·mean² (Poisson when dispersion is 0), until they reach `until`. Walks the
 * probabilities up from 0 in logs, so a mean of thousands neither underflows nor loses the tail.
 */
function cumulative(mean: number, dispersion: number, until: number): number[] {
  const poisson = !(dispersion > 1e-9);
  const r = poisson ? 0 : 1 / dispersion;
  // log P(Y = 0), and the log ratio P(Y = k) / P(Y = k − 1) = log((k − 1 + r)/k · p') per step.
  let logP = poisson ? -mean : r * log(r / (r + mean));
  const logOdds = poisson ? log(mean) : log(mean / (r + mean));
  const cdf = [exp(logP)];
  // The walk ends long before this: a guard against an `until` of 1 or a NaN.
  const limit = 100 + 50 * mean * (1 + dispersion);
  for (let k = 1; cdf[k - 1] < until && k < limit; k++) {
    logP += logOdds + (poisson ? -log(k) : log((k - 1 + r) / k));
    cdf.push(cdf[k - 1] + exp(logP));
  }
  return cdf;
}

/** The smallest k with P(Y ≤ k) ≥ q (see `cumulative` for Y). */
export function countQuantile(mean: number, dispersion: number, q: number): number {
  if (!(mean > 0)) return 0;
  return cumulative(mean, dispersion, q).length - 1;
}

/**
 * Whole-number bounds [lower, upper] of a `level` interval of Y (see `cumulative`). Counts cannot
 * hit 95% exactly (at a mean of 1, P(Y ≤ 2) = 92% and P(Y ≤ 3) = 98%), and at small means the
 * lower tail is out of reach (P(Y = 0) alone is more than 2.5%). So the lower bound leaves the
 * lower tail nearest (1 − level)/2, and the upper bound makes the coverage P(lower ≤ Y ≤ upper)
 * nearest the level: over many steps the coverage stays near the level instead of always above
 * it. The bounds always contain the mean.
 */
export function countInterval(mean: number, dispersion: number, level: number): [number, number] {
  if (!(mean > 0)) return [0, 0];
  const tail = (1 - level) / 2;
  const cdf = cumulative(mean, dispersion, 1 - tail / 4);
  const at = (k: number) => (k < 0 ? 0 : (cdf[k] ?? 1));
  // Lower: P(Y < l) = cdf[l − 1] nearest the tail, among the tail quantile and the number above it.
  let lower = cdf.findIndex((p) => p >= tail);
  if (lower < 0) lower = cdf.length - 1;
  if (abs(at(lower) - tail) < abs(at(lower - 1) - tail)) lower++;
  lower = min(lower, floor(mean));
  const below = at(lower - 1);
  let upper = max(lower, ceil(mean));
  while (upper + 1 < cdf.length && abs(at(upper + 1) - below - level) < abs(at(upper) - below - level)) upper++;
  return [lower, upper];
}
