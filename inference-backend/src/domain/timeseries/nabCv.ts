import { DEFAULT_ANOMALY_SETTINGS, scoreSeries } from './anomalyDetector';
import type { AnomalyDetectorSettings } from './anomalyDetector';
import { NAB_PROFILES, normaliseScore, optimiseThreshold, scoreCorpusAt, scoreFile, sweepLabels } from './nabScorer';
import type { CorpusScore, NabProfile, ScoredFile, SweptLabels } from './nabScorer';

/**
 * How the detector's settings are chosen and how well the choice generalises: leave-one-series-out
 * cross-validation over NAB-labelled series. For each held-out series, every candidate is run on
 * the other series, NAB's threshold is optimised over them, the candidate with the best total is
 * kept with its threshold (the defaults when they are within one standard error of it), and only then is the held-out series scored with both. The held-out
 * raw scores, summed and normalised, are the honest figure: nothing about a series influenced the
 * setting or the threshold it was scored with. The in-sample figure is NAB's usual procedure
 * (settings and threshold optimised over all series), and its choice is the product's default.
 *
 * The held-out figure usually sits one window below the in-sample one: the in-sample threshold is
 * the score of the weakest window detection worth keeping, and when that window's series is held
 * out, nothing in the other series ties the threshold to that score, so NAB's tie rule (the higher
 * threshold) lifts it just past it and the window is missed. With the defaults that is
 * grok_asg_anomaly's second window (0.387 against 0.3886): all 3.1 points between the two figures.
 */
export interface LabelledSeries {
  name: string;
  timesMs: readonly number[];
  values: readonly number[];
  windowsMs: ReadonlyArray<readonly [number, number]>;
}

export type SettingsCandidate = Partial<AnomalyDetectorSettings>;

/**
 * The candidates, defaults first so that ties keep them: the baseline's length, the level's
 * length, the suppression span, whether routine daily events are discounted, how much an
 * alarm must escalate an episode's best to page again (alarmEpisodes.ts; 1 is the rule before it
 * was added), and whether flat lines are scored (0: the detector before they were). The first four
 * were fixed before any fold was run; every other setting stays at its default.
 */
export const ANOMALY_SETTINGS_GRID: readonly SettingsCandidate[] = (() => {
  const grid: SettingsCandidate[] = [];
  for (const flatlineMinRun of [36, 12, 0])
    for (const escalationRatio of [1.1, 1])
      for (const baselineSamples of [432, 288])
        for (const levelSamples of [12, 6])
          for (const suppressionSamples of [300, 200])
            for (const seasonDays of [3, 0])
              grid.push({
                baselineSamples,
                levelSamples,
                suppressionSamples,
                seasonDays,
                escalationRatio,
                flatlineMinRun,
              });
  return grid;
})();

/** Every candidate's scores for every series: `scores[candidate][series][row]`. */
export function scoreCandidates(
  series: readonly LabelledSeries[],
  candidates: readonly SettingsCandidate[]
): number[][][] {
  return candidates.map((candidate) =>
    series.map((s) => scoreSeries(s.timesMs, s.values, { ...DEFAULT_ANOMALY_SETTINGS, ...candidate }))
  );
}

export interface HeldOutFold {
  name: string;
  /** Index into the candidates, chosen on the other series. */
  candidate: number;
  threshold: number;
  /** The held-out series' raw NAB score with that candidate and threshold. */
  raw: number;
}

export interface LeaveOneSeriesOutReport {
  profile: NabProfile;
  folds: HeldOutFold[];
  /** The held-out raw scores summed and normalised over all windows: the headline. */
  heldOutScore: number;
  /** NAB's procedure over all series: the candidate and threshold chosen on all of them. */
  inSample: CorpusScore;
  chosenOnAll: number;
}

/**
 * The candidate a set of series chooses: the best total after NAB's threshold optimisation, unless
 * the defaults (candidate 0) come within one standard error of it (Breiman's one-standard-error
 * rule). The standard error is that of the total's difference, from the per-series differences
 * between the two candidates, each at its own optimised threshold. With a handful of series, the
 * best of 96 candidates is often best by one window of one series, which a held-out series does
 * not share; a difference that the series do not agree on keeps the defaults.
 */
function bestCandidate(files: (candidate: number) => ScoredFile[], count: number, profile: NabProfile) {
  const cost = NAB_PROFILES[profile];
  let best = { candidate: -1, raw: Number.NEGATIVE_INFINITY, threshold: Number.POSITIVE_INFINITY };
  let defaults = best;
  for (let c = 0; c < count; c++) {
    const optimum = optimiseThreshold(files(c), cost);
    const choice = { candidate: c, raw: optimum.raw, threshold: optimum.threshold };
    if (c === 0) defaults = choice;
    // A tolerance, so that the same total summed in another order still ties (and the earlier wins).
    if (optimum.raw > best.raw + 1e-9) best = choice;
  }
  if (best.candidate <= 0) return best;
  const perSeries = (choice: typeof best) => files(choice.candidate).map((f) => scoreFile(f, cost, choice.threshold).raw);
  const ofBest = perSeries(best);
  const differences = perSeries(defaults).map((raw, i) => ofBest[i] - raw);
  // The same tolerance: a gain made on one series alone equals its standard error, and keeps the defaults.
  return best.raw - defaults.raw <= standardErrorOfSum(differences) + 1e-9 ? defaults : best;
}

/** The standard error of a sum of independent draws, estimated from the draws themselves. */
export function standardErrorOfSum(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = values.reduce((sum, x) => sum + x, 0) / n;
  const variance = values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
  return Math.sqrt(n * variance);
}

/** Leave-one-series-out cross-validation of precomputed candidate scores (at least two series). */
export function leaveOneSeriesOut(
  labels: readonly SweptLabels[],
  scores: readonly (readonly number[][])[],
  profile: NabProfile
): LeaveOneSeriesOutReport {
  if (labels.length < 2) throw new RangeError('leave-one-series-out needs at least two series');
  const all = labels.map((_, i) => i);
  const filesOf = (indices: readonly number[]) => (candidate: number) =>
    indices.map((i): ScoredFile => ({ labels: labels[i], scores: scores[candidate][i] }));
  const folds = all.map((heldOut): HeldOutFold => {
    const choice = bestCandidate(filesOf(all.filter((i) => i !== heldOut)), scores.length, profile);
    const { raw } = scoreFile(
      { labels: labels[heldOut], scores: scores[choice.candidate][heldOut] },
      NAB_PROFILES[profile],
      choice.threshold
    );
    return { name: labels[heldOut].name, candidate: choice.candidate, threshold: choice.threshold, raw };
  });
  const windows = labels.reduce((sum, l) => sum + l.scoredWindows, 0);
  const heldOutRaw = folds.reduce((sum, fold) => sum + fold.raw, 0);
  const onAll = bestCandidate(filesOf(all), scores.length, profile);
  return {
    profile,
    folds,
    heldOutScore: normaliseScore(heldOutRaw, windows, NAB_PROFILES[profile]),
    inSample: scoreCorpusAt(filesOf(all)(onAll.candidate), profile, onAll.threshold),
    chosenOnAll: onAll.candidate,
  };
}

/** The labels of each series swept once, for every candidate and profile. */
export function sweepAll(series: readonly LabelledSeries[]): SweptLabels[] {
  return series.map((s) => sweepLabels({ name: s.name, timesMs: s.timesMs, windowsMs: s.windowsMs }));
}
