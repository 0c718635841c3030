import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/**
 * Data drift of one model input: the current window against the model's training window.
 *
 * The test is chosen as Evidently's defaults choose it (`get_default_stattest`), from the size of
 * the reference and the type of the feature:
 * - reference of at most 1,000 rows: numeric → two-sample Kolmogorov–Smirnov (drift when p < 0.05);
 *   categorical → chi-square (p < 0.05), or a z-test of two proportions when there are two values;
 * - larger references: numeric → Wasserstein distance divided by the reference's standard
 *   deviation (drift when ≥ 0.1); categorical → Jensen–Shannon distance (≥ 0.1).
 * A numeric feature with at most five distinct values is tested like a categorical one, as there.
 * The population stability index is reported beside every test; it does not decide by itself,
 * because with a small window and many categories its ε for empty cells inflates it (the
 * provisioned alert rule pages on `drift_detected`; the dashboard draws `psi` against `ALERT_THRESHOLDS.driftPsi`).
 *
 * Two deliberate differences from Evidently, both where its version cannot run or is undefined:
 * the chi-square is the test of homogeneity of the 2×k table (a value never seen in the reference
 * is a cell of its own instead of an expected count of 0), and the KS p-value is the asymptotic
 * Kolmogorov distribution rather than scipy's exact one for small samples.
 */

/** Reference rows above which the distance tests replace the hypothesis tests. */
export const LARGE_REFERENCE_ROWS = 1000;
/** Significance level of the KS, chi-square and z tests. */
export const P_VALUE_THRESHOLD = 0.05;
/** Wasserstein (normed) and Jensen–Shannon distances at or above this are drift. */
export const DISTANCE_THRESHOLD = 0.1;
/** Numeric features with at most this many distinct values are tested as categories. */
export const FEW_VALUES = 5;
/** PSI bins of a numeric feature: deciles of the reference. */
export const PSI_BINS = 10;
/** The share given to an empty PSI cell (Evidently's 0.0001), so the logarithm stays finite. */
export const PSI_EPSILON = 0.0001;
/** Bins of a numeric feature for the Jensen–Shannon distance: equal widths over both samples (Evidently: 30). */
export const JS_NUMERIC_BINS = 30;

export type DriftMethod = 'ks' | 'chi2' | 'z' | 'wasserstein' | 'jensenshannon';

export interface TestResult {
  statistic: number;
  pValue: number;
}

/** Value counts of a categorical feature. */
export type Counts = Readonly<Record<string, number>>;

export type FeatureSample =
  | { type: 'numeric'; reference: readonly number[]; current: readonly number[]; referenceRows?: number }
  | { type: 'categorical'; reference: Counts; current: Counts };

export interface DriftResult {
  method: DriftMethod;
  statistic: number;
  /** Hypothesis tests only (ks, chi2, z). */
  pValue?: number;
  psi: number;
  /** Rows of the current window. */
  sampleSize: number;
  driftDetected: boolean;
}

const sortedCopy = (values: readonly number[]) => Float64Array.from(values).sort();

function sumOf(counts: Counts): number {
  let total = 0;
  for (const n of Object.values(counts)) total += n;
  return total;
}

/** Keys of both count tables with a count in at least one, in a fixed order. */
function unionKeys(a: Counts, b: Counts): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => (a[k] ?? 0) + (b[k] ?? 0) > 0).sort();
}

/** numpy's default quantile (linear interpolation between order statistics, "type 7"). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

function psiOfShares(reference: readonly number[], current: readonly number[]): number {
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] === 0 ? PSI_EPSILON : reference[i];
    const c = current[i] === 0 ? PSI_EPSILON : current[i];
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** Index of the first edge ≥ x in ascending `edges` (numpy's searchsorted, side 'left'). */
function edgesBelow(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * PSI of a numeric feature over the reference's quantile bins (`bins` equal-frequency bins; tied
 * quantiles merge, so a feature with few values gets fewer bins). A bin holds x with
 * edge[i-1] < x ≤ edge[i]; the outer bins are open.
 */
export function psiNumeric(reference: readonly number[], current: readonly number[], bins = PSI_BINS): number {
  if (reference.length === 0 || current.length === 0) throw new RangeError('psi needs two non-empty samples');
  const sorted = sortedCopy(reference);
  const edges = [...new Set(Array.from({ length: bins - 1 }, (_, i) => quantile(sorted, (i + 1) / bins)))];
  const share = (values: readonly number[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const x of values) counts[edgesBelow(edges, x)]++;
    return counts.map((n) => n / values.length);
  };
  return psiOfShares(share(reference), share(current));
}

/** PSI of a categorical feature, one cell per value seen in either window. */
export function psiCategorical(reference: Counts, current: Counts): number {
  const keys = unionKeys(reference, current);
  const r = sumOf(reference);
  const c = sumOf(current);
  if (r === 0 || c === 0) throw new RangeError('psi needs two non-empty samples');
  return psiOfShares(
    keys.map((k) => (reference[k] ?? 0) / r),
    keys.map((k) => (current[k] ?? 0) / c)
  );
}

/** Survival function of the Kolmogorov distribution, P(K > x) = 2 Σ (−1)^(k−1) e^(−2k²x²) (scipy's kstwobign.sf). */
export function kolmogorovSurvival(x: number): number {
  if (x <= 0) return 1;
  // Below ~0.2 the alternating series converges too slowly; the survival there is 1 to 1e-16.
  if (x < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Two-sample Kolmogorov–Smirnov test: D = sup |F_ref − F_cur|, and the asymptotic p-value
 * P(K > D·√(nm/(n+m))) (scipy's `kstwobign.sf`; close to `ks_2samp`'s exact one from a few hundred rows).
 */
export function ksTwoSample(reference: readonly number[], current: readonly number[]): TestResult {
  const a = sortedCopy(reference);
  const b = sortedCopy(current);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('the KS test needs two non-empty samples');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    // Step past every copy of x in both samples before comparing: ties move both CDFs at once.
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const en = (n * m) / (n + m);
  return { statistic: d, pValue: kolmogorovSurvival(d * Math.sqrt(en)) };
}

/**
 * Chi-square test of homogeneity of the 2×k table (reference counts, current counts) over the
 * values seen in either window (scipy's `chi2_contingency` without Yates' correction). One value
 * only: nothing to compare, p = 1.
 */
export function chiSquareHomogeneity(reference: Counts, current: Counts): TestResult & { dof: number } {
  const keys = unionKeys(reference, current);
  const r = sumOf(reference);
  const c = sumOf(current);
  if (r === 0 || c === 0) throw new RangeError('the chi-square test needs two non-empty samples');
  if (keys.length < 2) return { statistic: 0, pValue: 1, dof: 0 };
  const total = r + c;
  let statistic = 0;
  for (const key of keys) {
    const column = (reference[key] ?? 0) + (current[key] ?? 0);
    for (const [observed, rowTotal] of [
      [reference[key] ?? 0, r],
      [current[key] ?? 0, c],
    ]) {
      const expected = (rowTotal * column) / total;
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  const dof = keys.length - 1;
  return { statistic, pValue: 1 - chisquareCdf(statistic, dof), dof };
}

/**
 * Two-sided z-test of the difference of two proportions (Evidently's `z` test for a feature with
 * two values): the share of the first value (in sorted order) in each window, pooled variance.
 */
export function zTestProportions(reference: Counts, current: Counts): TestResult {
  const keys = unionKeys(reference, current);
  const r = sumOf(reference);
  const c = sumOf(current);
  if (r === 0 || c === 0) throw new RangeError('the z-test needs two non-empty samples');
  if (keys.length < 2) return { statistic: 0, pValue: 1 };
  const p1 = (reference[keys[0]] ?? 0) / r;
  const p2 = (current[keys[0]] ?? 0) / c;
  const pooled = (p1 * r + p2 * c) / (r + c);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / r + 1 / c));
  return { statistic: z, pValue: 2 * (1 - normalCdf(Math.abs(z), 0, 1)) };
}

/** First Wasserstein distance between two empirical distributions: ∫ |F_a − F_b| dx (scipy's `wasserstein_distance`). */
export function wassersteinDistance(a: readonly number[], b: readonly number[]): number {
  const x = sortedCopy(a);
  const y = sortedCopy(b);
  if (x.length === 0 || y.length === 0) throw new RangeError('the Wasserstein distance needs two non-empty samples');
  let i = 0;
  let j = 0;
  let distance = 0;
  let previous = Math.min(x[0], y[0]);
  while (i < x.length || j < y.length) {
    const next = Math.min(i < x.length ? x[i] : Infinity, j < y.length ? y[j] : Infinity);
    distance += Math.abs(i / x.length - j / y.length) * (next - previous);
    while (i < x.length && x[i] === next) i++;
    while (j < y.length && y[j] === next) j++;
    previous = next;
  }
  return distance;
}

/** Population standard deviation (numpy's `std`, ddof 0). */
export function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

/** Wasserstein distance in units of the reference's standard deviation (at least 0.001, as Evidently). */
export function wassersteinNormed(
  reference: readonly number[],
  current: readonly number[],
  referenceStd?: number
): number {
  return wassersteinDistance(reference, current) / Math.max(referenceStd ?? standardDeviation(reference), 0.001);
}

/** Jensen–Shannon distance (natural logarithm, scipy's `jensenshannon`) of two distributions over the same cells. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const ps = p.reduce((s, v) => s + v, 0);
  const qs = q.reduce((s, v) => s + v, 0);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / ps;
    const qi = q[i] / qs;
    const mi = (pi + qi) / 2;
    if (pi > 0) divergence += 0.5 * pi * Math.log(pi / mi);
    if (qi > 0) divergence += 0.5 * qi * Math.log(qi / mi);
  }
  return Math.sqrt(Math.max(0, divergence));
}

/** Jensen–Shannon distance of two count tables, one cell per value. */
export function jensenShannonCategorical(reference: Counts, current: Counts): number {
  const keys = unionKeys(reference, current);
  return jensenShannonDistance(
    keys.map((k) => reference[k] ?? 0),
    keys.map((k) => current[k] ?? 0)
  );
}

/** Jensen–Shannon distance of two numeric samples over `bins` equal-width bins spanning both (numpy's histogram). */
export function jensenShannonNumeric(
  reference: readonly number[],
  current: readonly number[],
  bins = JS_NUMERIC_BINS
): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of [...reference, ...current]) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === hi) return 0;
  const histogram = (values: readonly number[]) => {
    const counts = new Array<number>(bins).fill(0);
    // The last bin is closed on the right, as numpy's.
    for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
    return counts;
  };
  return jensenShannonDistance(histogram(reference), histogram(current));
}

function countsOfNumbers(values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}

/**
 * Tests one feature with the method Evidently's defaults choose for it (see the module comment).
 * `referenceRows` of a numeric feature is the size of the training window when `reference` is a
 * sample of it: the choice of test follows the window, the test runs on the sample.
 */
export function detectDrift(feature: FeatureSample): DriftResult {
  if (feature.type === 'numeric') {
    const { reference, current } = feature;
    const referenceRows = feature.referenceRows ?? reference.length;
    const distinct = new Set([...reference, ...current]).size;
    if (distinct <= FEW_VALUES) {
      return detectDrift({
        type: 'categorical',
        reference: countsOfNumbers(reference),
        current: countsOfNumbers(current),
      });
    }
    const psi = psiNumeric(reference, current);
    if (referenceRows > LARGE_REFERENCE_ROWS) {
      const statistic = wassersteinNormed(reference, current);
      return {
        method: 'wasserstein',
        statistic,
        psi,
        sampleSize: current.length,
        driftDetected: statistic >= DISTANCE_THRESHOLD,
      };
    }
    const ks = ksTwoSample(reference, current);
    return { method: 'ks', ...ks, psi, sampleSize: current.length, driftDetected: ks.pValue < P_VALUE_THRESHOLD };
  }
  const { reference, current } = feature;
  const psi = psiCategorical(reference, current);
  const sampleSize = sumOf(current);
  if (sumOf(reference) > LARGE_REFERENCE_ROWS) {
    const statistic = jensenShannonCategorical(reference, current);
    return { method: 'jensenshannon', statistic, psi, sampleSize, driftDetected: statistic >= DISTANCE_THRESHOLD };
  }
  const test =
    unionKeys(reference, current).length > 2
      ? { method: 'chi2' as const, ...chiSquareHomogeneity(reference, current) }
      : { method: 'z' as const, ...zTestProportions(reference, current) };
  return {
    method: test.method,
    statistic: test.statistic,
    pValue: test.pValue,
    psi,
    sampleSize,
    driftDetected: test.pValue < P_VALUE_THRESHOLD,
  };
}
