/**
 * The forecaster: point forecasts and prediction intervals for the steps after each series.
 *
 * Every choice comes from rolling-origin validation on the history itself; nothing is fixed
 * from the data it will be scored on:
 * 1. Origins: the last `horizon` steps, the `horizon` before them, … (up to MAX_ORIGINS), each
 *    forecast from the values before it, by every candidate (forecastMethods.ts: seasonal
 *    naive, seasonal mean and median, seasonal drift; forecastRidge.ts: three global ridge
 *    models pooled over all series given and a local autoregression per series).
 * 2. Each ridge model's penalty is the one whose validation forecasts scored best over all series.
 * 3. Per series, candidates are ranked by their validation MAE and sMAPE (each relative to the
 *    mean over candidates); the forecast is the mean of the best k. k is chosen over all series
 *    by leave-one-origin-out: rank on the other origins, score on the one left out.
 * 4. Intervals: those left-out errors of the chosen combination, over a per-series scale, give
 *    per-step quantiles pooled over the series (split conformal prediction); the interval is the
 *    forecast ± quantile × scale.
 * Series too short for two origins get the seasonal naive with its textbook interval instead.
 */
import type { LocalMethod } from './forecastMethods';
import { seasonalMean, seasonalMedian, seasonalNaive, seasonalNaiveWithDrift } from './forecastMethods';
import { seasonalScale, smape } from './forecastMetrics';
import type { RidgeDesign } from './forecastRidge';
import { RidgeWindows } from './forecastRidge';

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { abs, ceil, floor, max, min, sqrt } = Math;

export interface ForecastOptions {
  /** Steps to forecast after the last value. */
  horizon: number;
  /** Seasonal periods in steps (24 and 168 for hourly data); empty when the series has none. */
  seasons: readonly number[];
  /** Interval coverage in (0, 1): 0.95 for a 95% interval. */
  level: number;
}

export interface Forecast {
  point: number[];
  lower: number[];
  upper: number[];
  /** The candidate, or `mean(a, b)` of the candidates, that made the point forecast. */
  method: string;
}

export interface ForecastChoice {
  /** How many of the best-ranked candidates each forecast averages. */
  combined: number;
  /** The penalty chosen for each ridge model, per window. */
  penalties: Record<string, number>;
  /** Series forecast through validation (the others are too short and get the fallback). */
  validatedSeries: number;
  /** Interval half-width over the series' scale, at the first and the last step. */
  intervalQuantiles: [number, number];
}

export interface ForecastRun {
  forecasts: Forecast[];
  choice: ForecastChoice;
}

/** Fewer values leave nothing to estimate a spread from. */
export const MIN_HISTORY = 3;
/** Origins per series: seven 48-step origins cover the last two weeks of hourly data. */
export const MAX_ORIGINS = 7;
/** The leave-one-origin-out choice of k tries the means of the best 1 … MAX_COMBINED candidates. */
export const MAX_COMBINED = 4;
/** The ridge models read at most this many lags (two weeks of hourly data): cost grows with its square. */
const MAX_RIDGE_LAGS = 336;
const MIN_RIDGE_LAGS = 8;
/** Penalties per window tried for every ridge model. */
const GLOBAL_PENALTIES = [1e-3, 1e-2, 1e-1, 1, 10];
const LOCAL_PENALTIES = [1e-2, 1e-1, 1];
/** Neighbouring windows overlap almost entirely: every third one is enough for the pooled models. */
const GLOBAL_STRIDE = 3;
/**
 * Errors pooled for each step's interval quantile: neighbouring steps are added until there are this
 * many (a single series has one error per origin and step), enough for a 95% quantile.
 */
const MIN_CALIBRATION_ERRORS = 50;

interface SeriesPlan {
  values: Float64Array;
  /** Validation origins, earliest first; the final origin is values.length. */
  origins: number[];
  nonNegative: boolean;
}

/** Forecasts (or undefined where unavailable) of one candidate: [series][origin index], origin index origins.length = final. */
type CandidateForecasts = Array<Array<Float64Array | undefined>>;

interface Candidate {
  name: string;
  forecasts: CandidateForecasts;
}

/** One series' forecast of the whole run, for a single series: see `forecastMany` for the method. */
export function forecast(values: ArrayLike<number>, options: ForecastOptions): Forecast {
  return forecastMany([values], options).forecasts[0];
}

/**
 * Forecasts every series (they share the global ridge models and the interval calibration, so
 * related series help each other). Throws a RangeError for options or series it cannot use.
 */
export function forecastMany(series: ReadonlyArray<ArrayLike<number>>, options: ForecastOptions): ForecastRun {
  const { horizon, level } = options;
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new RangeError(`the horizon must be a positive integer, got ${horizon}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`the interval level must lie between 0 and 1, got ${level}`);
  const seasons = [...new Set(options.seasons)].sort((a, b) => a - b);
  for (const p of seasons)
    if (!Number.isInteger(p) || p < 2)
      throw new RangeError(`a season must be an integer of at least 2 steps, got ${p}`);
  const shortest = seasons[0] ?? 1;
  const longest = seasons[seasons.length - 1] ?? 1;

  const plans = series.map((raw, i): SeriesPlan => {
    if (raw.length < MIN_HISTORY)
      throw new RangeError(`series ${i} has ${raw.length} values; at least ${MIN_HISTORY} are needed`);
    const values = Float64Array.from(raw);
    let nonNegative = true;
    for (const v of values) {
      if (!Number.isFinite(v)) throw new RangeError(`series ${i} holds a value that is not a finite number`);
      if (v < 0) nonNegative = false;
    }
    // The earliest origin leaves two longest seasons of history, so every candidate can run there.
    const count = min(MAX_ORIGINS, floor((values.length - 2 * max(longest, 2)) / horizon));
    const origins = count >= 2 ? Array.from({ length: count }, (_, k) => values.length - (count - k) * horizon) : [];
    return { values, origins, nonNegative };
  });

  const validated = plans.filter((plan) => plan.origins.length >= 2);
  const candidates =
    validated.length > 0
      ? buildCandidates(validated, seasons, horizon)
      : { list: [], penalties: {}, reference: { smape: 1, mase: 1, shortest } };
  const choice = chooseAndCombine(validated, candidates.list, candidates.reference, level, horizon);

  let v = 0;
  const forecasts = plans.map((plan) => {
    if (plan.origins.length < 2) return fallbackForecast(plan, seasons, horizon, level);
    return choice.forecasts[v++];
  });
  return {
    forecasts,
    choice: {
      combined: choice.combined,
      penalties: candidates.penalties,
      validatedSeries: validated.length,
      intervalQuantiles: choice.quantiles,
    },
  };
}

function localMethods(seasons: readonly number[]): LocalMethod[] {
  if (seasons.length === 0) return [seasonalNaive(1), seasonalMedian(1, 7), seasonalNaiveWithDrift(1)];
  const shortest = seasons[0];
  const longest = seasons[seasons.length - 1];
  return [
    ...seasons.map(seasonalNaive),
    seasonalMean(longest, 2),
    seasonalMedian(shortest, 7),
    seasonalNaiveWithDrift(shortest),
  ];
}

/** Every candidate's forecasts at every origin of every validated series. */
function buildCandidates(
  plans: readonly SeriesPlan[],
  seasons: readonly number[],
  horizon: number
): { list: Candidate[]; penalties: Record<string, number>; reference: ScoreReference } {
  const list: Candidate[] = [];
  for (const method of localMethods(seasons)) {
    list.push({
      name: method.name,
      forecasts: plans.map((plan) =>
        [...plan.origins, plan.values.length].map((end) =>
          plan.origins[0] >= method.minLength ? clip(plan, method.forecast(plan.values, end, horizon)) : undefined
        )
      ),
    });
  }
  const shortest = seasons[0] ?? 1;
  const longest = seasons[seasons.length - 1] ?? 1;
  const naive = list.find((c) => c.name === seasonalNaive(shortest).name) as Candidate;
  const reference = seasonalNaiveReference(plans, naive, shortest);
  const lags = min(MAX_RIDGE_LAGS, max(longest, 2 * shortest, MIN_RIDGE_LAGS));
  const base = { lags, scalePeriod: shortest, stride: GLOBAL_STRIDE };
  const global: Array<[string, RidgeDesign]> = [
    ['ridge-global-level', { ...base, normalisation: 'level', normWindow: lags, basePeriod: 0 }],
    [
      'ridge-global-seasonal',
      { ...base, normalisation: 'seasonal-difference', normWindow: 2 * lags, basePeriod: shortest },
    ],
    ['ridge-global-deviation', { ...base, normalisation: 'deviation', normWindow: lags, basePeriod: shortest }],
  ];
  const penalties: Record<string, number> = {};
  for (const [name, design] of global) {
    const fitted = fitGlobalRidge(plans, design, horizon, reference);
    if (!fitted) continue;
    list.push({ name, forecasts: fitted.forecasts });
    penalties[name] = fitted.penalty;
  }
  const localLags = min(MAX_RIDGE_LAGS, max(2 * shortest, MIN_RIDGE_LAGS));
  const local = fitLocalRidge(
    plans,
    {
      lags: localLags,
      normalisation: 'seasonal-difference',
      normWindow: max(2 * longest, localLags),
      basePeriod: shortest,
      scalePeriod: shortest,
      stride: 1,
    },
    horizon,
    reference
  );
  list.push({ name: 'ridge-local', forecasts: local.forecasts });
  penalties['ridge-local'] = local.penalty;
  return { list, penalties, reference };
}

/** Validation origins of all plans, as (series, origin index) pairs. */
function* validationPairs(plans: readonly SeriesPlan[]): Generator<[number, number]> {
  for (let i = 0; i < plans.length; i++) for (let k = 0; k < plans[i].origins.length; k++) yield [i, k];
}

/** What validation scores are measured against: the seasonal naive's mean sMAPE and MASE at the same origins. */
interface ScoreReference {
  smape: number;
  mase: number;
  /** The season of the MASE scale. */
  shortest: number;
}

/**
 * Pooled validation score of forecasts: mean sMAPE over that of the seasonal naive plus mean
 * MASE over that of the seasonal naive (M4's OWA without the halves). Lower is better.
 */
class PooledScore {
  private smapeSum = 0;
  private maseSum = 0;
  private count = 0;

  constructor(private readonly reference: ScoreReference) {}

  add(plan: SeriesPlan, originIndex: number, forecast: ArrayLike<number>): void {
    const end = plan.origins[originIndex];
    const actual = plan.values.subarray(end, end + forecast.length);
    this.smapeSum += smape(actual, forecast);
    this.maseSum += meanAbsoluteError(actual, forecast) / robustScale(plan.values, end, this.reference.shortest);
    this.count++;
  }

  get value(): number {
    if (this.count === 0) return Number.POSITIVE_INFINITY;
    const s = this.smapeSum / this.count / (this.reference.smape || 1);
    const m = this.maseSum / this.count / (this.reference.mase || 1);
    return s + m;
  }

  /** These forecasts as the reference of other scores. */
  asReference(): ScoreReference {
    return { smape: this.smapeSum / this.count, mase: this.maseSum / this.count, shortest: this.reference.shortest };
  }
}

/** The seasonal naive of the shortest season (always a candidate, always eligible) as the score reference. */
function seasonalNaiveReference(plans: readonly SeriesPlan[], naive: Candidate, shortest: number): ScoreReference {
  const score = new PooledScore({ smape: 1, mase: 1, shortest });
  for (const [i, k] of validationPairs(plans)) {
    const f = naive.forecasts[i][k];
    if (f) score.add(plans[i], k, f);
  }
  return score.asReference();
}

function meanAbsoluteError(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += abs(actual[i] - forecast[i]);
  return sum / actual.length;
}

/** The MASE scale of y[0 … end): seasonal, else step-to-step, else the level, else 1: never 0. */
function robustScale(y: Float64Array, end: number, period: number): number {
  const history = y.subarray(0, end);
  const seasonal = seasonalScale(history, period);
  if (seasonal > 0) return seasonal;
  const stepwise = seasonalScale(history, 1);
  if (stepwise > 0) return stepwise;
  let level = 0;
  for (const v of history) level += abs(v);
  return level > 0 ? level / end : 1;
}

function clip(plan: SeriesPlan, forecast: Float64Array): Float64Array {
  if (plan.nonNegative) for (let h = 0; h < forecast.length; h++) forecast[h] = max(0, forecast[h]);
  return forecast;
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/**
 * One ridge model over the windows of all series: the accumulator grows origin by origin (the
 * windows of each series whose targets end before its origin), every penalty is solved at every
 * origin, and the penalty with the best pooled validation score is kept.
 */
function fitGlobalRidge(
  plans: readonly SeriesPlan[],
  design: RidgeDesign,
  horizon: number,
  reference: ScoreReference
): { forecasts: CandidateForecasts; penalty: number } | undefined {
  const windows = new RidgeWindows(design, horizon);
  const maxOrigins = max(...plans.map((plan) => plan.origins.length));
  const nextEnd = plans.map(() => windows.firstEnd);
  // byPenalty[p][series][origin index]
  const byPenalty: CandidateForecasts[] = GLOBAL_PENALTIES.map(() =>
    plans.map((plan) => new Array<Float64Array | undefined>(plan.origins.length + 1).fill(undefined))
  );
  // back = how many origins before the final one: maxOrigins … 1 are validation, 0 the final.
  for (let back = maxOrigins; back >= 0; back--) {
    plans.forEach((plan, i) => {
      const originEnd = plan.values.length - back * horizon;
      for (; nextEnd[i] + horizon <= originEnd; nextEnd[i] += design.stride) windows.add(plan.values, nextEnd[i]);
    });
    GLOBAL_PENALTIES.forEach((penalty, p) => {
      const weights = windows.solve(penalty);
      if (!weights) return;
      plans.forEach((plan, i) => {
        const k = plan.origins.length - back;
        if (k < 0) return;
        const end = back === 0 ? plan.values.length : plan.origins[k];
        if (end < windows.firstEnd) return;
        const predicted = clip(plan, windows.predict(weights, plan.values, end));
        if (allFinite(predicted)) byPenalty[p][i][k] = predicted;
      });
    });
  }
  return pickPenalty(plans, byPenalty, GLOBAL_PENALTIES, reference);
}

/** A ridge model per series on its own windows, one penalty for all series chosen like the global one's. */
function fitLocalRidge(
  plans: readonly SeriesPlan[],
  design: RidgeDesign,
  horizon: number,
  reference: ScoreReference
): { forecasts: CandidateForecasts; penalty: number } {
  const byPenalty: CandidateForecasts[] = LOCAL_PENALTIES.map(() => plans.map(() => []));
  plans.forEach((plan, i) => {
    const windows = new RidgeWindows(design, horizon);
    let nextEnd = windows.firstEnd;
    [...plan.origins, plan.values.length].forEach((end, k) => {
      for (; nextEnd + horizon <= end; nextEnd += design.stride) windows.add(plan.values, nextEnd);
      LOCAL_PENALTIES.forEach((penalty, p) => {
        const weights = windows.solve(penalty);
        const predicted = weights && clip(plan, windows.predict(weights, plan.values, end));
        byPenalty[p][i][k] = predicted && allFinite(predicted) ? predicted : undefined;
      });
    });
  });
  return (
    pickPenalty(plans, byPenalty, LOCAL_PENALTIES, reference) ?? {
      forecasts: byPenalty[0],
      penalty: LOCAL_PENALTIES[0],
    }
  );
}

/** The penalty whose forecasts score best over every validation origin where all penalties have one. */
function pickPenalty(
  plans: readonly SeriesPlan[],
  byPenalty: CandidateForecasts[],
  penalties: readonly number[],
  reference: ScoreReference
): { forecasts: CandidateForecasts; penalty: number } | undefined {
  let best: { forecasts: CandidateForecasts; penalty: number; score: number } | undefined;
  byPenalty.forEach((forecasts, p) => {
    const score = new PooledScore(reference);
    for (const [i, k] of validationPairs(plans)) {
      const f = forecasts[i][k];
      if (f) score.add(plans[i], k, f);
    }
    if (score.value < (best?.score ?? Number.POSITIVE_INFINITY))
      best = { forecasts, penalty: penalties[p], score: score.value };
  });
  return best && { forecasts: best.forecasts, penalty: best.penalty };
}

interface Combination {
  forecasts: Forecast[];
  combined: number;
  quantiles: [number, number];
}

/** Per series, each candidate's MAE and sMAPE at each validation origin (undefined: not eligible). */
function validationErrors(plan: SeriesPlan, i: number, candidates: readonly Candidate[]) {
  return candidates.map((candidate) => {
    const forecasts = candidate.forecasts[i];
    if (forecasts.some((f) => f === undefined)) return undefined;
    return plan.origins.map((end, k) => {
      const f = forecasts[k] as Float64Array;
      const actual = plan.values.subarray(end, end + f.length);
      return { mae: meanAbsoluteError(actual, f), smape: smape(actual, f) };
    });
  });
}

type ErrorTable = ReturnType<typeof validationErrors>;

/** Candidate indices, best first, by MAE and sMAPE on `origins` (each over its mean across candidates). */
function rank(errors: ErrorTable, origins: readonly number[]): number[] {
  const eligible = errors.flatMap((e, c) => (e ? [c] : []));
  const mean = (c: number, key: 'mae' | 'smape') =>
    origins.reduce((sum, k) => sum + (errors[c]?.[k][key] ?? 0), 0) / origins.length;
  const mae = new Map(eligible.map((c) => [c, mean(c, 'mae')] as const));
  const sm = new Map(eligible.map((c) => [c, mean(c, 'smape')] as const));
  const avgMae = eligible.reduce((s, c) => s + (mae.get(c) ?? 0), 0) / eligible.length;
  const avgSmape = eligible.reduce((s, c) => s + (sm.get(c) ?? 0), 0) / eligible.length;
  const score = (c: number) =>
    (avgMae > 0 ? (mae.get(c) ?? 0) / avgMae : 0) + (avgSmape > 0 ? (sm.get(c) ?? 0) / avgSmape : 0);
  return eligible
    .map((c) => [c, score(c)] as const)
    .sort((a, b) => a[1] - b[1] || a[0] - b[0])
    .map(([c]) => c);
}

function meanOf(forecasts: ReadonlyArray<Float64Array>): Float64Array {
  const out = new Float64Array(forecasts[0].length);
  for (const f of forecasts) for (let h = 0; h < out.length; h++) out[h] += f[h] / forecasts.length;
  return out;
}

function chooseAndCombine(
  plans: readonly SeriesPlan[],
  candidates: readonly Candidate[],
  reference: ScoreReference,
  level: number,
  horizon: number
): Combination {
  if (plans.length === 0) return { forecasts: [], combined: 1, quantiles: [0, 0] };
  const { shortest } = reference;
  const errors = plans.map((plan, i) => validationErrors(plan, i, candidates));

  // Leave-one-origin-out forecasts of the mean of the best k, for every k.
  const maxCombined = min(MAX_COMBINED, candidates.length);
  const heldOut: Float64Array[][][] = []; // [k − 1][series][origin index]
  let best = { combined: 1, score: Number.POSITIVE_INFINITY };
  for (let combined = 1; combined <= maxCombined; combined++) {
    const score = new PooledScore(reference);
    const perSeries = plans.map((plan, i) =>
      plan.origins.map((_, k) => {
        const others = plan.origins.map((__, j) => j).filter((j) => j !== k);
        const chosen = rank(errors[i], others).slice(0, combined);
        const f = meanOf(chosen.map((c) => candidates[c].forecasts[i][k] as Float64Array));
        score.add(plan, k, f);
        return f;
      })
    );
    heldOut.push(perSeries);
    if (score.value < best.score) best = { combined, score: score.value };
  }

  const finalRanks = plans.map((plan, i) =>
    rank(
      errors[i],
      plan.origins.map((_, k) => k)
    ).slice(0, best.combined)
  );
  const points = plans.map((plan, i) =>
    meanOf(finalRanks[i].map((c) => candidates[c].forecasts[i][plan.origins.length] as Float64Array))
  );

  // Split conformal intervals on the held-out errors of the chosen combination.
  const scales = plans.map((plan, i) => {
    let sum = 0;
    let count = 0;
    plan.origins.forEach((end, k) => {
      const f = heldOut[best.combined - 1][i][k];
      for (let h = 0; h < horizon; h++, count++) sum += abs(plan.values[end + h] - f[h]);
    });
    const heldOutMae = sum / count;
    const inSample = seasonalScale(plan.values, min(shortest, plan.values.length - 1));
    // Held-out MAE from a few origins is noisy; the in-sample scale steadies it.
    return heldOutMae > 0 && inSample > 0 ? sqrt(heldOutMae * inSample) : max(heldOutMae, inSample, 0);
  });
  const byStep: number[][] = Array.from({ length: horizon }, () => []);
  plans.forEach((plan, i) => {
    if (!(scales[i] > 0)) return;
    plan.origins.forEach((end, k) => {
      const f = heldOut[best.combined - 1][i][k];
      for (let h = 0; h < horizon; h++) byStep[h].push(abs(plan.values[end + h] - f[h]) / scales[i]);
    });
  });
  const quantiles = stepQuantiles(byStep, level);

  const forecasts = plans.map((plan, i): Forecast => {
    const point = Array.from(clip(plan, points[i]));
    const halfWidth = (h: number) => quantiles[h] * scales[i];
    const lower = point.map((p, h) => (plan.nonNegative ? max(0, p - halfWidth(h)) : p - halfWidth(h)));
    const upper = point.map((p, h) => p + halfWidth(h));
    const names = finalRanks[i].map((c) => candidates[c].name);
    return { point, lower, upper, method: names.length === 1 ? names[0] : `mean(${names.join(', ')})` };
  });
  return { forecasts, combined: best.combined, quantiles: [quantiles[0], quantiles[horizon - 1]] };
}

/**
 * The `level` quantile of the scaled absolute errors at each step (conformal rank
 * ⌈level·(n + 1)⌉), adding neighbouring steps until MIN_CALIBRATION_ERRORS errors are pooled.
 */
function stepQuantiles(byStep: readonly number[][], level: number): number[] {
  const horizon = byStep.length;
  return byStep.map((_, h) => {
    let pooled: number[] = [...byStep[h]];
    for (let w = 1; pooled.length < MIN_CALIBRATION_ERRORS && w < horizon; w++) {
      if (h - w >= 0) pooled = pooled.concat(byStep[h - w]);
      if (h + w < horizon) pooled = pooled.concat(byStep[h + w]);
    }
    if (pooled.length === 0) return 0;
    pooled.sort((a, b) => a - b);
    const rankIndex = min(pooled.length, ceil(level * (pooled.length + 1))) - 1;
    return pooled[max(0, rankIndex)];
  });
}

/**
 * The seasonal naive with the textbook interval of a seasonal random walk: ±z·σ·√(k + 1), σ the
 * root mean square of the in-sample seasonal differences, k the whole seasons ahead of the step.
 * (It reproduces the reference figures of ../shared/datasets/m4-hourly/README.md.)
 */
export function seasonalNaiveForecast(
  values: ArrayLike<number>,
  period: number,
  horizon: number,
  level: number
): Omit<Forecast, 'method'> {
  const n = values.length;
  let squares = 0;
  for (let t = period; t < n; t++) squares += (values[t] - values[t - period]) ** 2;
  const sigma = sqrt(squares / (n - period));
  const z = normalQuantile(0.5 + level / 2);
  const point = Array.from(seasonalNaive(period).forecast(values, n, horizon));
  const half = (h: number) => z * sigma * sqrt(floor(h / period) + 1);
  return { point, lower: point.map((p, h) => p - half(h)), upper: point.map((p, h) => p + half(h)) };
}

/** For series too short to validate: the seasonal naive of the longest season that fits twice, else the naive. */
function fallbackForecast(plan: SeriesPlan, seasons: readonly number[], horizon: number, level: number): Forecast {
  const period = [...seasons].reverse().find((p) => plan.values.length >= 2 * p) ?? 1;
  const { point, lower, upper } = seasonalNaiveForecast(plan.values, period, horizon, level);
  const atLeastZero = (v: number) => (plan.nonNegative ? max(0, v) : v);
  return {
    point: point.map(atLeastZero),
    lower: lower.map(atLeastZero),
    upper,
    method: `${seasonalNaive(period).name} (history too short to validate)`,
  };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = 0.02425;
  if (p < tail) {
    const q = sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - tail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
