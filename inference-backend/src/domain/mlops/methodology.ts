/**
 * How every trainer of the project chooses, fits, calibrates and reports a model (issue 9):
 *
 * 1. Hold out the newest rows (`split.ts`); nothing below ever looks at them.
 * 2. Choose the hyperparameters by k-fold cross-validation on the training part: stratified
 *    folds, time-ordered folds (train on the past, validate on the next block) when the rows
 *    have times, or group folds (a group's rows all on one side) when rows come in groups.
 * 3. Fit a calibration (temperature scaling) on the out-of-fold predictions of the chosen
 *    candidate, so that a confidence of 0.8 is right about 80% of the time.
 * 4. Fit the chosen candidate on the whole training part and score it on the held-out rows: the
 *    figures of `report.json`.
 * 5. Refit on every row with the same hyperparameters and calibration: the exported model.
 *
 * This module holds the parts that do not depend on the model: folds, the grid search, the
 * calibration, calibration error and the report's shape. Deterministic for a given seed.
 */
import { seededRandom } from './gbt';

const { abs, exp, log, max, min, sqrt } = Math;

export interface Fold {
  /** Row indices, ascending. */
  train: number[];
  validation: number[];
}

/** How the rows were dealt to folds; `shuffled`: seeded random folds (a regression, which has no classes to stratify). */
export type FoldKind = 'stratified' | 'shuffled' | 'time-ordered' | 'group';

export const DEFAULT_FOLDS = 3;

/**
 * Stratified k-fold: each class's rows are shuffled (seeded) and dealt to the folds in turn,
 * so every fold keeps the class mix; a class with fewer rows than folds is missing from some.
 */
export function stratifiedKFold(labels: readonly string[], k: number, seed: number): Fold[] {
  if (!(k >= 2)) throw new RangeError(`k-fold needs at least 2 folds, got ${k}`);
  const random = seededRandom(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const rows = byClass.get(label) ?? [];
    rows.push(i);
    byClass.set(label, rows);
  });
  const foldOf = new Int32Array(labels.length);
  // Classes in name order and a running offset, so small classes do not all land in fold 0.
  let offset = 0;
  for (const label of [...byClass.keys()].sort()) {
    const rows = byClass.get(label) ?? [];
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    rows.forEach((row, r) => (foldOf[row] = (r + offset) % k));
    offset = (offset + rows.length) % k;
  }
  return foldsFromAssignment(foldOf, k);
}

/**
 * Time-ordered folds (expanding window): the rows sorted by time are cut into k + 1 blocks;
 * fold i trains on blocks 0..i and validates on block i + 1, so a model is never scored on
 * rows older than some of its training rows. Ties keep row order.
 */
export function timeOrderedFolds(times: readonly number[], k: number): Fold[] {
  if (!(k >= 2)) throw new RangeError(`k-fold needs at least 2 folds, got ${k}`);
  const order = times.map((_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  const blocks = k + 1;
  const blockOf = (position: number) => Math.floor((position * blocks) / order.length);
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const validation: number[] = [];
    order.forEach((row, position) => {
      const b = blockOf(position);
      if (b <= f) train.push(row);
      else if (b === f + 1) validation.push(row);
    });
    folds.push({ train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) });
  }
  return folds;
}

/**
 * Group k-fold: every row of a group (one engine, one device) lands in the same fold, so a model
 * is never validated on a group it saw part of. Groups are shuffled (seeded) and each, largest
 * first, goes to the fold with the fewest rows so far, which keeps the folds' sizes even.
 */
export function groupKFold(groups: readonly string[], k: number, seed: number): Fold[] {
  if (!(k >= 2)) throw new RangeError(`k-fold needs at least 2 folds, got ${k}`);
  const sizes = new Map<string, number>();
  for (const g of groups) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  if (sizes.size < k) throw new RangeError(`group k-fold needs at least ${k} groups, got ${sizes.size}`);
  const names = [...sizes.keys()].sort();
  const random = seededRandom(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  // A stable sort: equal-sized groups keep their shuffled order.
  names.sort((a, b) => (sizes.get(b) ?? 0) - (sizes.get(a) ?? 0));
  const load = new Array<number>(k).fill(0);
  const foldOfGroup = new Map<string, number>();
  for (const name of names) {
    let lightest = 0;
    for (let f = 1; f < k; f++) if (load[f] < load[lightest]) lightest = f;
    foldOfGroup.set(name, lightest);
    load[lightest] += sizes.get(name) ?? 0;
  }
  return foldsFromAssignment(
    Int32Array.from(groups, (g) => foldOfGroup.get(g) ?? 0),
    k
  );
}

/** Folds from one fold id per row (every row validated exactly once). */
export function foldsFromAssignment(foldOf: ArrayLike<number>, k: number): Fold[] {
  const folds: Fold[] = Array.from({ length: k }, () => ({ train: [], validation: [] }));
  for (let i = 0; i < foldOf.length; i++) {
    for (let f = 0; f < k; f++) (f === foldOf[i] ? folds[f].validation : folds[f].train).push(i);
  }
  return folds;
}

/**
 * Whether every fold can teach a classifier something and score it: its training part holds at
 * least two classes and its validation part at least one row. A fold that learns one class only
 * scores every candidate 0, so the search would choose blindly and the report read as a useless model.
 */
export function foldsCanLearnClasses(folds: readonly Fold[], labelOf: (row: number) => string | number): boolean {
  return folds.every((fold) => {
    if (fold.validation.length === 0 || fold.train.length === 0) return false;
    const first = labelOf(fold.train[0]);
    return fold.train.some((row) => labelOf(row) !== first);
  });
}

/** Rows of a class that stratified folds need for it to be learned in every fold: two to train on, in two folds, and one held out. */
export const MIN_ROWS_PER_CLASS = 3;

/** The refusal of labels too few for `k`-fold cross-validation, naming the classes that fall short. */
export function tooFewPerClassMessage(labels: readonly string[], k: number): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const short = [...counts]
    .filter(([, n]) => n < MIN_ROWS_PER_CLASS)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const named = short.slice(0, 3).map(([label, n]) => `"${label}" has ${n}`);
  if (short.length > named.length) named.push(`${short.length - named.length} more`);
  return (
    `too few rows for ${k}-fold cross-validation, as a fold would learn from a single class: ` +
    `give at least ${MIN_ROWS_PER_CLASS} rows of each of 2 classes or more` +
    (named.length > 0 ? ` (${named.join(', ')})` : '')
  );
}

/** Fold id per row for folds where every row is validated once (stratified); -1 where none. */
export function foldAssignment(folds: readonly Fold[], rows: number): Int32Array {
  const out = new Int32Array(rows).fill(-1);
  folds.forEach((fold, f) => fold.validation.forEach((row) => (out[row] = f)));
  return out;
}

/** What one candidate did on one fold's validation rows. */
export interface FoldScore {
  /** The selection metric (higher is better), e.g. macro-F1. */
  score: number;
  /** Probabilities [validation rows × classes], row-major, in the fold's validation order. */
  probabilities: Float64Array;
}

export interface CandidateScores<H> {
  hyperparameters: H;
  /** Mean over the folds of the selection metric. */
  mean: number;
  std: number;
  perFold: number[];
}

export interface CrossValidation<H> {
  kind: FoldKind;
  folds: number;
  metric: string;
  candidates: Array<CandidateScores<H>>;
  /** Index into candidates of the chosen one: the best mean, the earliest (simplest) on ties. */
  chosen: number;
  /** Out-of-fold probabilities of the chosen candidate with their rows, for calibration. */
  outOfFold: { rows: number[]; probabilities: Float64Array };
}

/**
 * Scores every candidate on every fold and chooses the best mean. `scoreFold` gets one fold and
 * returns one FoldScore per candidate, in candidate order: a trainer can then share work between
 * candidates of a fold (one vocabulary for several regularisations, warm starts along C).
 */
export function gridSearch<H>(
  candidates: readonly H[],
  folds: readonly Fold[],
  kind: FoldKind,
  metric: string,
  scoreFold: (fold: Fold, index: number) => FoldScore[],
  classes: number
): CrossValidation<H> {
  if (candidates.length === 0) throw new Error('a grid search needs at least one candidate');
  const perFold: FoldScore[][] = folds.map((fold, f) => {
    const scores = scoreFold(fold, f);
    if (scores.length !== candidates.length)
      throw new Error(`fold ${f} scored ${scores.length} candidates of ${candidates.length}`);
    return scores;
  });
  const summaries = candidates.map((hyperparameters, c) => {
    const values = perFold.map((scores) => scores[c].score);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = sqrt(values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / values.length);
    return { hyperparameters, mean, std, perFold: values };
  });
  let chosen = 0;
  // A candidate must beat the earlier ones by more than rounding to be preferred.
  summaries.forEach((s, c) => {
    if (s.mean > summaries[chosen].mean + 1e-9) chosen = c;
  });
  const rows = folds.flatMap((fold) => fold.validation);
  const probabilities = new Float64Array(rows.length * classes);
  let at = 0;
  for (const scores of perFold) {
    probabilities.set(scores[chosen].probabilities, at);
    at += scores[chosen].probabilities.length;
  }
  return { kind, folds: folds.length, metric, candidates: summaries, chosen, outOfFold: { rows, probabilities } };
}

/**
 * Coordinate search: starts from the first value of every axis, then sweeps the axes in order,
 * each time cross-validating the values of one axis with the others at their best so far. It
 * evaluates 1 + Σ(values − 1) candidates instead of the product of the grid: with three axes
 * (regularisation, class weights, feature cap) that is 5 fits per fold instead of 12.
 * `evaluate` cross-validates a list of candidates (see gridSearch). The result lists every
 * candidate evaluated; the chosen one has the best mean of all.
 */
export function coordinateSearch<H extends object>(
  axes: { [K in keyof H]: ReadonlyArray<H[K]> },
  evaluate: (candidates: H[], stage: number) => CrossValidation<H>
): CrossValidation<H> {
  const keys = Object.keys(axes) as Array<keyof H>;
  let best = Object.fromEntries(keys.map((k) => [k, axes[k][0]])) as H;
  const same = (a: H, b: H) => keys.every((k) => a[k] === b[k]);
  const seen: Array<CandidateScores<H>> = [];
  let bestRun: CrossValidation<H> | undefined;
  let bestMean = -Infinity;
  keys.forEach((key, stage) => {
    const candidates = axes[key]
      .map((value) => ({ ...best, [key]: value }) as H)
      .filter((c) => !seen.some((s) => same(s.hyperparameters, c)));
    if (candidates.length === 0 && stage > 0) return;
    const run = evaluate(candidates.length > 0 ? candidates : [best], stage);
    seen.push(...run.candidates);
    const winner = run.candidates[run.chosen];
    if (winner.mean > bestMean + 1e-9) {
      bestMean = winner.mean;
      bestRun = run;
      best = winner.hyperparameters;
    }
  });
  if (!bestRun) throw new Error('a coordinate search needs at least one axis');
  const chosen = seen.findIndex((s) => same(s.hyperparameters, best));
  return { ...bestRun, candidates: seen, chosen };
}

/** Every combination of the listed values, in order (the first key varies slowest). */
export function grid<H extends object>(axes: { [K in keyof H]: ReadonlyArray<H[K]> }): H[] {
  let out: Array<Partial<H>> = [{}];
  for (const key of Object.keys(axes) as Array<keyof H>) {
    out = out.flatMap((partial) => axes[key].map((value) => ({ ...partial, [key]: value })));
  }
  return out as H[];
}

/**
 * Mean cross-entropy after dividing log-probabilities by T, against targets smoothed by
 * `smoothing` (that share spread evenly over the classes).
 */
function temperedLoss(
  probabilities: Float64Array,
  targets: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
  classes: number,
  temperature: number,
  smoothing: number
): number {
  let loss = 0;
  let total = 0;
  const logits = new Float64Array(classes);
  for (let i = 0; i < targets.length; i++) {
    let m = -Infinity;
    for (let k = 0; k < classes; k++) {
      logits[k] = log(max(probabilities[i * classes + k], 1e-300)) / temperature;
      m = max(m, logits[k]);
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += exp(logits[k] - m);
    const lse = m + log(sum);
    let rowLoss = (1 - smoothing) * (lse - logits[targets[i]]);
    if (smoothing > 0) for (let k = 0; k < classes; k++) rowLoss += (smoothing / classes) * (lse - logits[k]);
    const w = weights ? weights[i] : 1;
    loss += w * rowLoss;
    total += w;
  }
  return total > 0 ? loss / total : 0;
}

/** Temperatures considered: far beyond what a linear model on TF-IDF ever needs on either side. */
const MIN_TEMPERATURE = 0.05;
const MAX_TEMPERATURE = 20;

/**
 * Temperature scaling (Guo et al. 2017): the T that minimises the log-loss of softmax(z / T) on
 * predictions the model did not train on. Softmax is shift-invariant, so log p stands for the
 * logits z. Golden-section search on log T; one parameter cannot overfit much and never changes
 * which class wins. Returns 1 when there is nothing to fit.
 *
 * The targets are smoothed by K / (n + K), one pseudo-row per class: when every out-of-fold
 * prediction is right (small, separable data), the plain log-loss keeps falling as T → 0 and
 * would make every later guess, however weak its evidence, look certain.
 */
export function fitTemperature(
  probabilities: Float64Array,
  targets: ArrayLike<number>,
  classes: number,
  weights?: ArrayLike<number>
): number {
  if (targets.length === 0) return 1;
  let rows = 0;
  for (let i = 0; i < targets.length; i++) rows += weights ? weights[i] : 1;
  const smoothing = classes / (rows + classes);
  const f = (logT: number) => temperedLoss(probabilities, targets, weights, classes, exp(logT), smoothing);
  let a = log(MIN_TEMPERATURE);
  let b = log(MAX_TEMPERATURE);
  const phi = (sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 60 && b - a > 1e-4; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  return exp((a + b) / 2);
}

/** Probabilities after temperature scaling (a copy). */
export function applyTemperature(probabilities: Float64Array, classes: number, temperature: number): Float64Array {
  const out = new Float64Array(probabilities.length);
  for (let r = 0; r < probabilities.length / classes; r++) {
    let m = -Infinity;
    for (let k = 0; k < classes; k++) m = max(m, log(max(probabilities[r * classes + k], 1e-300)) / temperature);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const v = exp(log(max(probabilities[r * classes + k], 1e-300)) / temperature - m);
      out[r * classes + k] = v;
      sum += v;
    }
    for (let k = 0; k < classes; k++) out[r * classes + k] /= sum;
  }
  return out;
}

export interface ReliabilityBin {
  /** Confidence range [from, to). */
  from: number;
  to: number;
  rows: number;
  /** Mean confidence of the rows in the bin. */
  confidence: number;
  /** Share of them whose predicted class was right. */
  accuracy: number;
}

export interface CalibrationFigures {
  /** Expected calibration error: Σ over bins of (rows in bin / rows) × |accuracy − confidence|. */
  ece: number;
  reliability: ReliabilityBin[];
}

export const RELIABILITY_BINS = 10;

/** ECE and the reliability table of the top-class confidence, in equal-width bins. */
export function calibrationFigures(
  probabilities: Float64Array,
  targets: ArrayLike<number>,
  classes: number,
  weights?: ArrayLike<number>,
  bins = RELIABILITY_BINS
): CalibrationFigures {
  const rows = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const correct = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[i * classes + k] > probabilities[i * classes + best]) best = k;
    const p = probabilities[i * classes + best];
    const b = min(bins - 1, Math.floor(p * bins));
    const w = weights ? weights[i] : 1;
    rows[b] += w;
    confidence[b] += w * p;
    if (best === targets[i]) correct[b] += w;
    total += w;
  }
  let ece = 0;
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (rows[b] === 0) continue;
    const conf = confidence[b] / rows[b];
    const acc = correct[b] / rows[b];
    ece += (rows[b] / total) * abs(acc - conf);
    reliability.push({ from: b / bins, to: (b + 1) / bins, rows: rows[b], confidence: conf, accuracy: acc });
  }
  return { ece: total > 0 ? ece : 0, reliability };
}

/** What report.json says about how a model was chosen and calibrated. */
export interface MethodologyReport<H> {
  /** Where the `test` figures come from: they are not the exported model's. */
  evaluation: string;
  crossValidation: {
    kind: FoldKind;
    folds: number;
    metric: string;
    candidates: Array<Omit<CandidateScores<H>, 'hyperparameters'> & { hyperparameters: H }>;
    chosen: H;
  };
  calibration: {
    method: 'temperature';
    temperature: number;
    fittedOn: string;
    /** On the held-out rows, the split-trained model before and after calibration. */
    heldOut: { eceBefore: number } & CalibrationFigures;
  };
}

export const HELD_OUT_EVALUATION =
  'test: the model fitted on the training part only (hyperparameters by cross-validation on that part), ' +
  'scored on the held-out rows; the exported model is refitted on all rows with the same hyperparameters';

export const TEMPERATURE_FITTED_ON = 'out-of-fold predictions of the chosen candidate on the training part';

/** Progress of long training runs, one line each (`train: department: fold 2/3 …`). */
export type ProgressListener = (message: string) => void;

/**
 * A stratified random subset of exactly `size` rows (each class in proportion, largest
 * remainders rounded up, at least one row of every class), ascending: a bounded stand-in for a
 * large data set in tests.
 */
export function stratifiedSample(labels: readonly string[], size: number, seed: number): number[] {
  if (size >= labels.length) return labels.map((_, i) => i);
  const random = seededRandom(seed);
  const byClass = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const rows = byClass.get(label) ?? [];
    rows.push(i);
    byClass.set(label, rows);
  });
  const classes = [...byClass.keys()].sort();
  const exact = classes.map((c) => ((byClass.get(c)?.length ?? 0) * size) / labels.length);
  const quota = exact.map((q) => Math.max(1, Math.floor(q)));
  let left = size - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classes
    .map((_, k) => k)
    .sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
  for (const k of byRemainder) {
    if (left <= 0) break;
    quota[k]++;
    left--;
  }
  const out: number[] = [];
  classes.forEach((label, k) => {
    const rows = byClass.get(label) ?? [];
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    out.push(...rows.slice(0, quota[k]));
  });
  return out.sort((a, b) => a - b);
}
