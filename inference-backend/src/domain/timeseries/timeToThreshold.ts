/**
 * Time until a metric reaches its threshold: a disk's used_percent 100, a PLC's temperature 70 °C.
 *
 * The trend is a straight line or a parabola fitted by weighted least squares to the last stretch
 * (window) of the series. Two kinds of series need two kinds of window:
 * - A steady drift (logs growing a few points a day under a daily cycle): a line over whole days,
 *   so the cycle evens out and the morning rise is not extrapolated for a week.
 * - A change of pace (a disk filling up in two hours, a PLC heating up): a line or a parabola
 *   over the last 15 minutes to 16 hours, since the days before say nothing about it.
 * The series has changed pace when its slope over the last hour is steeper, towards the
 * threshold, than over any earlier hour of the longest day window (15-minute means): then the
 * short windows are the candidates, otherwise the day windows. Among the candidates, rolling-origin
 * validation on the series itself chooses: each is fitted at origins a quarter and a half of its
 * window before the end and scored by its error on the samples after the origin over that of
 * "no change" (the last value); within 10% of the best score, the longest window and then the line
 * win, as the steadier extrapolation.
 *
 * The crossing is where the chosen trend first reaches the threshold after the last sample, within
 * the horizon and EXTRAPOLATION_FACTOR windows (for a drift, of the longest day window it held
 * over). The interval is where the `level` confidence band of the trend reaches it: the least-
 * squares standard error, inflated for the residuals' lag-1 autocorrelation (neighbouring samples
 * of a disk are not independent evidence). It is the uncertainty of the fitted trend, not of the
 * choice of window. When the slow edge of the band does not get there, the trend is not told apart
 * from no trend, and there is no crossing: a flat, falling or noisy series never gets a date
 * centuries away.
 */
import { choleskySolve } from './cholesky';
import { normalQuantile } from './forecast';
import { metricName, MetricSpecError, parseMetricSpecs } from './metricSpec';
import type { MetricSpec } from './metricSpec';

const { abs, max, min, sqrt } = Math;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Which series are watched, and for what: `disk.used_percent>=100`. */
export interface ThresholdRule {
  spec: MetricSpec;
  /** `above`: the metric rises to the value (a disk filling); `below`: it falls to it (a battery). */
  direction: 'above' | 'below';
  value: number;
}

/** What NOCAI_FORECAST_THRESHOLDS is when not set: a disk full, a device at 70 °C. */
export const DEFAULT_THRESHOLD_RULES = 'disk.used_percent>=100,sensors.temperature_c>=70';

/**
 * Parses `measurement.field[{tag=value}]>=value` entries, comma-separated (`>`, `>=`, `<`, `<=`:
 * a trend reaches a value, so `>` and `>=` mean the same). Throws MetricSpecError naming the entry.
 */
export function parseThresholdRules(text: string): ThresholdRule[] {
  const entries = splitOutsideBraces(text)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0)
    throw new MetricSpecError('no threshold given: write measurement.field>=value, e.g. disk.used_percent>=100');
  const rules = entries.map((entry) => {
    const match = /^(.+?)\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$/.exec(entry);
    if (!match) throw new MetricSpecError(`threshold "${entry}" is not measurement.field>=value (or <=, >, <)`);
    const [spec] = parseMetricSpecs(match[1]);
    if (spec.counter) throw new MetricSpecError(`threshold "${entry}": a counter has no level to reach`);
    return { spec, direction: match[2].startsWith('>') ? 'above' : 'below', value: Number(match[3]) } as ThresholdRule;
  });
  const seen = new Set<string>();
  for (const rule of rules) {
    const name = metricName(rule.spec);
    if (seen.has(name)) throw new MetricSpecError(`threshold for ${name} is listed twice (one threshold per metric)`);
    seen.add(name);
  }
  return rules;
}

function splitOutsideBraces(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    if (ch === '}') depth = max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** One point of a series: a raw sample, or the mean of `weight` raw samples (a 15-minute bucket). */
export interface TrendSample {
  timeMs: number;
  value: number;
  weight: number;
}

/** The recent samples of one watched series: a host's metric (and instance: a disk path). */
export interface TrendSeries {
  rule: ThresholdRule;
  host: string;
  /** The disk path of a per-disk metric; '' for per-host ones. */
  instance: string;
  samples: TrendSample[];
}

export interface CrossingOptions {
  /** Confidence of the crossing interval in (0, 1). */
  level: number;
  /** Crossings further than this after the last sample are not reported. */
  horizonMs: number;
}

export type Crossing =
  /** The newest samples are already at or past the threshold. */
  | { kind: 'reached'; atMs: number }
  /** The trend reaches the threshold at atMs, its `level` band between lowerMs and upperMs. */
  | { kind: 'crossing'; atMs: number; lowerMs: number; upperMs: number; model: string }
  | { kind: 'none'; reason: string };

/** Fewer samples in a window leave a parabola nothing to be checked against. */
export const MIN_WINDOW_SAMPLES = 6;
/** A trend is extrapolated at most this many times its window ahead. */
export const EXTRAPOLATION_FACTOR = 8;
/** Windows of a recent change of pace: a line or a parabola. */
export const SHORT_WINDOWS_MS = [15, 30, 60, 120, 240, 480, 960].map((m) => m * MINUTE_MS);
/** Windows of a steady drift, whole days so that a daily cycle evens out: a line only. */
export const LONG_WINDOWS_MS = [1, 2, 4].map((d) => d * DAY_MS);
/** The stretch at the end whose slope decides whether the series left its long trend, and its buckets. */
const DEPARTURE_MS = HOUR_MS;
const DEPARTURE_BUCKET_MS = 15 * MINUTE_MS;
/** Validation origins before the end, in windows of the candidate. */
const VALIDATION_LEADS = [0.25, 0.5];
/** Validation scores this close (relative) to the best count as equally good. */
const SCORE_TOLERANCE = 0.1;
/** Samples at the end whose median decides "already there". */
const RECENT_SAMPLES = 3;

interface Candidate {
  windowMs: number;
  degree: 1 | 2;
}

interface Trend {
  /** Coefficients of 1, τ, τ² with τ = (t − originMs) / windowMs. */
  coefficients: Float64Array;
  /** (XᵀWX)⁻¹ · σ² · autocorrelation inflation: the covariance of the coefficients. */
  covariance: Float64Array;
  originMs: number;
  windowMs: number;
  degree: number;
}

/** When the series reaches `threshold` (see the file comment); samples in any order, non-finite values ignored. */
export function timeToThreshold(
  samples: readonly TrendSample[],
  threshold: { direction: 'above' | 'below'; value: number },
  options: CrossingOptions
): Crossing {
  const sign = threshold.direction === 'above' ? 1 : -1;
  // Oriented so that the threshold is always reached from below.
  const points = samples
    .filter((s) => Number.isFinite(s.value) && Number.isFinite(s.timeMs) && s.weight > 0)
    .map((s) => ({ timeMs: s.timeMs, value: sign * s.value, weight: s.weight }))
    .sort((a, b) => a.timeMs - b.timeMs);
  const target = sign * threshold.value;
  if (points.length < MIN_WINDOW_SAMPLES)
    return { kind: 'none', reason: `${points.length} samples, too few for a trend` };
  const endMs = points[points.length - 1].timeMs;
  const recent = points
    .slice(-RECENT_SAMPLES)
    .map((p) => p.value)
    .sort((a, b) => a - b);
  if (recent[recent.length >> 1] >= target) return { kind: 'reached', atMs: endMs };

  const spanMs = endMs - points[0].timeMs;
  // A window is tried when the data reach back to its earliest validation fit and its nearest
  // validation origin leaves enough samples to score (a 15-minute window needs samples every 2 min).
  const usable = (windowMs: number) =>
    (1 + VALIDATION_LEADS[VALIDATION_LEADS.length - 1]) * windowMs <= spanMs &&
    countWithin(points, endMs - VALIDATION_LEADS[0] * windowMs, endMs) >= MIN_WINDOW_SAMPLES;
  const short = SHORT_WINDOWS_MS.filter(usable).flatMap((windowMs): Candidate[] => [
    { windowMs, degree: 1 },
    { windowMs, degree: 2 },
  ]);
  const long = LONG_WINDOWS_MS.filter(usable).map((windowMs): Candidate => ({ windowMs, degree: 1 }));
  if (short.length === 0 && long.length === 0) return { kind: 'none', reason: 'too short a history for a trend' };
  const referenceMs = long.length > 0 ? long[long.length - 1].windowMs : undefined;
  const departed = referenceMs === undefined || departsFromTrend(points, endMs, referenceMs);
  const pool = (departed && short.length > 0) || long.length === 0 ? short : long;
  const chosen = validate(points, pool, endMs);
  const trend = fitTrend(points, endMs - chosen.windowMs, endMs, chosen.degree);
  if (!trend) return { kind: 'none', reason: 'the samples do not determine a trend' };
  // A long trend that still holds at the end is backed by the whole reference window.
  const backedMs = pool === long && referenceMs !== undefined ? referenceMs : chosen.windowMs;
  const limitMs = min(options.horizonMs, EXTRAPOLATION_FACTOR * backedMs);
  const z = normalQuantile(0.5 + options.level / 2);
  const at = firstReach((t) => evaluate(trend, t), target, endMs, limitMs);
  const model = `${chosen.degree === 1 ? 'linear' : 'quadratic'} trend over the last ${describeSpan(chosen.windowMs)}`;
  if (at === undefined) {
    const slope = evaluate(trend, endMs) - evaluate(trend, endMs - chosen.windowMs);
    return {
      kind: 'none',
      reason: slope <= 0 ? `flat or moving away (${model})` : `not within ${describeSpan(limitMs)} (${model})`,
    };
  }
  const early = firstReach((t) => evaluate(trend, t) + z * standardError(trend, t), target, endMs, limitMs);
  // The slow end of the band must get there too (searched twice as far): otherwise the trend is
  // not told apart from no trend at all, as with a parabola through a few noisy minutes.
  const late = firstReach((t) => evaluate(trend, t) - z * standardError(trend, t), target, endMs, 2 * limitMs);
  if (late === undefined) return { kind: 'none', reason: `not significantly heading there (${model})` };
  return { kind: 'crossing', atMs: at, lowerMs: min(early ?? at, at), upperMs: max(late, at), model };
}

function countWithin(points: readonly TrendSample[], fromMs: number, toMs: number): number {
  let count = 0;
  for (const p of points) if (p.timeMs > fromMs && p.timeMs <= toMs) count++;
  return count;
}

/**
 * Whether the series is moving towards the threshold faster than it ever did in the reference
 * window: the slope of the last DEPARTURE_MS against those of every earlier stretch of the same
 * length. A disk that started filling, a PLC heating up, are unprecedented; the morning rise of a
 * daily cycle, a nightly backup, noise, have been seen before. Slopes are taken over the means of
 * DEPARTURE_BUCKET_MS buckets, so raw recent samples and older bucket means compare alike.
 */
function departsFromTrend(points: readonly TrendSample[], endMs: number, referenceMs: number): boolean {
  const buckets = new Map<number, TrendSample>();
  for (const p of points) {
    if (p.timeMs <= endMs - referenceMs) continue;
    const key = Math.floor(p.timeMs / DEPARTURE_BUCKET_MS);
    const bucket = buckets.get(key) ?? { timeMs: 0, value: 0, weight: 0 };
    bucket.timeMs += p.weight * p.timeMs;
    bucket.value += p.weight * p.value;
    bucket.weight += p.weight;
    buckets.set(key, bucket);
  }
  const means = [...buckets.values()].map((b) => ({
    timeMs: b.timeMs / b.weight,
    value: b.value / b.weight,
    weight: b.weight,
  }));
  const recent = slopeWithin(means, endMs - DEPARTURE_MS, endMs);
  if (recent === undefined || recent <= 0) return false;
  let steepest = Number.NEGATIVE_INFINITY;
  for (let toMs = endMs - DEPARTURE_MS; toMs - DEPARTURE_MS >= endMs - referenceMs; toMs -= DEPARTURE_MS) {
    const slope = slopeWithin(means, toMs - DEPARTURE_MS, toMs);
    if (slope !== undefined) steepest = max(steepest, slope);
  }
  return recent > steepest;
}

/** Weighted least-squares slope (per ms) of the samples in (fromMs, toMs]; undefined with fewer than two times. */
function slopeWithin(points: readonly TrendSample[], fromMs: number, toMs: number): number | undefined {
  let w = 0;
  let wt = 0;
  let wy = 0;
  let wtt = 0;
  let wty = 0;
  for (const p of points) {
    if (p.timeMs <= fromMs || p.timeMs > toMs) continue;
    const t = p.timeMs - toMs;
    w += p.weight;
    wt += p.weight * t;
    wy += p.weight * p.value;
    wtt += p.weight * t * t;
    wty += p.weight * t * p.value;
  }
  const spread = wtt - (wt * wt) / (w || 1);
  if (!(w > 0) || !(spread > 1e-9 * (wtt || 1))) return undefined;
  return (wty - (wt * wy) / w) / spread;
}

/**
 * The candidate whose forecasts beat "no change" by the most. Each candidate is tried at its own
 * scale, from origins a quarter and half a window before the end: its weighted mean
 * absolute error on the samples after the origin, over that of the last value before the origin,
 * averaged over the origins. A short window is judged on the next minutes, a long one on the
 * next days, each against how much the series moved meanwhile.
 */
function validate(points: readonly TrendSample[], candidates: readonly Candidate[], endMs: number): Candidate {
  const scores = candidates.map((candidate) => {
    let score = 0;
    for (const fraction of VALIDATION_LEADS) {
      const originMs = endMs - fraction * candidate.windowMs;
      const trend = fitTrend(points, originMs - candidate.windowMs, originMs, candidate.degree);
      let last: TrendSample | undefined;
      for (const p of points) if (p.timeMs <= originMs) last = p;
      if (!trend || !last) return Number.POSITIVE_INFINITY;
      let error = 0;
      let unchanged = 0;
      for (const p of points) {
        if (p.timeMs <= originMs) continue;
        error += p.weight * abs(p.value - evaluate(trend, p.timeMs));
        unchanged += p.weight * abs(p.value - last.value);
      }
      score += (error + 1e-12) / (unchanged + 1e-12);
    }
    return score / VALIDATION_LEADS.length;
  });
  const best = Math.min(...scores);
  // Scores within SCORE_TOLERANCE of the best are noise apart: the most data (the longest window),
  // then the simpler shape, extrapolates the steadiest.
  let chosen = -1;
  candidates.forEach((candidate, c) => {
    if (!(scores[c] <= best * (1 + SCORE_TOLERANCE))) return;
    const held = candidates[chosen];
    if (
      chosen < 0 ||
      candidate.windowMs > held.windowMs ||
      (candidate.windowMs === held.windowMs && candidate.degree < held.degree)
    )
      chosen = c;
  });
  return candidates[max(0, chosen)];
}

/** Weighted least squares of a polynomial of `degree` in τ over the samples in (fromMs, toMs]. */
function fitTrend(points: readonly TrendSample[], fromMs: number, toMs: number, degree: number): Trend | undefined {
  const d = degree + 1;
  const windowMs = toMs - fromMs;
  const gram = new Float64Array(d * d);
  const cross = new Float64Array(d);
  const used: TrendSample[] = [];
  for (const p of points) {
    if (p.timeMs <= fromMs || p.timeMs > toMs) continue;
    used.push(p);
    const x = basis((p.timeMs - toMs) / windowMs, degree);
    for (let i = 0; i < d; i++) {
      cross[i] += p.weight * x[i] * p.value;
      for (let j = 0; j < d; j++) gram[i * d + j] += p.weight * x[i] * x[j];
    }
  }
  if (used.length < max(MIN_WINDOW_SAMPLES, d + 1)) return undefined;
  const coefficients = choleskySolve(gram, cross, d);
  if (!coefficients) return undefined;
  const trend: Trend = { coefficients, covariance: new Float64Array(d * d), originMs: toMs, windowMs, degree };
  // Residual variance per unit weight, and the lag-1 autocorrelation of the residuals in time order.
  let squares = 0;
  let totalWeight = 0;
  let lagged = 0;
  let plain = 0;
  let previous: number | undefined;
  for (const p of used) {
    const r = p.value - evaluate(trend, p.timeMs);
    squares += p.weight * r * r;
    totalWeight += p.weight;
    plain += r * r;
    if (previous !== undefined) lagged += r * previous;
    previous = r;
  }
  const variance = squares / max(1e-12, totalWeight - d);
  const rho = plain > 0 ? min(0.9, max(0, lagged / plain)) : 0;
  const inflation = (1 + rho) / (1 - rho);
  for (let j = 0; j < d; j++) {
    const unit = new Float64Array(d);
    unit[j] = 1;
    const column = choleskySolve(gram, unit, d);
    if (!column) return undefined;
    for (let i = 0; i < d; i++) trend.covariance[i * d + j] = column[i] * variance * inflation;
  }
  return trend;
}

function basis(tau: number, degree: number): number[] {
  return degree === 1 ? [1, tau] : [1, tau, tau * tau];
}

function evaluate(trend: Trend, timeMs: number): number {
  const x = basis((timeMs - trend.originMs) / trend.windowMs, trend.degree);
  let y = 0;
  for (let i = 0; i < x.length; i++) y += trend.coefficients[i] * x[i];
  return y;
}

function standardError(trend: Trend, timeMs: number): number {
  const x = basis((timeMs - trend.originMs) / trend.windowMs, trend.degree);
  const d = x.length;
  let v = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) v += x[i] * trend.covariance[i * d + j] * x[j];
  return sqrt(max(0, v));
}

/** Scan steps from the end to the limit; the first one that reaches the target is refined by bisection. */
const SCAN_STEPS = 1024;

/** The first time in (endMs, endMs + limitMs] where curve(t) ≥ target, if any. */
function firstReach(
  curve: (timeMs: number) => number,
  target: number,
  endMs: number,
  limitMs: number
): number | undefined {
  if (curve(endMs) >= target) return endMs;
  const step = limitMs / SCAN_STEPS;
  let below = endMs;
  for (let k = 1; k <= SCAN_STEPS; k++) {
    const t = endMs + k * step;
    if (curve(t) < target) {
      below = t;
      continue;
    }
    let above = t;
    // A millisecond's precision is far below what any trend can tell.
    while (above - below > 1000) {
      const middle = (above + below) / 2;
      if (curve(middle) >= target) above = middle;
      else below = middle;
    }
    return Math.round(above);
  }
  return undefined;
}

function describeSpan(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return ms >= HOUR_MS ? `${(ms / HOUR_MS).toFixed(1)} h` : `${Math.round(ms / MINUTE_MS)} min`;
}
