import { lowerBound } from './rollingWindow';

/**
 * Upper-tail probabilities of a statistic from its own recent history, by peaks over threshold
 * (extreme value theory, as in SPOT: Siffer et al., KDD 2017): empirical below the top `fraction`
 * of the history, a generalised Pareto tail fitted to the excesses (method of moments) beyond it.
 * The shape is kept in [0, 0.9]: a thin tail (shape < 0) would end at a finite value and call
 * anything beyond it impossible, which one unusual week of history must not be able to do.
 */
const MIN_TAIL_POINTS = 5;
const MAX_SHAPE = 0.9;

export interface TailModel {
  /** Threshold: the smallest of the top k. */
  u: number;
  k: number;
  n: number;
  shape: number;
  scale: number;
}

export function fitTail(sorted: ArrayLike<number>, fraction: number): TailModel | undefined {
  const n = sorted.length;
  const k = Math.max(MIN_TAIL_POINTS, Math.ceil(fraction * n));
  if (n < k + 1) return undefined;
  const u = sorted[n - k];
  let sum = 0;
  let sumSq = 0;
  for (let i = n - k; i < n; i++) {
    const excess = sorted[i] - u;
    sum += excess;
    sumSq += excess * excess;
  }
  const mean = sum / k;
  const variance = Math.max(sumSq / k - mean * mean, Number.MIN_VALUE);
  const ratio = (mean * mean) / variance;
  const moment = Math.min(MAX_SHAPE, Math.max(0, 0.5 * (1 - ratio)));
  const shape = moment < 1e-6 ? 0 : moment;
  const momentScale = shape === 0 ? mean : 0.5 * mean * (ratio + 1);
  // A history whose top values are all equal still needs a unit to measure excesses in.
  const scale = Math.max(momentScale, Math.abs(u) * 1e-3, 1e-9);
  return { u, k, n, shape, scale };
}

/** P(statistic >= v) given its sorted history; 1 while the history is too short to say. */
export function tailProbability(
  sorted: ArrayLike<number>,
  v: number,
  fraction: number,
  tail = fitTail(sorted, fraction)
): number {
  if (!tail) return 1;
  const { u, k, n, shape, scale } = tail;
  // Empirical up to u, counting v itself as one more observation (never 0).
  if (v <= u) return (n - lowerBound(sorted, v) + 1) / (n + 1);
  const y = (v - u) / scale;
  const excessTail = shape === 0 ? Math.exp(-y) : Math.pow(1 + shape * y, -1 / shape);
  return ((k + 1) / (n + 1)) * excessTail;
}

/** The statistic's value whose tail probability is p (the inverse of tailProbability beyond u). */
export function tailQuantile(tail: TailModel, p: number): number {
  const { u, k, n, shape, scale } = tail;
  const ratio = (p * (n + 1)) / (k + 1);
  if (ratio >= 1) return u;
  return shape === 0 ? u - scale * Math.log(ratio) : u + (scale / shape) * (Math.pow(ratio, -shape) - 1);
}
