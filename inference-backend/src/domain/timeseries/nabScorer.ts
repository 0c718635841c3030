/**
 * The Numenta Anomaly Benchmark's scoring (NAB v1.1: `nab/sweeper.py`, `nab/optimizer.py`,
 * `nab/runner.py` normalisation, `config/profiles.json`), written from its rules:
 *
 * - The first 15% of each file (at most 750 rows) is probation: nothing there is scored.
 * - Each labelled window is credited once, with its earliest detection, by a scaled sigmoid of
 *   the detection's place in the window: `2·σ(−5·x) − 1` with x = −(right − i + 1)/width, divided
 *   by its value at x = −1, so detecting on a window's first row earns the full tpWeight and the
 *   value falls towards 0 at its last row. A window without detection costs fnWeight.
 * - A detection outside every window costs fpWeight·(2·σ(−5·x) − 1) with x = (i − right)/(width − 1)
 *   measured from the end of the preceding window (cheap just after a window, −fpWeight from
 *   three widths on), and the full −fpWeight before the first window.
 * - A row is a detection when its score is at least the threshold. One threshold is chosen for
 *   the whole corpus by trying every distinct score and keeping the best total (ties go to the
 *   higher threshold, as NAB's stable sort does).
 * - The corpus total is normalised by the null detector (no detection: −fnWeight per window)
 *   and the perfect one (tpWeight per window): 100·(raw − null)/(perfect − null).
 *
 * Pure and profile-independent where possible: `sweepLabels` turns a file's timestamps and
 * windows into per-row weights once; every profile and every threshold reuses them.
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three application profiles (`config/profiles.json`). */
export const NAB_PROFILES = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  rewardLowFp: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  rewardLowFn: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
} as const satisfies Record<string, CostMatrix>;

export type NabProfile = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfile[];

/** Fraction of each file left unscored while detectors learn, capped at 15% of 5,000 rows. */
export const NAB_PROBATION_FRACTION = 0.15;
const PROBATION_ROW_CAP = 5000;

/** A labelled series: row times (ms, ascending) and its anomaly windows as [start, end] times, inclusive. */
export interface NabLabels {
  name: string;
  timesMs: readonly number[];
  windowsMs: ReadonlyArray<readonly [number, number]>;
}

/** Row kinds of a swept file. */
const PROBATION = 0;
const OUTSIDE = 1;
const INSIDE = 2;

/** Per-row weights of one labelled file, independent of the profile and of the detector's scores. */
export interface SweptLabels {
  name: string;
  rows: number;
  probationRows: number;
  /** PROBATION, OUTSIDE or INSIDE per row. */
  kind: Uint8Array;
  /** INSIDE: the window's index in this file; otherwise -1. */
  window: Int32Array;
  /**
   * INSIDE: the scaled sigmoid of the row's place, divided by its value at the window's start
   * (times tpWeight gives the credit). OUTSIDE: the scaled sigmoid after the preceding window,
   * −1 before any (times fpWeight gives the cost, a negative number).
   */
  weight: Float64Array;
  /** Windows that cover at least one scored row: each is a true positive or a false negative. */
  scoredWindows: number;
  /** Row index ranges of the windows, [first, last]. */
  windowRows: Array<[number, number]>;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** NAB's scaled sigmoid: 0.98661 at −1, 0 at 0, −0.98661 at 1, and −1 from 3 on. */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition >= 3) return -1;
  return 2 * sigmoid(-5 * relativePosition) - 1;
}

const MAX_TP = scaledSigmoid(-1);

export function probationRows(rows: number, fraction = NAB_PROBATION_FRACTION): number {
  return Math.min(Math.floor(fraction * rows), fraction * PROBATION_ROW_CAP);
}

/** First index with times[i] >= t (times ascending). */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Windows become the rows they cover: from the first row at or after the start to the first row
 * at the end time (NAB requires both ends to be row times), or the last row before it. Windows covering no
 * row are dropped. A one-row window is followed by false positives costing the full fpWeight
 * (NAB divides by width − 1 = 0 there).
 */
export function sweepLabels(labels: NabLabels, probationFraction = NAB_PROBATION_FRACTION): SweptLabels {
  const { timesMs } = labels;
  const n = timesMs.length;
  for (let i = 1; i < n; i++) {
    if (!(timesMs[i] >= timesMs[i - 1])) throw new RangeError(`${labels.name}: row times must not decrease`);
  }
  const windowRows = [...labels.windowsMs]
    .sort((a, b) => a[0] - b[0])
    .map(([start, end]): [number, number] => {
      // NAB looks both ends up with `timestamps.index`: the first row at that time.
      const last = lowerBound(timesMs, end);
      return [lowerBound(timesMs, start), timesMs[last] === end ? last : last - 1];
    })
    .filter(([first, last]) => last >= first);
  for (let w = 1; w < windowRows.length; w++) {
    if (windowRows[w][0] <= windowRows[w - 1][1]) throw new RangeError(`${labels.name}: anomaly windows overlap`);
  }
  const probation = probationRows(n, probationFraction);
  const kind = new Uint8Array(n);
  const window = new Int32Array(n).fill(-1);
  const weight = new Float64Array(n);
  const scored = new Set<number>();
  let next = 0;
  let previous = -1;
  for (let i = 0; i < n; i++) {
    while (next < windowRows.length && windowRows[next][1] < i) previous = next++;
    const current = next < windowRows.length && windowRows[next][0] <= i ? next : -1;
    if (current >= 0) {
      const [first, last] = windowRows[current];
      const width = last - first + 1;
      weight[i] = scaledSigmoid(-(last - i + 1) / width) / MAX_TP;
      window[i] = current;
    } else if (previous < 0) {
      weight[i] = -1;
    } else {
      const [first, last] = windowRows[previous];
      const width = last - first + 1;
      weight[i] = width > 1 ? scaledSigmoid(Math.abs(last - i) / (width - 1)) : -1;
    }
    if (i < probation) kind[i] = PROBATION;
    else if (current >= 0) {
      kind[i] = INSIDE;
      scored.add(current);
    } else kind[i] = OUTSIDE;
  }
  return {
    name: labels.name,
    rows: n,
    probationRows: probation,
    kind,
    window,
    weight,
    scoredWindows: scored.size,
    windowRows,
  };
}

export interface Counts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ThresholdScore {
  /** Rows scoring at least this are detections; Infinity: none is. */
  threshold: number;
  /** Raw NAB score (sum over files and windows). */
  raw: number;
  counts: Counts;
}

/** A file's labels and one detector's score for each of its rows. */
export interface ScoredFile {
  labels: SweptLabels;
  scores: ArrayLike<number>;
}

function checkScores(file: ScoredFile): void {
  if (file.scores.length !== file.labels.rows) {
    throw new RangeError(`${file.labels.name}: ${file.scores.length} scores for ${file.labels.rows} rows`);
  }
}

/**
 * The raw score at every distinct threshold over the files (NAB's threshold sweep), highest
 * threshold first; the first entry is "no detection".
 */
export function thresholdCurve(files: readonly ScoredFile[], cost: CostMatrix): ThresholdScore[] {
  let total = 0;
  for (const file of files) {
    checkScores(file);
    total += file.labels.rows - file.labels.probationRows;
  }
  const score = new Float64Array(total);
  const weight = new Float64Array(total);
  /** Global window id for INSIDE rows, -1 for OUTSIDE. */
  const windowId = new Int32Array(total);
  const counts: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let windowBase = 0;
  let k = 0;
  let raw = 0;
  for (const { labels, scores } of files) {
    for (let i = 0; i < labels.rows; i++) {
      if (labels.kind[i] === PROBATION) continue;
      const s = Number(scores[i]);
      if (Number.isNaN(s)) throw new RangeError(`${labels.name}: the score of row ${i + 1} is NaN`);
      score[k] = s;
      weight[k] = labels.weight[i];
      windowId[k] = labels.kind[i] === INSIDE ? windowBase + labels.window[i] : -1;
      if (windowId[k] >= 0) counts.fn++;
      else counts.tn++;
      k++;
    }
    windowBase += labels.windowRows.length;
    raw -= cost.fnWeight * labels.scoredWindows;
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  // Each window's part of the score: −fnWeight until detected, then its best (earliest) credit.
  const windowPart = new Float64Array(windowBase).fill(-cost.fnWeight);
  const curve: ThresholdScore[] = [];
  let threshold = Number.POSITIVE_INFINITY;
  for (const r of order) {
    if (score[r] !== threshold) {
      curve.push({ threshold, raw, counts: { ...counts } });
      threshold = score[r];
    }
    const w = windowId[r];
    if (w < 0) {
      raw += cost.fpWeight * weight[r];
      counts.fp++;
      counts.tn--;
    } else {
      const credit = cost.tpWeight * weight[r];
      if (credit > windowPart[w]) {
        raw += credit - windowPart[w];
        windowPart[w] = credit;
      }
      counts.tp++;
      counts.fn--;
    }
  }
  curve.push({ threshold, raw, counts: { ...counts } });
  return curve;
}

/** The best threshold over the files; ties go to the higher threshold. */
export function optimiseThreshold(files: readonly ScoredFile[], cost: CostMatrix): ThresholdScore {
  let best: ThresholdScore | undefined;
  for (const row of thresholdCurve(files, cost)) if (!best || row.raw > best.raw) best = row;
  // thresholdCurve always yields at least the "no detection" row.
  return best as ThresholdScore;
}

/** One file's raw score and counts when rows scoring at least `threshold` are detections. */
export function scoreFile(file: ScoredFile, cost: CostMatrix, threshold: number): ThresholdScore {
  checkScores(file);
  const { labels, scores } = file;
  const counts: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const credit = new Float64Array(labels.windowRows.length).fill(Number.NEGATIVE_INFINITY);
  let raw = 0;
  for (let i = 0; i < labels.rows; i++) {
    if (labels.kind[i] === PROBATION) continue;
    const detected = scores[i] >= threshold;
    if (labels.kind[i] === INSIDE) {
      if (detected) {
        counts.tp++;
        credit[labels.window[i]] = Math.max(credit[labels.window[i]], cost.tpWeight * labels.weight[i]);
      } else counts.fn++;
    } else if (detected) {
      counts.fp++;
      raw += cost.fpWeight * labels.weight[i];
    } else counts.tn++;
  }
  const scoredWindow = new Set<number>();
  for (let i = 0; i < labels.rows; i++) if (labels.kind[i] === INSIDE) scoredWindow.add(labels.window[i]);
  for (const w of scoredWindow) raw += credit[w] === Number.NEGATIVE_INFINITY ? -cost.fnWeight : credit[w];
  return { threshold, raw, counts };
}

/** 100 for the perfect detector, 0 for the null detector (no detection at all). */
export function normaliseScore(raw: number, windows: number, cost: CostMatrix): number {
  const perfect = windows * cost.tpWeight;
  const nullScore = -windows * cost.fnWeight;
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

export interface FileScore {
  name: string;
  raw: number;
  counts: Counts;
  windows: number;
}

export interface CorpusScore {
  profile: NabProfile;
  threshold: number;
  raw: number;
  /** NAB's 0–100 figure. */
  score: number;
  windows: number;
  counts: Counts;
  files: FileScore[];
}

export function countScoredWindows(files: readonly ScoredFile[]): number {
  return files.reduce((sum, file) => sum + file.labels.scoredWindows, 0);
}

/** NAB's score of a detector over a corpus at a given threshold (per file, summed, normalised). */
export function scoreCorpusAt(files: readonly ScoredFile[], profile: NabProfile, threshold: number): CorpusScore {
  const cost = NAB_PROFILES[profile];
  const perFile = files.map((file): FileScore => {
    const { raw, counts } = scoreFile(file, cost, threshold);
    return { name: file.labels.name, raw, counts, windows: file.labels.scoredWindows };
  });
  const raw = perFile.reduce((sum, f) => sum + f.raw, 0);
  const counts: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const f of perFile) for (const key of ['tp', 'fp', 'tn', 'fn'] as const) counts[key] += f.counts[key];
  const windows = countScoredWindows(files);
  return { profile, threshold, raw, score: normaliseScore(raw, windows, cost), windows, counts, files: perFile };
}

/** NAB's procedure for one profile: the threshold optimised over the corpus, then the corpus scored with it. */
export function scoreCorpus(files: readonly ScoredFile[], profile: NabProfile): CorpusScore {
  return scoreCorpusAt(files, profile, optimiseThreshold(files, NAB_PROFILES[profile]).threshold);
}

/**
 * Published figures on the 17 AWS CloudWatch series (../shared/datasets/README.md): NAB's shipped
 * result files scored on these series alone (normalised by their own 30 windows, threshold
 * optimised over the 17), which a faithful scorer reproduces to 0.01, and ARTime's standard score.
 */
export const NAB_PUBLISHED = {
  shipped: {
    numenta: { standard: 73.42, rewardLowFp: 68.75, rewardLowFn: 76.72 },
    windowedGaussian: { standard: 31.24 },
  } as Record<string, Partial<Record<NabProfile, number>>>,
  numentaStandardThreshold: 0.547289,
  artimeStandard: 69.9,
};
