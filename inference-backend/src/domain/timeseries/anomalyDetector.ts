import {
  countsAround,
  createSortedWindow,
  createWindow,
  decodeSorted,
  decodeWindow,
  encodeSorted,
  encodeWindow,
  laggedValue,
  madOfSorted,
  medianOfSorted,
  pushRing,
  pushValue,
  sortedValues,
  windowBytes,
  windowValues,
} from './rollingWindow';
import type { EncodedWindow, RingWindow, SortedWindow, VersionOneWindow } from './rollingWindow';
import { raisesAlarm } from './alarmEpisodes';
import { fitTail, tailProbability, tailQuantile } from './tailFit';

/**
 * The metric anomaly detector (issue 10): online, causal, one state per series.
 *
 * Each sample is scored before it is learnt, from what came before it only:
 *
 * 1. Three statistics of the sample against the series' recent past:
 *    - point: its distance from the baseline's median (the last `baselineSamples`), in robust
 *      units (1.4826·MAD, floored so that a flat baseline does not make every wiggle infinite);
 *    - level: the same distance for the median of the last `levelSamples` samples (level shifts,
 *      bumps that no single sample shows);
 *    - rarity: how few samples of the longer history (`historySamples`) were as high (or as low),
 *      extrapolated beyond the largest and smallest ever seen (values never met before).
 * 2. Each statistic becomes a tail probability against its own history in this series (the last
 *    `calibrationSamples` values of that statistic; a generalised Pareto tail beyond its top
 *    `tailFraction`, tailFit.ts), so a series whose spikes are routine learns that they are. On a
 *    quantised series (values stored at a fixed resolution, such as two decimals: its quantum, the
 *    step its values move in, estimated from the history) the point and level statistics move in
 *    steps of quantum/unit, and a tail narrower than one step is taken as one step wide: a history
 *    of one-step moves does not make the next one- or two-step move extreme. A value the history
 *    holds often is not rare either: a sample at least as rare as x is at least as common as x
 *    itself, so the rarity's tail probability is at least x's frequency in the history (the
 *    fraction within half a quantum of it, seenFrequency; a value never seen keeps its rank's).
 *    Without it, on a series of few values (a two-state signal), the rarity of a common value
 *    drifts with its count above every past value of the statistic, whose tail (that value's
 *    samples, tied but for the drift) has almost no width, and a value seen hundreds of times read
 *    several decades. A statistic is learnt capped at its 10^-5 tail quantile, so that one huge
 *    excursion does not make the next week's anomalies look routine (likewise, the value history
 *    learns a new extreme at most two median-to-extreme distances beyond the current one). The
 *    evidence is the sum of the three −log10 probabilities ("decades"): a sample must be unusual in
 *    more than one way to score high, which is what separates anomalies from the noisiest samples.
 * 3. Routine daily events: when, on each of the last `seasonDays` days, the evidence within
 *    `seasonToleranceMs` of this time of day was at least `seasonExplainedFraction` of today's,
 *    today's is reduced by it (a backup every night at about 03:00 is not an anomaly).
 *    Routine weekly events: likewise when the evidence at the same time of week one week earlier
 *    was at least that fraction of today's, and paged then (WEEKLY_ROUTINE_DECADES; `seasonWeeks`:
 *    a plant's pressure ramp on Monday morning after a quiet weekend, a Sunday-night backup, a
 *    Monday-morning login storm, which the daily rule cannot explain: the days before were quiet
 *    at that hour). When both rules apply, the larger routine is taken out. The week is kept
 *    compact: the largest evidence in each slot of `seasonToleranceMs` (336 slots of 30 minutes),
 *    read at the same slot and its two neighbours one week back; a slot not seen then is no
 *    routine. Slots learn once the value history is full (a model still learning what is ordinary
 *    scores high). One week, not two: a routine pages once, not twice, before it is learnt, and a
 *    changed schedule is learnt in a week; one witness is weaker than the daily rule's three,
 *    hence the alarm level it must have reached.
 *    Flat lines: a run of one exact value (a disk that stopped writing, a stuck sensor) at least
 *    `flatlineMinRun` samples long is scored by how long it is against the runs the series showed
 *    before (the position in its run of each of the last `calibrationSamples` samples; a run is
 *    learnt once it ends), as a tail probability (tailFit.ts) turned into the summed evidence that
 *    has the same chance (three independent statistics), and the sample's evidence is the larger of
 *    the two. As the run goes on it escalates in steps of `escalationRatio`, like any episode.
 * 4. One alarm per episode: a sample only scores when its evidence beats every sample of the last
 *    `suppressionSamples`, by `escalationRatio` times once one of them was evidence (alarmEpisodes.ts);
 *    the rest of an ongoing anomaly scores 0 (NAB credits a window once, for its earliest detection,
 *    and every later alarm is noise to an operator).
 *
 * The score is evidence/(evidence + 10): in [0, 1), 0.5 at ten decades. Gaps (a step over
 * `gapIntervals` typical intervals) keep the time-of-day comparison aligned; counters (found
 * automatically, or forced with `kind`) are scored on their increase per interval, and a
 * decrease (a restart of the counted process) is skipped rather than scored. Missing values
 * (NaN) score 0 and teach nothing.
 *
 * The state is bounded by the window sizes and compact: each window is a fixed-size typed array
 * (rollingWindow.ts: 6 bytes a number where order statistics are needed, 4 for the evidence and
 * score rings), and `encodeState` persists the windows as base64 of their Float32 bytes (a JSON
 * value; `decodeState` also reads version 1 states, whose windows were arrays of numbers).
 * Samples and statistics are rounded to Float32 as they are computed, so that a restored state
 * scores exactly as the one kept in memory.
 */
export interface AnomalyDetectorSettings {
  /** Samples in the baseline whose median and MAD a sample is compared with. */
  baselineSamples: number;
  /** Samples whose median is compared with the baseline (level shifts). */
  levelSamples: number;
  /** Samples of value history whose ranks tell how rare a value is (a week of 5-minute samples). */
  historySamples: number;
  /** Past values of each statistic its tail probabilities are fitted on. */
  calibrationSamples: number;
  /** Fraction of a statistic's history above the tail threshold (peaks over threshold). */
  tailFraction: number;
  /** A new alarm must beat every score of this many samples before it. */
  suppressionSamples: number;
  /** ...and have this many times the evidence of the best of them (1: any increase escalates). */
  escalationRatio: number;
  /** Days whose same time of day must all have been as surprising to explain a sample away; 0: off. */
  seasonDays: number;
  /** How far from the same time of day an earlier event still counts as "the same time". */
  seasonToleranceMs: number;
  /** How much of today's evidence yesterday's must reach to count as routine. */
  seasonExplainedFraction: number;
  /** 1: the same time of week one week earlier can explain a sample away (routine weekly events); 0: off. */
  seasonWeeks: 0 | 1;
  /** Runs of one exact value shorter than this are not scored as flat lines; 0: off. */
  flatlineMinRun: number;
  /** Samples learnt before any score. */
  warmupSamples: number;
  /** A step longer than this many typical intervals is a gap. */
  gapIntervals: number;
  /** 'auto' decides after the warm-up: a series that only ever rose is a counter. */
  kind: 'auto' | 'gauge' | 'counter';
}

/**
 * The six settings of ANOMALY_SETTINGS_GRID are the candidate NAB's procedure picks on the 17 AWS
 * series (nabCv.ts; all 17 leave-one-series-out folds pick it too). The others were set
 * while designing the detector on the same 17 series, so the held-out figure is a little
 * optimistic about them.
 */
export const DEFAULT_ANOMALY_SETTINGS: AnomalyDetectorSettings = {
  baselineSamples: 432,
  levelSamples: 12,
  historySamples: 2016,
  calibrationSamples: 2016,
  tailFraction: 0.02,
  suppressionSamples: 300,
  escalationRatio: 1.1,
  seasonDays: 3,
  seasonToleranceMs: 30 * 60_000,
  seasonExplainedFraction: 0.5,
  seasonWeeks: 1,
  flatlineMinRun: 36,
  warmupSamples: 30,
  gapIntervals: 5,
  kind: 'auto',
};

/** Decades of evidence at which the score is 0.5. */
export const SCORE_HALF_DECADES = 10;
/** The band [lower, upper] holds the values whose point statistic has a tail probability above this. */
const BAND_PROBABILITY = 1e-3;
/**
 * A statistic enters its own history capped at the value whose tail probability is this (chosen on
 * the 17 NAB series: leave-one-series-out 67.26 → 68.01 with the defaults, 63.79 → 68.01 over the
 * grid; 10^-4 and 10^-6 gain too, 10^-3 loses).
 */
const CALIBRATION_CAP_PROBABILITY = 1e-5;
/**
 * How far beyond its extremes the value history learns a new value, in units of the extreme's
 * distance from the median (withinReach; chosen on the 17 NAB series from 0.5, 1, 2, 3, 5 and 10:
 * leave-one-series-out 68.01 → 68.47, and from 68.05 to 68.76 across those: not a knife-edge).
 */
const HISTORY_REACH = 2;
/** Recent step lengths whose median is the typical interval. */
const INTERVAL_MEMORY = 15;
const MAX_DECADES_PER_STATISTIC = 300;
const MAX_STATISTIC = 1e6;
const MS_PER_DAY = 86_400_000;
const MS_PER_WEEK = 7 * MS_PER_DAY;
/**
 * A routine weekly event is one that paged a week ago: evidence at least the live alert level
 * (seriesDetector.ts's LIVE_ALARM_DECADES, itself NAB's threshold for the defaults, 6.3 decades,
 * rounded). One week is a single witness, where the daily rule has three: the largest of the
 * ordinary samples within the slots read (90 at one-minute buckets) often reaches half of a new
 * anomaly's evidence, and would hide it.
 */
const WEEKLY_ROUTINE_DECADES = 6;
/**
 * A sample this many times as far from the median as the newest alarm raises its own
 * (farBeyondLastAlarm): two decades. Not tuned to NAB: on the 17 series 100 changes no score,
 * where 10 and 30 add 5 and 2 false positives (standard 74.01 -> 73.47 and 73.83).
 */
const DISTANCE_ESCALATION = 100;
/** ...when its evidence reaches the live alert level (seriesDetector.ts's LIVE_ALARM_DECADES). */
const DISTANCE_ALARM_DECADES = 6;
/** Two standard deviations' worth of MAD: 1.4826·MAD estimates σ for normal data. */
const MAD_TO_SIGMA = 1.4826;
/** Floors of the point statistic's unit, as fractions of the baseline's and the history's ranges. */
const RANGE_FLOOR = 0.01;
/** Rarity beyond the extremes decays over this fraction of the history's range, at least. */
const RARITY_RANGE_FLOOR = 0.05;
/**
 * The quantum is the lower quartile of the gaps between adjacent distinct values of the history:
 * the resolution a quantised series is stored at (a few values off its grid do not lower it); for a
 * continuous series a fraction of range/historySamples, a step far narrower than any real tail.
 */
const QUANTUM_GAP_QUANTILE = 0.25;
/** The quantum is re-estimated from the history after every sample of the first this many, then every this many. */
const QUANTUM_REFRESH_SAMPLES = 64;
/** A counter that fell this often (decayed fraction of samples) was a gauge after all. */
const COUNTER_FALL_RATE_LIMIT = 0.05;

export interface AnomalyDetectorState {
  version: 2;
  /** Samples learnt (missing values and counter resets excluded). */
  samples: number;
  lastTimeMs: number | null;
  /** Recent step lengths in ms, to find the typical interval. */
  stepsMs: number[];
  kind: 'gauge' | 'counter' | 'undecided';
  /** The last raw value (counters are scored on increases). */
  lastRaw: number | null;
  /** Warm-up tally for 'auto': rises and falls of the raw value. */
  rises: number;
  falls: number;
  /** Decayed fraction of samples at which a counter fell. */
  fallRate: number;
  baseline: SortedWindow;
  history: SortedWindow;
  /** The last levelSamples − 1 values (Float32-rounded). */
  recent: number[];
  /** Past values of the point, level and rarity statistics. */
  calibration: SortedWindow[];
  /** Past evidence in decades, before the seasonal discount, and the ring's capacity. */
  evidence: RingWindow;
  evidenceCapacity: number;
  /** Past scores before suppression. */
  scores: RingWindow;
  /** The history's resolution (quantumOf), re-estimated as it fills and then every QUANTUM_REFRESH_SAMPLES. */
  quantum: number;
  /**
   * Flat lines (absent in states saved before they were scored): the last value scored, how many
   * samples in a row before it had the same value, the evidence the run last escalated to, and
   * each past sample's position in its run (a run enters it when it ends).
   */
  flatline?: FlatlineState;
  /** Routine weekly events (absent in states saved before they were discounted, and while off). */
  weekly?: WeeklyState;
  /**
   * The newest alarm: its distance from the baseline's median and the sample count it was raised
   * at (absent before the first alarm, and in states saved before it was kept).
   */
  lastAlarm?: { distance: number; sample: number };
}

/**
 * The largest evidence (before the seasonal discount) in each slot of `slotMs` (absolute time
 * divided into slots) over the last week and two slots: slot `bucket` is the newest, at lag 1 of
 * `maxima`; the slots one week back and their neighbours are still there.
 */
export interface WeeklyState {
  slotMs: number;
  bucket: number;
  maxima: RingWindow;
}

export interface FlatlineState {
  last: number;
  run: number;
  held: number;
  positions: SortedWindow;
}

export interface AnomalyPoint {
  /** In [0, 1): evidence/(evidence + 10) for a sample that starts or escalates an anomaly, else 0. */
  score: number;
  /** Decades of evidence against this sample being normal, before suppression. */
  evidence: number;
  /** The baseline's median; null until there is one. */
  expected: number | null;
  /** Values in [lower, upper] are not unusual on their own (tail probability above 10^-3). */
  lower: number | null;
  upper: number | null;
}

export function createState(): AnomalyDetectorState {
  return {
    version: 2,
    samples: 0,
    lastTimeMs: null,
    stepsMs: [],
    kind: 'undecided',
    lastRaw: null,
    rises: 0,
    falls: 0,
    fallRate: 0,
    baseline: createSortedWindow(),
    history: createSortedWindow(),
    recent: [],
    calibration: [createSortedWindow(), createSortedWindow(), createSortedWindow()],
    evidence: createWindow(),
    evidenceCapacity: 0,
    scores: createWindow(),
    quantum: 0,
  };
}

/**
 * The step a quantised series' values move in: the lower quartile of the positive gaps between
 * adjacent distinct values of the (sorted) history; 0 with fewer than two distinct values.
 */
export function quantumOf(sorted: ArrayLike<number>): number {
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1]) gaps.push(sorted[i] - sorted[i - 1]);
  if (gaps.length === 0) return 0;
  const ordered = Float64Array.from(gaps).sort();
  return ordered[Math.floor(QUANTUM_GAP_QUANTILE * (ordered.length - 1))];
}

function typicalIntervalMs(state: AnomalyDetectorState): number {
  if (state.stepsMs.length === 0) return 0;
  const sorted = [...state.stepsMs].sort((a, b) => a - b);
  return medianOfSorted(sorted);
}

/**
 * Keeps the same-time-of-day lags of the evidence ring true across a gap: each missing sample
 * counts as one with no evidence. (The level's last samples stay: a level that changed across
 * the gap did change.)
 */
function bridgeGap(state: AnomalyDetectorState, missing: number): void {
  for (let i = 0; i < Math.min(missing, state.evidenceCapacity); i++)
    pushRing(state.evidence, state.evidenceCapacity, 0);
}

/** Learnt statistics start over: the series changed meaning (a counter that was a gauge). */
function restartLearning(state: AnomalyDetectorState): void {
  const fresh = createState();
  Object.assign(state, { ...fresh, lastTimeMs: state.lastTimeMs, stepsMs: state.stepsMs, lastRaw: state.lastRaw });
  delete state.weekly;
}

/**
 * The value the statistics are computed on: the sample itself for a gauge, its increase per
 * typical interval for a counter; undefined when there is nothing to score (first counter
 * sample, a counter reset).
 */
function observedValue(
  state: AnomalyDetectorState,
  raw: number,
  stepMs: number,
  settings: AnomalyDetectorSettings
): number | undefined {
  const previous = state.lastRaw;
  state.lastRaw = raw;
  if (previous !== null && state.kind === 'undecided') {
    if (raw > previous) state.rises++;
    else if (raw < previous) state.falls++;
  }
  if (state.kind === 'undecided' && (settings.kind !== 'auto' || state.samples + 1 >= settings.warmupSamples)) {
    const rising = state.falls === 0 && state.rises >= settings.warmupSamples / 2;
    const kind = settings.kind === 'auto' ? (rising ? 'counter' : 'gauge') : settings.kind;
    // Until now the samples were learnt as a gauge's: a counter's statistics start from its increases.
    if (kind === 'counter') restartLearning(state);
    state.kind = kind;
  }
  if (state.kind !== 'counter') return raw;
  if (previous === null) return undefined;
  const fell = raw < previous;
  state.fallRate += ((fell ? 1 : 0) - state.fallRate) / Math.min(state.samples + 1, 100);
  if (settings.kind === 'auto' && state.fallRate > COUNTER_FALL_RATE_LIMIT && state.samples >= settings.warmupSamples) {
    restartLearning(state);
    state.kind = 'gauge';
    return raw;
  }
  if (fell) return undefined;
  const interval = typicalIntervalMs(state);
  const intervals = interval > 0 && stepMs > 0 ? Math.max(1, stepMs / interval) : 1;
  return (raw - previous) / intervals;
}

/** −log10 of the two-sided rank probability of x in the history, extrapolated past its extremes. */
function rarity(sorted: ArrayLike<number>, x: number, median: number): number {
  const n = sorted.length;
  const { atLeast, atMost } = countsAround(sorted, x);
  let p = (Math.min(atLeast, atMost) + 1) / (n + 1);
  const lowest = sorted[0];
  const highest = sorted[n - 1];
  const floor = Math.max(highest - lowest, Math.abs(median) * 1e-6, 1e-12) * RARITY_RANGE_FLOOR;
  if (x > highest) p *= Math.exp(-(x - highest) / Math.max(highest - median, floor));
  else if (x < lowest) p *= Math.exp(-(lowest - x) / Math.max(median - lowest, floor));
  return Math.min(50, Math.max(0, -Math.log10(Math.min(1, 2 * p))));
}

/**
 * The fraction of the history within half a quantum of x: how often the series took this value
 * (on a quantised series, this step of its grid). 0 for a value the history has not seen.
 */
export function seenFrequency(sorted: ArrayLike<number>, x: number, quantum: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const half = quantum / 2;
  return (countsAround(sorted, x + half).atMost + countsAround(sorted, x - half).atLeast - n) / n;
}

/**
 * The value the history learns: x itself, or, beyond the history's extremes, at most HISTORY_REACH
 * times the extreme's distance from the median further out. One huge spike would otherwise stretch
 * the history's range for a week (the rarity's extrapolation and the unit's floor scale with it) and
 * hide every smaller anomaly; a lasting shift still gets in, the reach growing with each sample.
 */
function withinReach(sorted: ArrayLike<number>, x: number): number {
  const lowest = sorted[0];
  const highest = sorted[sorted.length - 1];
  const median = medianOfSorted(sorted);
  const floor = Math.max(highest - lowest, Math.abs(median) * 1e-6, 1e-12) * RARITY_RANGE_FLOOR;
  const top = highest + HISTORY_REACH * Math.max(highest - median, floor);
  const bottom = lowest - HISTORY_REACH * Math.max(median - lowest, floor);
  return Math.min(top, Math.max(bottom, x));
}

/** P(Gamma(3, 1) ≥ t): the chance that −ln of a product of three independent uniform probabilities reaches t. */
function gamma3Tail(t: number): number {
  return Math.exp(-t) * (1 + t + (t * t) / 2);
}

/** Decades of evidence summed over the three statistics whose chance under independence is p. */
export function evidenceOfProbability(p: number): number {
  if (!(p < 1)) return 0;
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (gamma3Tail(mid) > p) lo = mid;
    else hi = mid;
  }
  return lo / Math.LN10;
}

/**
 * A flat line's evidence (step 3 of the header): the run of x so far against the runs before it.
 * The probability is floored at CALIBRATION_CAP_PROBABILITY (6.8 decades), so that a series
 * that stopped for good pages once or twice, not on every step of an ever longer run.
 */
function flatlineEvidence(state: AnomalyDetectorState, x: number, settings: AnomalyDetectorSettings): number {
  const flat = (state.flatline ??= { last: x, run: -1, held: 0, positions: createSortedWindow() });
  if (x === flat.last) flat.run++;
  else {
    // The run that ended is learnt now, each of its samples at its position in it.
    for (let position = Math.max(0, flat.run + 1 - settings.calibrationSamples); position <= flat.run; position++)
      pushValue(flat.positions, settings.calibrationSamples, position);
    flat.last = x;
    flat.run = 0;
    flat.held = 0;
  }
  const past = sortedValues(flat.positions);
  if (flat.run + 1 < settings.flatlineMinRun || past.length < settings.warmupSamples) return 0;
  const tail = fitTail(past, settings.tailFraction);
  if (!tail) return 0;
  // Positions are whole samples: a history of short runs still has a tail one sample wide.
  tail.scale = Math.max(tail.scale, 1);
  const p = tailProbability(past, flat.run, settings.tailFraction, tail);
  const evidence = evidenceOfProbability(Math.max(CALIBRATION_CAP_PROBABILITY, p));
  // Held until it grows escalationRatio-fold: each step of a lengthening run is an escalation of
  // its episode (alarmEpisodes.ts), where growing a little every sample would be none.
  if (evidence > flat.held * Math.max(1, settings.escalationRatio)) flat.held = evidence;
  return flat.held;
}

const finiteStatistic = (v: number) => (Number.isFinite(v) ? Math.min(MAX_STATISTIC, v) : MAX_STATISTIC);

/**
 * The evidence the same time of day showed on each of the last `seasonDays` days (the least of
 * each day's largest within the tolerance), and learns `evidence`; 0 until the days are known.
 */
function dailyRoutine(state: AnomalyDetectorState, evidence: number, settings: AnomalyDetectorSettings): number {
  const interval = typicalIntervalMs(state);
  if (settings.seasonDays <= 0 || interval <= 0) return 0;
  const period = Math.round(MS_PER_DAY / interval);
  const tolerance = Math.round(settings.seasonToleranceMs / interval);
  const capacity = settings.seasonDays * period + tolerance;
  if (period < 2 * tolerance + 2 || capacity > 20 * settings.historySamples) return 0;
  if (state.evidenceCapacity !== capacity) {
    state.evidence = createWindow();
    state.evidenceCapacity = capacity;
  }
  let routine = 0;
  if (state.evidence.length >= capacity) {
    routine = Number.POSITIVE_INFINITY;
    for (let d = 1; d <= settings.seasonDays; d++) {
      let highest = 0;
      for (let j = -tolerance; j <= tolerance; j++)
        highest = Math.max(highest, laggedValue(state.evidence, d * period + j));
      routine = Math.min(routine, highest);
    }
  }
  pushRing(state.evidence, capacity, evidence);
  return routine;
}

/**
 * The largest evidence of the slot one week before the sample's and of its two neighbours (a slot
 * not seen then counts as 0), and learns `evidence` into the sample's slot. Time, not the count of
 * samples, places the slots, so gaps need no bridging: the slots they skip hold 0.
 */
function weeklyRoutine(
  state: AnomalyDetectorState,
  timeMs: number,
  evidence: number,
  settings: AnomalyDetectorSettings
): number {
  const slotMs = settings.seasonToleranceMs;
  if (settings.seasonWeeks <= 0 || !(slotMs > 0) || slotMs > MS_PER_DAY) {
    delete state.weekly;
    return 0;
  }
  const period = Math.round(MS_PER_WEEK / slotMs);
  const capacity = period + 2;
  const bucket = Math.floor(timeMs / slotMs);
  let week = state.weekly;
  if (!week || week.slotMs !== slotMs) {
    week = state.weekly = { slotMs, bucket, maxima: createWindow() };
    pushRing(week.maxima, capacity, 0);
  }
  const { maxima } = week;
  for (let i = 0; i < Math.min(bucket - week.bucket, capacity); i++) pushRing(maxima, capacity, 0);
  week.bucket = Math.max(week.bucket, bucket);
  let routine = 0;
  // Lag 1 is this slot; lags period, period + 1 and period + 2 are the slots after, at and before it one week back.
  for (let lag = period; lag <= Math.min(period + 2, maxima.length); lag++)
    routine = Math.max(routine, laggedValue(maxima, lag));
  // Learnt once the value history is full: before, the model is still learning what is ordinary
  // and its evidence runs high (the live stage writes no score in a series' first day either).
  if (state.samples >= settings.historySamples) {
    const newest = (maxima.head - 1 + maxima.values.length) % maxima.values.length;
    maxima.values[newest] = Math.max(maxima.values[newest], evidence);
  }
  return routine >= WEEKLY_ROUTINE_DECADES ? routine : 0;
}

/**
 * Discounts evidence that the same time of day showed on each of the last days, or the same time
 * of week one week earlier: by the larger of the two routines, when it is at least
 * `seasonExplainedFraction` of the evidence.
 */
function seasonalDiscount(
  state: AnomalyDetectorState,
  timeMs: number,
  evidence: number,
  settings: AnomalyDetectorSettings
): number {
  const routine = Math.max(dailyRoutine(state, evidence, settings), weeklyRoutine(state, timeMs, evidence, settings));
  if (!(routine > 0) || routine < settings.seasonExplainedFraction * evidence) return evidence;
  return Math.max(0, evidence - routine);
}

/** Scores one sample, then learns it. `timeMs` must not decrease from one call to the next. */
export function update(
  state: AnomalyDetectorState,
  timeMs: number,
  raw: number,
  settings: AnomalyDetectorSettings = DEFAULT_ANOMALY_SETTINGS
): AnomalyPoint {
  if (state.lastTimeMs !== null && timeMs < state.lastTimeMs) {
    throw new RangeError(`samples must come in time order: ${timeMs} after ${state.lastTimeMs}`);
  }
  const stepMs = state.lastTimeMs === null ? 0 : timeMs - state.lastTimeMs;
  const interval = typicalIntervalMs(state);
  if (interval > 0 && stepMs > settings.gapIntervals * interval) bridgeGap(state, Math.round(stepMs / interval) - 1);
  state.lastTimeMs = timeMs;
  if (stepMs > 0) {
    state.stepsMs.push(stepMs);
    if (state.stepsMs.length > INTERVAL_MEMORY) state.stepsMs.shift();
  }

  const baselineSorted = sortedValues(state.baseline);
  const median = baselineSorted.length ? medianOfSorted(baselineSorted) : null;
  const quiet = (): AnomalyPoint => ({ score: 0, evidence: 0, expected: median, lower: median, upper: median });
  if (!Number.isFinite(raw)) return quiet();
  const observed = observedValue(state, raw, stepMs, settings);
  if (observed === undefined) return quiet();
  // As the windows store it (rollingWindow.ts): ties with stored values stay ties.
  const x = Math.fround(observed);

  let evidence = 0;
  let band: Pick<AnomalyPoint, 'expected' | 'lower' | 'upper'> = { expected: median, lower: median, upper: median };
  const ready = median !== null && state.samples >= settings.warmupSamples;
  if (ready) {
    const historySorted = sortedValues(state.history);
    const historyRange = historySorted[historySorted.length - 1] - historySorted[0];
    const baselineRange = baselineSorted[baselineSorted.length - 1] - baselineSorted[0];
    const unit = Math.max(
      MAD_TO_SIGMA * madOfSorted(baselineSorted, median),
      RANGE_FLOOR * baselineRange,
      RANGE_FLOOR * historyRange,
      Math.abs(median) * 1e-6,
      1e-12
    );
    const recent = [...state.recent, x].sort((a, b) => a - b);
    const statistics = [
      finiteStatistic(Math.abs(x - median) / unit),
      finiteStatistic(Math.abs(medianOfSorted(recent) - median) / unit),
      rarity(historySorted, x, medianOfSorted(historySorted)),
    ].map(Math.fround);
    statistics.forEach((statistic, i) => {
      const past = sortedValues(state.calibration[i]);
      const tail = past.length >= settings.warmupSamples ? fitTail(past, settings.tailFraction) : undefined;
      // The point and level statistics of a quantised series move in steps of quantum/unit. A tail
      // narrower than one step (top values all equal: nothing known of its width or shape) is taken
      // as exponential and one step wide, as flat lines' (a history of one-step moves does not make
      // two steps extreme).
      if (tail && i < 2 && tail.scale < state.quantum / unit)
        Object.assign(tail, { shape: 0, scale: state.quantum / unit });
      let p = tail ? tailProbability(past, statistic, settings.tailFraction, tail) : 1;
      // A value the history holds often is not rare, whatever its rank's tail says (step 2 of the header).
      if (i === 2) p = Math.max(p, seenFrequency(historySorted, x, state.quantum));
      evidence += Math.min(MAX_DECADES_PER_STATISTIC, -Math.log10(p));
      if (i === 0) {
        const halfWidth = (tail ? Math.max(tailQuantile(tail, BAND_PROBABILITY), 3) : 3) * unit;
        band = { expected: median, lower: median - halfWidth, upper: median + halfWidth };
      }
      // Learnt capped: the history keeps that the statistic was extreme, not by how much, so one
      // outlier (or a level shift's transition) does not fatten the tail and hide the next anomaly.
      const learnt = tail ? Math.min(statistic, tailQuantile(tail, CALIBRATION_CAP_PROBABILITY)) : statistic;
      pushValue(state.calibration[i], settings.calibrationSamples, learnt);
    });
    evidence = seasonalDiscount(state, timeMs, evidence, settings);
    if (settings.flatlineMinRun > 0) evidence = Math.max(evidence, flatlineEvidence(state, x, settings));
  }
  pushValue(state.baseline, settings.baselineSamples, x);
  const learnt = state.history.length >= settings.warmupSamples ? withinReach(sortedValues(state.history), x) : x;
  pushValue(state.history, settings.historySamples, learnt);
  state.recent.push(x);
  if (state.recent.length > settings.levelSamples - 1) state.recent.shift();
  state.samples++;
  if (state.samples <= QUANTUM_REFRESH_SAMPLES || state.samples % QUANTUM_REFRESH_SAMPLES === 0)
    state.quantum = quantumOf(sortedValues(state.history));

  const unsuppressed = evidence / (evidence + SCORE_HALF_DECADES);
  let recentBest = 0;
  for (const s of windowValues(state.scores)) recentBest = Math.max(recentBest, s);
  pushRing(state.scores, settings.suppressionSamples, unsuppressed);
  const distance = median === null ? 0 : Math.abs(x - median);
  const alarm =
    raisesAlarm(Math.fround(unsuppressed), recentBest, settings.escalationRatio, SCORE_HALF_DECADES) ||
    farBeyondLastAlarm(state, distance, evidence, settings);
  if (alarm) state.lastAlarm = { distance, sample: state.samples };
  return { score: alarm ? unsuppressed : 0, evidence, ...band };
}

/**
 * Step 4's exception. Right after a level shift the statistics have learnt the shift's samples (the
 * baseline's range, the calibrated tails), so a spike then has less evidence than the shift had,
 * however large: 10,000 five samples after a shift from 10 to 60 had 23 decades against the
 * shift's 74, and scored 0 for the rest of the suppression window. A sample at least
 * DISTANCE_ESCALATION times as far from the median as the newest alarm within the window, with
 * the evidence of a live alert, is a new anomaly.
 */
function farBeyondLastAlarm(
  state: AnomalyDetectorState,
  distance: number,
  evidence: number,
  settings: AnomalyDetectorSettings
): boolean {
  const last = state.lastAlarm;
  // A flat line's alarm sits at the median: nothing is measured against it.
  if (!last || !(last.distance > 0) || state.samples - last.sample > settings.suppressionSamples) return false;
  return distance >= DISTANCE_ESCALATION * last.distance && evidence >= DISTANCE_ALARM_DECADES;
}

export interface ScoredSample extends AnomalyPoint {
  timeMs: number;
}

/** Scores a whole series in order with a fresh state (what the CLI and the benchmark do). */
export function scoreSeries(
  timesMs: readonly number[],
  values: readonly number[],
  settings: AnomalyDetectorSettings = DEFAULT_ANOMALY_SETTINGS
): number[] {
  const state = createState();
  return values.map((value, i) => update(state, timesMs[i], value, settings).score);
}

/** An AnomalyDetectorState as persisted: plain JSON, the windows' rings as base64 Float32. */
export interface EncodedDetectorState extends Omit<
  AnomalyDetectorState,
  'version' | 'baseline' | 'history' | 'calibration' | 'evidence' | 'scores' | 'flatline' | 'quantum' | 'weekly'
> {
  version: 2;
  /** Absent in states saved before the quantum was kept (estimated from the history on load). */
  quantum?: number;
  baseline: EncodedWindow;
  history: EncodedWindow;
  calibration: EncodedWindow[];
  evidence: EncodedWindow;
  scores: EncodedWindow;
  /** Absent in states saved before flat lines were scored (they start learning runs on load). */
  flatline?: Omit<FlatlineState, 'positions'> & { positions: EncodedWindow };
  /** Absent in states saved before routine weekly events were discounted (they start learning the week on load). */
  weekly?: Omit<WeeklyState, 'maxima'> & { maxima: EncodedWindow };
}

export function encodeState(state: AnomalyDetectorState): EncodedDetectorState {
  const { flatline, weekly, ...rest } = state;
  return {
    ...rest,
    baseline: encodeSorted(state.baseline),
    history: encodeSorted(state.history),
    calibration: state.calibration.map(encodeSorted),
    evidence: encodeWindow(state.evidence),
    scores: encodeWindow(state.scores),
    ...(flatline && { flatline: { ...flatline, positions: encodeSorted(flatline.positions) } }),
    ...(weekly && { weekly: { ...weekly, maxima: encodeWindow(weekly.maxima) } }),
  };
}

/**
 * Reads a persisted state: version 2 (encodeState), or version 1, the plain JSON states saved before
 * the windows were typed arrays (`values` number arrays; rounded to Float32 on the way in, so the
 * first scores after the upgrade may differ from the old code's in the 7th digit).
 */
export function decodeState(saved: EncodedDetectorState | VersionOneState): AnomalyDetectorState {
  const { flatline, quantum, weekly, ...rest } =
    saved.version === 2 ? saved : { ...saved, flatline: undefined, quantum: undefined, weekly: undefined };
  const history = decodeSorted(saved.history);
  return {
    ...rest,
    version: 2,
    recent: saved.recent.map(Math.fround),
    baseline: decodeSorted(saved.baseline),
    history,
    quantum: quantum ?? quantumOf(sortedValues(history)),
    calibration: saved.calibration.map(decodeSorted),
    evidence: decodeWindow(saved.evidence),
    scores: decodeWindow(saved.scores),
    ...(flatline && { flatline: { ...flatline, positions: decodeSorted(flatline.positions) } }),
    ...(weekly && { weekly: { ...weekly, maxima: decodeWindow(weekly.maxima) } }),
  };
}
type VersionOneState = Omit<
  EncodedDetectorState,
  'version' | 'baseline' | 'history' | 'calibration' | 'evidence' | 'scores' | 'flatline' | 'weekly'
> & {
  version: 1;
  baseline: VersionOneWindow;
  history: VersionOneWindow;
  calibration: VersionOneWindow[];
  evidence: VersionOneWindow;
  scores: VersionOneWindow;
};

/** Bytes the state holds in memory: its windows' typed arrays and the short arrays (8 bytes a number). */
export function stateBytes(state: AnomalyDetectorState): number {
  const windows = [state.baseline, state.history, ...state.calibration, state.evidence, state.scores];
  if (state.flatline) windows.push(state.flatline.positions);
  if (state.weekly) windows.push(state.weekly.maxima);
  return windows.reduce((sum, w) => sum + windowBytes(w), 0) + 8 * (state.stepsMs.length + state.recent.length);
}
