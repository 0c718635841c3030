import { createHash } from 'node:crypto';
import { plural } from '@nocai/contract';
import type { FeatureMatrix } from './gbt';
import {
  applyTemperature,
  calibrationFigures,
  coordinateSearch,
  DEFAULT_FOLDS,
  fitTemperature,
  foldsCanLearnClasses,
  gridSearch,
  groupKFold,
  HELD_OUT_EVALUATION,
  stratifiedKFold,
  TEMPERATURE_FITTED_ON,
  timeOrderedFolds,
  tooFewPerClassMessage,
} from './methodology';
import type { CrossValidation, Fold, FoldKind, FoldScore, MethodologyReport, ProgressListener } from './methodology';
import { evaluateClassification } from './metrics';
import type { ClassificationReport } from './metrics';
import { canonicalModelName } from './manifest';
import { timeOrderedSplit } from './split';
import {
  addGramBlocks,
  describeLearner,
  firstTrees,
  fitGbt,
  fitLogistic,
  fitRidge,
  gbtCheckpointOutputs,
  gbtFitKey,
  gramBlock,
  learnerOutputs,
  outputsOf,
  softmaxRows,
} from './tabularLearners';
import type { FittedLearner, GbtSpec, GramBlock, LearnerSpec, LearnerTarget } from './tabularLearners';
import {
  buildFeatures,
  classNamer,
  columnKinds,
  dropConstantFeatures,
  fitFeatureParams,
  isMissingCell,
  keptColumns,
  numberOf,
  orderSpec,
  sequenceOrder,
  TabularDataError,
} from './tabularFeatures';
import type { Row, TabularFeatureParams, TabularFeatureRequest } from './tabularFeatures';

/**
 * Tabular targets (issue 10): a number (regression) or a class (classification) from the columns
 * of a table, with the methodology of `methodology.ts`:
 *
 * 1. Hold out the newest rows: whole groups when rows come in groups (the last groups, by their
 *    newest time when the order column holds times, else in file order), else the newest rows
 *    by the order column, else the last rows of the file.
 * 2. On the rest, choose by cross-validation (group folds with --group, time-ordered folds with
 *    --order alone, else stratified or shuffled folds) between a linear baseline (ridge /
 *    logistic regression on standardised features) and gradient-boosted trees of a few depths and
 *    sizes, and whether to normalise the numeric columns within each level of a condition column.
 *    The candidates are searched axis by axis (`coordinateSearch`), and every tree count of one
 *    depth is scored from a single fit.
 * 3. Calibrate on the out-of-fold predictions of the chosen candidate: a temperature for class
 *    probabilities; for a number, the P10 and P90 as split-conformal offsets of the out-of-fold
 *    residuals, per bin of the predicted value (Mondrian conformal: where predictions are large,
 *    errors usually are too), so about 80% of new rows fall within [P10, P90].
 * 4. Fit the chosen candidate on the training part and score it on the held-out rows (the
 *    report, with per-segment figures), then refit features and learner on every row with the
 *    same choices: the exported model.
 */

export type TabularTask = 'regression' | 'classification';

export interface TabularTrainRequest extends TabularFeatureRequest {
  target: string;
  /** Inferred when absent: regression for a numeric target with more than 10 distinct values. */
  task?: TabularTask;
  /** A column whose levels get their own held-out figures in the report. */
  segment?: string;
  /**
   * Two classes: the one whose probability predictions report (`<target>_probability`). When
   * absent: 1, true, yes (or y, t, positive, pos) against its opposite, else the rarer class.
   */
  positive?: string;
}

export interface TabularHyperparameters {
  /** The column the numeric features are z-scored within, or null. */
  normalizeBy: string | null;
  learner: LearnerSpec;
}

export interface TabularGrid {
  gbt: {
    maxDepth: number[];
    nTrees: number[];
    learningRate: number;
    minSamplesLeaf: number;
    subsample: number;
    featureFraction: number;
  };
  /** Ridge λ (regression) or logistic C (classification) values. */
  linear: number[];
}

export const DEFAULT_TABULAR_GRID: TabularGrid = {
  // Every tree count of a depth is scored from one fit of the largest; half the rows and half the
  // features per tree halve the cost of a tree, and on C-MAPSS cross-validated no worse. A rate
  // of 0.05 with twice the trees of 0.1 (the usual trade: smaller steps generalise better) lowered
  // the best 3-fold group-CV RMSE on the C-MAPSS training files from 10.92 to 10.81 (FD003) and
  // 13.86 to 13.62 (FD004), FD002 unchanged at 14.26; scikit-learn's HistGradientBoosting
  // defaults on the same features and folds 11.31 / 13.72 / 14.43. Training takes twice as long.
  gbt: {
    maxDepth: [4, 6],
    nTrees: [100, 200, 400],
    learningRate: 0.05,
    minSamplesLeaf: 20,
    subsample: 0.5,
    featureFraction: 0.5,
  },
  linear: [0.01, 0.1, 1, 10],
};

export interface TabularTrainOptions {
  folds: number;
  testFraction: number;
  seed: number;
  grid: TabularGrid;
  onProgress: ProgressListener;
}

export const DEFAULT_TABULAR_TRAIN_OPTIONS: TabularTrainOptions = {
  folds: DEFAULT_FOLDS,
  testFraction: 0.2,
  seed: 1,
  grid: DEFAULT_TABULAR_GRID,
  onProgress: () => undefined,
};

/** Intervals of a regression: predicted value + an offset that depends on the predicted value's bin. */
export interface IntervalParams {
  method: 'binned split-conformal offsets of out-of-fold residuals';
  /** The quantiles the two bounds stand for. */
  levels: [number, number];
  /** float32, ascending: a prediction p is in bin #{edges e : p > e}. */
  edges: number[];
  /** float32 offsets per bin: P10 = p + lower[bin], P90 = p + upper[bin]; lower ≤ 0 ≤ upper. */
  lower: number[];
  upper: number[];
}

export const INTERVAL_LEVELS: [number, number] = [0.1, 0.9];
/** Out-of-fold rows per interval bin at least; at most MAX_INTERVAL_BINS bins. */
const ROWS_PER_INTERVAL_BIN = 400;
const MAX_INTERVAL_BINS = 5;
/** Linear candidates are skipped beyond this many features: the Gram matrix grows as its square. */
const MAX_LINEAR_FEATURES = 1500;
/** Classes a classifier learns at most (`prepareTarget`). */
export const MAX_CLASSES = 50;
/** Segments listed in the report at most (the largest ones). */
const MAX_SEGMENTS = 50;

export interface TabularModel {
  task: TabularTask;
  target: string;
  /** Classification: output order of the probabilities (numbers in numeric order). */
  labels: string[];
  /** Two classes: the one whose probability predictions report; absent otherwise. */
  positiveLabel?: string;
  features: TabularFeatureParams;
  learner: FittedLearner;
  /** Classification: probabilities are softmax(logits / temperature). */
  temperature: number;
  interval: IntervalParams | null;
}

export interface RegressionFigures {
  rows: number;
  rmse: number;
  mae: number;
  /** 1 − SSE / SST around the rows' own mean. */
  r2: number;
  /** Share of rows with P10 ≤ actual ≤ P90 (0.8 is the aim). */
  intervalCoverage: number;
  meanIntervalWidth: number;
}

export interface ClassificationFigures extends ClassificationReport {
  /** Mean −log p(actual class). */
  logLoss: number;
}

export type TabularFigures = RegressionFigures | ClassificationFigures;

export interface TabularReport {
  target: string;
  task: TabularTask;
  /** How the task was decided: given, or inferred from the target column. */
  taskFrom: 'flag' | 'inferred';
  evaluation: string;
  rows: {
    labelled: number;
    withoutTarget: number;
    train: number;
    test: number;
    groups?: { train: number; test: number };
  };
  features: { count: number; names: string[] };
  crossValidation: MethodologyReport<TabularHyperparameters>['crossValidation'] & { chosenDescription: string };
  /** Classification only. */
  calibration?: MethodologyReport<TabularHyperparameters>['calibration'];
  /** Regression only. */
  intervals?: { method: string; levels: [number, number]; bins: number; fittedOn: string };
  train: TabularFigures;
  test: TabularFigures;
  /** Held-out figures per level of the segment column, largest segments first. */
  segments?: { column: string; test: Array<{ segment: string } & TabularFigures> };
}

export interface TrainedTabular {
  model: TabularModel;
  report: TabularReport;
  hyperparameters: TabularHyperparameters;
  /** sha256 of the columns the model reads and the target, row by row. */
  dataHash: string;
  /** The columns `dataHash` covers, in order. */
  dataColumns: string[];
  /** Indices of the held-out rows (those `report.test` scores) among the rows trained on. */
  heldOut: number[];
}

const NOT_A_NUMBER_TARGET = (target: string, row: number, cell: string) =>
  `the regression target "${target}" must hold numbers; data row ${row + 1} has "${cell}"`;

function inferTask(rows: readonly Row[], target: string, labelled: readonly number[]): TabularTask {
  const distinct = new Set<string>();
  let numbers = 0;
  let firstOther: number | undefined;
  for (const i of labelled) {
    const cell = rows[i][target].trim();
    const value = numberOf(cell);
    if (value === undefined || !Number.isFinite(value)) {
      firstOther ??= i;
      continue;
    }
    numbers++;
    distinct.add(cell);
  }
  if (firstOther === undefined) return distinct.size > 10 ? 'regression' : 'classification';
  // Mostly numbers, and enough of them to be a regression: one stray cell ("Infinity", "12a") is a
  // typo more likely than a sign of classes, and would make each number a class of its own.
  if (distinct.size > 10 && numbers * 2 > labelled.length) {
    throw new TabularDataError(
      `the target "${target}" holds numbers in ${numbers} of ${labelled.length} rows, but data row ${firstOther + 1} ` +
        `has "${rows[firstOther][target]}": fix the cell for a regression, or give --task classification if its values are classes`
    );
  }
  return 'classification';
}

/**
 * The class of a target cell for a model with these `labels` (those `prepareTarget` made), as the
 * model would name it; undefined for a missing cell. For counting a training file's classes.
 */
export function classLabelOf(labels: readonly string[]): (cell: string | undefined) => string | undefined {
  const nameOf = classNamer(labels);
  return (cell) => (cell === undefined || isMissingCell(cell) ? undefined : nameOf(cell));
}

/** Class labels in output order: numerically when every label is a number, else by code point. */
export function sortLabels(labels: Iterable<string>): string[] {
  const list = [...new Set(labels)];
  const numeric = list.every((l) => numberOf(l) !== undefined);
  return list.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

interface Prepared {
  task: TabularTask;
  taskFrom: 'flag' | 'inferred';
  labels: string[];
  positiveLabel?: string;
  /** Rows with a target, ascending. */
  labelled: number[];
  /** Per row of the table (rows without a target: NaN / -1, never read). */
  target: LearnerTarget;
}

function prepareTarget(rows: readonly Row[], request: TabularTrainRequest): Prepared {
  const labelled = rows.flatMap((row, i) => (isMissingCell(row[request.target]) ? [] : [i]));
  if (labelled.length === 0) throw new TabularDataError(`the target "${request.target}" has no value in any row`);
  const task = request.task ?? inferTask(rows, request.target, labelled);
  const values = new Float64Array(rows.length).fill(NaN);
  if (task === 'regression') {
    if (request.positive !== undefined) {
      throw new TabularDataError(
        `--positive names a class, but the target "${request.target}" is a number (regression); leave --positive out or give --task classification`
      );
    }
    for (const i of labelled) {
      const value = numberOf(rows[i][request.target]);
      if (value === undefined || !Number.isFinite(value)) {
        throw new TabularDataError(NOT_A_NUMBER_TARGET(request.target, i, rows[i][request.target]));
      }
      values[i] = value;
    }
    return { task, taskFrom: request.task ? 'flag' : 'inferred', labels: [], labelled, target: { classes: 0, values } };
  }
  // Classes are numbers when every target cell is one: `1` and `1.0` are then one class.
  const nameOf = classNamer(labelled.map((i) => rows[i][request.target]));
  const classes = labelled.map((i) => nameOf(rows[i][request.target]));
  const labels = sortLabels(classes);
  if (labels.length < 2) {
    throw new TabularDataError(`the target "${request.target}" needs at least 2 classes, found only "${labels[0]}"`);
  }
  if (labels.length > MAX_CLASSES) {
    // Refused before any fit: the trees grow one per class and round, so hundreds of classes (a
    // number such as a remaining life given --task classification) would train for hours.
    const numbers = labels.every((label) => numberOf(label) !== undefined);
    throw new TabularDataError(
      `the target "${request.target}" has ${labels.length} distinct values, more than the ${MAX_CLASSES} classes a classifier learns` +
        (numbers
          ? ': they are numbers, so predict them with --task regression (or without --task)'
          : ': group the rarer ones into a class of their own, or predict a coarser column')
    );
  }
  const index = new Map(labels.map((l, k) => [l, k] as const));
  labelled.forEach((i, k) => (values[i] = index.get(classes[k]) ?? -1));
  return {
    task,
    taskFrom: request.task ? 'flag' : 'inferred',
    labels,
    positiveLabel: positiveLabelOf(request, labels, classes, nameOf),
    labelled,
    target: { classes: labels.length, values },
  };
}

const POSITIVE_WORDS = ['1', 'true', 'yes', 'y', 't', 'positive', 'pos'];
const NEGATIVE_WORDS = ['0', 'false', 'no', 'n', 'f', 'negative', 'neg'];

/**
 * The class whose probability a two-class model reports: the one asked for, else the positive word
 * of a pair such as no/yes or 0/1 (in any case), else the rarer class (the event people predict:
 * a failure, a fault), the second label on a tie. Undefined for more than two classes.
 */
export function positiveLabelOf(
  request: Pick<TabularTrainRequest, 'target' | 'positive'>,
  labels: readonly string[],
  classes: readonly string[],
  nameOf: (cell: string) => string = (cell) => cell
): string | undefined {
  if (request.positive !== undefined) {
    const asked = nameOf(request.positive);
    if (labels.length !== 2) {
      throw new TabularDataError(
        `--positive names the class whose probability a two-class model reports, but the target "${request.target}" has ${labels.length} classes`
      );
    }
    if (!labels.includes(asked)) {
      throw new TabularDataError(
        `--positive "${request.positive}" is not a class of the target "${request.target}", whose classes are ${labels.map((l) => `"${l}"`).join(' and ')}`
      );
    }
    return asked;
  }
  if (labels.length !== 2) return undefined;
  const word = (label: string) => label.trim().toLowerCase();
  const [a, b] = labels;
  if (POSITIVE_WORDS.includes(word(a)) && NEGATIVE_WORDS.includes(word(b))) return a;
  if (POSITIVE_WORDS.includes(word(b)) && NEGATIVE_WORDS.includes(word(a))) return b;
  const countOfA = classes.filter((c) => c === a).length;
  return countOfA < classes.length - countOfA ? a : b;
}

/**
 * The held-out rows: whole groups (the last ones; by newest time when the order is a time), or
 * the newest rows (per class for classification, as the text models do).
 */
function holdOut(
  rows: readonly Row[],
  request: TabularTrainRequest,
  prepared: Prepared,
  orderValues: Float64Array | undefined,
  orderIsTime: boolean,
  testFraction: number,
  folds: number
): { train: number[]; test: number[]; groups?: { train: number; test: number } } {
  const { labelled } = prepared;
  if (request.group) {
    const group = request.group;
    const newest = new Map<string, number>();
    labelled.forEach((i, position) => {
      const key = rows[i][group] ?? '';
      const at = orderIsTime && orderValues ? orderValues[i] : position;
      newest.set(key, Math.max(newest.get(key) ?? -Infinity, at));
    });
    const groups = [...newest.keys()].sort((a, b) => (newest.get(a) ?? 0) - (newest.get(b) ?? 0));
    const held = Math.min(groups.length - folds, Math.max(1, Math.round(groups.length * testFraction)));
    if (held < 1) {
      throw new TabularDataError(
        `--group "${group}" has ${groups.length} groups with a target; cross-validation and a held-out part need at least ${folds + 1}`
      );
    }
    const testGroups = new Set(groups.slice(groups.length - held));
    const train = labelled.filter((i) => !testGroups.has(rows[i][group] ?? ''));
    const test = labelled.filter((i) => testGroups.has(rows[i][group] ?? ''));
    return { train, test, groups: { train: groups.length - held, test: held } };
  }
  const labels = labelled.map((i) =>
    prepared.task === 'classification' ? prepared.labels[prepared.target.values[i]] : ''
  );
  const split = timeOrderedSplit(labels, {
    testFraction,
    timeOf: orderValues ? (k) => orderValues[labelled[k]] : undefined,
  });
  return {
    train: split.train.map((k) => labelled[k]).sort((a, b) => a - b),
    test: split.test.map((k) => labelled[k]).sort((a, b) => a - b),
  };
}

function crossValidationFolds(
  rows: readonly Row[],
  request: TabularTrainRequest,
  prepared: Prepared,
  train: readonly number[],
  orderValues: Float64Array | undefined,
  k: number,
  seed: number
): { folds: Fold[]; kind: FoldKind } {
  let local: Fold[];
  let kind: FoldKind;
  if (request.group) {
    const group = request.group;
    local = groupKFold(
      train.map((i) => rows[i][group] ?? ''),
      k,
      seed
    );
    kind = 'group';
  } else if (orderValues) {
    local = timeOrderedFolds(
      train.map((i) => orderValues[i]),
      k
    );
    kind = 'time-ordered';
  } else {
    // Regression: one "class", i.e. seeded random folds.
    local = stratifiedKFold(
      train.map((i) => (prepared.task === 'classification' ? String(prepared.target.values[i]) : '')),
      k,
      seed
    );
    kind = prepared.task === 'classification' ? 'stratified' : 'shuffled';
  }
  const folds = local.map((f) => ({
    train: f.train.map((i) => train[i]),
    validation: f.validation.map((i) => train[i]),
  }));
  return { folds, kind };
}

/** The feature matrix of every row for one normalisation choice, fitted on `fitRows`. */
interface FeatureSet {
  params: TabularFeatureParams;
  matrix: FeatureMatrix;
}

function featureSet(
  rows: readonly Row[],
  request: TabularFeatureRequest,
  kinds: ReadonlyMap<string, 'numeric' | 'categorical'>,
  fitRows: readonly number[],
  normalizeBy: string | null
): FeatureSet {
  const fitted = fitFeatureParams(
    rows,
    { ...request, normalizeBy: normalizeBy ?? undefined },
    kinds,
    fitRows,
    normalizeBy !== null
  );
  const full = buildFeatures(fitted, rows, { all: true });
  const params = dropConstantFeatures(fitted, full, fitRows);
  return { params, matrix: keptColumns(full, params.kept) };
}

/** RMSE, MAE, R² and interval coverage of predictions against actual values. */
export function regressionFigures(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  low?: ArrayLike<number>,
  high?: ArrayLike<number>
): RegressionFigures {
  const n = actual.length;
  let squares = 0;
  let absolute = 0;
  let mean = 0;
  let covered = 0;
  let width = 0;
  for (let i = 0; i < n; i++) mean += actual[i] / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const error = predicted[i] - actual[i];
    squares += error * error;
    absolute += Math.abs(error);
    total += (actual[i] - mean) ** 2;
    if (low && high) {
      if (actual[i] >= low[i] && actual[i] <= high[i]) covered++;
      width += high[i] - low[i];
    }
  }
  return {
    rows: n,
    rmse: n > 0 ? Math.sqrt(squares / n) : 0,
    mae: n > 0 ? absolute / n : 0,
    r2: total > 0 ? 1 - squares / total : 0,
    intervalCoverage: n > 0 && low ? covered / n : 0,
    meanIntervalWidth: n > 0 && low ? width / n : 0,
  };
}

function classificationFigures(
  labels: readonly string[],
  truth: ArrayLike<number>,
  probabilities: Float64Array
): ClassificationFigures {
  const K = labels.length;
  const actual: string[] = [];
  const predicted: string[] = [];
  let logLoss = 0;
  for (let r = 0; r < truth.length; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probabilities[r * K + k] > probabilities[r * K + best]) best = k;
    actual.push(labels[truth[r]]);
    predicted.push(labels[best]);
    logLoss -= Math.log(Math.max(probabilities[r * K + truth[r]], 1e-15));
  }
  return {
    ...evaluateClassification(labels, actual, predicted),
    logLoss: truth.length > 0 ? logLoss / truth.length : 0,
  };
}

/** k-th smallest (1-based, clamped) of a sorted array. */
const orderStatistic = (sorted: Float64Array, k: number) => sorted[Math.min(sorted.length, Math.max(1, k)) - 1];

/**
 * Split-conformal offsets per bin of the out-of-fold prediction: with m residuals r = y − ŷ in a
 * bin, the lower offset is the ⌊(m+1)·0.1⌋-th smallest and the upper the ⌈(m+1)·0.9⌉-th, so each
 * bound holds with at least its level on exchangeable rows. Offsets are capped at 0 on their side:
 * the interval always contains the prediction.
 */
export function fitIntervals(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  levels = INTERVAL_LEVELS
): IntervalParams {
  const m = predicted.length;
  const bins = Math.max(1, Math.min(MAX_INTERVAL_BINS, Math.floor(m / ROWS_PER_INTERVAL_BIN)));
  const sortedPredictions = Float64Array.from(predicted).sort();
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const edge = Math.fround(sortedPredictions[Math.floor((b * m) / bins)]);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  const residuals: number[][] = Array.from({ length: edges.length + 1 }, () => []);
  for (let i = 0; i < m; i++) residuals[binOf(edges, Math.fround(predicted[i]))].push(actual[i] - predicted[i]);
  const lower: number[] = [];
  const upper: number[] = [];
  for (const list of residuals) {
    const sorted = Float64Array.from(list).sort();
    const size = sorted.length;
    lower.push(size > 0 ? Math.fround(Math.min(0, orderStatistic(sorted, Math.floor((size + 1) * levels[0])))) : 0);
    upper.push(size > 0 ? Math.fround(Math.max(0, orderStatistic(sorted, Math.ceil((size + 1) * levels[1])))) : 0);
  }
  return {
    method: 'binned split-conformal offsets of out-of-fold residuals',
    levels: [...levels],
    edges,
    lower,
    upper,
  };
}

export function binOf(edges: readonly number[], prediction32: number): number {
  let bin = 0;
  for (const edge of edges) if (prediction32 > edge) bin++;
  return bin;
}

export interface RegressionPredictions {
  prediction: Float64Array;
  p10: Float64Array;
  p90: Float64Array;
}

/** The TS forward pass of the exported graph (the features already built). */
export function predictRegression(
  model: TabularModel,
  matrix: FeatureMatrix,
  rows?: readonly number[]
): RegressionPredictions {
  const list = rows ?? Array.from({ length: matrix.rowCount }, (_, i) => i);
  const raw = learnerOutputs(model.learner, matrix, list, 0);
  return withIntervals(raw, model.interval);
}

function withIntervals(raw: Float64Array, interval: IntervalParams | null): RegressionPredictions {
  const prediction = Float64Array.from(raw, (v) => Math.fround(v));
  const p10 = new Float64Array(raw.length);
  const p90 = new Float64Array(raw.length);
  prediction.forEach((p, i) => {
    const bin = interval ? binOf(interval.edges, p) : 0;
    p10[i] = Math.fround(p + (interval ? interval.lower[bin] : 0));
    p90[i] = Math.fround(p + (interval ? interval.upper[bin] : 0));
  });
  return { prediction, p10, p90 };
}

/** Class probabilities [rows × labels] of the exported graph, in TS. */
export function predictClassification(
  model: TabularModel,
  matrix: FeatureMatrix,
  rows?: readonly number[]
): Float64Array {
  const list = rows ?? Array.from({ length: matrix.rowCount }, (_, i) => i);
  return softmaxRows(
    learnerOutputs(model.learner, matrix, list, model.labels.length),
    model.labels.length,
    model.temperature
  );
}

/** sha256 of `columns` of `rows`, row by row: a manifest's `dataHash`. */
export function hashRows(rows: readonly Row[], columns: readonly string[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${JSON.stringify(columns.map((c) => row[c] ?? ''))}\n`);
  return hash.digest('hex');
}

function learnerAxis(grid: TabularGrid, linearAllowed: boolean): LearnerSpec[] {
  const { gbt } = grid;
  const trees = [...gbt.nTrees].sort((a, b) => a - b);
  const gbtSpecs: LearnerSpec[] = gbt.maxDepth.flatMap((maxDepth) =>
    trees.map((nTrees) => ({
      kind: 'gbt' as const,
      maxDepth,
      nTrees,
      learningRate: gbt.learningRate,
      minSamplesLeaf: gbt.minSamplesLeaf,
      subsample: gbt.subsample,
      featureFraction: gbt.featureFraction,
    }))
  );
  const linear: LearnerSpec[] = linearAllowed ? grid.linear.map((l2) => ({ kind: 'linear' as const, l2 })) : [];
  // The first value is the one the normalisation axis is decided with: a middle-sized forest.
  const first = gbtSpecs[Math.min(1, gbtSpecs.length - 1)];
  return first ? [first, ...linear, ...gbtSpecs.filter((s) => s !== first)] : linear;
}

export function describeHyperparameters(h: TabularHyperparameters, classification: boolean): string {
  return `${describeLearner(h.learner, classification)}${h.normalizeBy ? `, normalised within "${h.normalizeBy}"` : ''}`;
}

/**
 * Trains a tabular model on `rows` as described at the top of this file. Rows whose target is
 * missing are not learned from, but their cells still feed the windows of later rows.
 */
export function trainTabularModel(
  rows: readonly Row[],
  request: TabularTrainRequest,
  options: Partial<TabularTrainOptions> = {}
): TrainedTabular {
  const opts = { ...DEFAULT_TABULAR_TRAIN_OPTIONS, ...options };
  const say = (message: string) => opts.onProgress(`${request.target}: ${message}`);
  const prepared = prepareTarget(rows, request);
  const classification = prepared.task === 'classification';
  const kinds = columnKinds(rows, request);
  const order = request.order;
  const orderSpecOfRows = order ? orderSpec(rows, order) : undefined;
  const orderValues = orderSpecOfRows ? sequenceOrder(rows, undefined, orderSpecOfRows).orderValues : undefined;
  const orderIsTime = orderSpecOfRows?.kind === 'time';
  const split = holdOut(rows, request, prepared, orderValues, orderIsTime, opts.testFraction, opts.folds);
  if (split.train.length < 2 * opts.folds || split.test.length === 0) {
    throw new TabularDataError(
      `${plural(prepared.labelled.length, 'row with a target is', { plural: 'rows with a target are' })} ` +
        `too few to cross-validate and hold out: ${opts.folds}-fold cross-validation needs ${2 * opts.folds} ` +
        `training rows besides the ${Math.round(opts.testFraction * 100)}% held out`
    );
  }
  const { folds, kind } = crossValidationFolds(
    rows,
    request,
    prepared,
    split.train,
    orderValues,
    opts.folds,
    opts.seed
  );
  if (classification && !foldsCanLearnClasses(folds, (row) => prepared.target.values[row])) {
    const labels = prepared.labelled.map((row) => prepared.labels[prepared.target.values[row]]);
    const by = kind === 'group' ? ', in more --group groups' : '';
    throw new TabularDataError(`"${request.target}" has ${tooFewPerClassMessage(labels, opts.folds)}${by}`);
  }
  const normalizations: Array<string | null> = request.normalizeBy ? [null, request.normalizeBy] : [null];
  say(`features of ${rows.length} rows (${normalizations.length === 2 ? 'raw and normalised' : 'raw'})`);
  const sets = new Map<string | null, FeatureSet>(
    normalizations.map((n) => [n, featureSet(rows, request, kinds, split.train, n)] as const)
  );
  const featureCount = Math.max(...[...sets.values()].map((s) => s.params.names.length));
  const learners = learnerAxis(opts.grid, featureCount <= MAX_LINEAR_FEATURES);
  const K = outputsOf(prepared.target.classes);
  const classes = prepared.target.classes;

  // Fits shared between candidates and stages: one GBT per (fold, normalisation, shape) with the
  // largest tree count of the grid; one set of Gram blocks per normalisation.
  const maxTrees = Math.max(...opts.grid.gbt.nTrees);
  const gbtFits = new Map<string, FittedLearner>();
  const gramBlocks = new Map<string | null, GramBlock[]>();
  const blocksOf = (normalizeBy: string | null): GramBlock[] => {
    let blocks = gramBlocks.get(normalizeBy);
    if (!blocks) {
      const matrix = sets.get(normalizeBy)?.matrix;
      if (!matrix) throw new Error('no feature set for this normalisation');
      blocks = folds.map((fold) => gramBlock(matrix, prepared.target.values, fold.validation));
      gramBlocks.set(normalizeBy, blocks);
    }
    return blocks;
  };

  const scoreOf = (validation: readonly number[], outputs: Float64Array): FoldScore => {
    if (!classification) {
      let squares = 0;
      validation.forEach((row, k) => (squares += (outputs[k] - prepared.target.values[row]) ** 2));
      return { score: -Math.sqrt(squares / validation.length), probabilities: outputs };
    }
    const probabilities = softmaxRows(outputs, K);
    const truth = validation.map((row) => prepared.target.values[row]);
    return { score: classificationFigures(prepared.labels, truth, probabilities).macroF1, probabilities };
  };

  const scoreFold = (candidates: TabularHyperparameters[], fold: Fold, f: number): FoldScore[] => {
    const scores: FoldScore[] = new Array(candidates.length);
    const byFit = new Map<string, number[]>();
    candidates.forEach((c, i) => {
      const key = `${c.normalizeBy ?? ''}|${c.learner.kind === 'gbt' ? gbtFitKey(c.learner) : `linear:${c.learner.l2}`}`;
      byFit.set(key, [...(byFit.get(key) ?? []), i]);
    });
    for (const [key, members] of byFit) {
      const { normalizeBy, learner } = candidates[members[0]];
      const matrix = sets.get(normalizeBy)?.matrix;
      if (!matrix) throw new Error('no feature set for this normalisation');
      if (learner.kind === 'gbt') {
        const cacheKey = `${f}|${key}`;
        let fitted = gbtFits.get(cacheKey);
        if (!fitted) {
          say(
            `fold ${f + 1}/${folds.length}: ${describeHyperparameters({ normalizeBy, learner: { ...learner, nTrees: maxTrees } }, classification)}`
          );
          fitted = fitGbt(matrix, prepared.target, fold.train, { ...learner, nTrees: maxTrees }, opts.seed);
          gbtFits.set(cacheKey, fitted);
        }
        const checkpoints = [...new Set(members.map((i) => (candidates[i].learner as GbtSpec).nTrees))].sort(
          (a, b) => a - b
        );
        if (fitted.kind !== 'gbt') throw new Error('a GBT fit is not a GBT');
        const outputs = gbtCheckpointOutputs(fitted, matrix, fold.validation, checkpoints, classes);
        for (const i of members) {
          const at = checkpoints.indexOf((candidates[i].learner as GbtSpec).nTrees);
          scores[i] = scoreOf(fold.validation, outputs[at]);
        }
        continue;
      }
      const fitted = classification
        ? fitLogistic(matrix, prepared.target, fold.train, learner.l2, prepared.labels)
        : fitRidge(addGramBlocks(blocksOf(normalizeBy).filter((_, b) => b !== f)), learner.l2);
      const outputs = learnerOutputs(fitted, matrix, fold.validation, classes);
      for (const i of members) scores[i] = scoreOf(fold.validation, outputs);
    }
    return scores;
  };

  const metric = classification ? 'macroF1' : '-rmse';
  const crossValidation: CrossValidation<TabularHyperparameters> = coordinateSearch<TabularHyperparameters>(
    { normalizeBy: normalizations, learner: learners },
    (candidates) => gridSearch(candidates, folds, kind, metric, (fold, f) => scoreFold(candidates, fold, f), K)
  );
  const hyperparameters = crossValidation.candidates[crossValidation.chosen].hyperparameters;
  say(`chose ${describeHyperparameters(hyperparameters, classification)} (${kind} ${folds.length}-fold CV)`);
  const oof = crossValidation.outOfFold;
  const temperature = classification
    ? fitTemperature(
        oof.probabilities,
        Int32Array.from(oof.rows, (r) => prepared.target.values[r]),
        K
      )
    : 1;
  const interval = classification
    ? null
    : fitIntervals(
        oof.probabilities,
        Float64Array.from(oof.rows, (r) => prepared.target.values[r])
      );

  const fit = (set: FeatureSet, fitRows: readonly number[], blocks?: GramBlock[]): FittedLearner => {
    const { learner } = hyperparameters;
    if (learner.kind === 'gbt') {
      return fitGbt(set.matrix, prepared.target, fitRows, learner, opts.seed);
    }
    if (classification) return fitLogistic(set.matrix, prepared.target, fitRows, learner.l2, prepared.labels);
    return fitRidge(addGramBlocks(blocks ?? [gramBlock(set.matrix, prepared.target.values, fitRows)]), learner.l2);
  };

  // The report: the chosen candidate fitted on the training part, scored on the held-out rows.
  const trainSet = sets.get(hyperparameters.normalizeBy);
  if (!trainSet) throw new Error('no feature set for the chosen normalisation');
  say(`fitting on the training part (${split.train.length} rows)`);
  const splitLearner = fit(
    trainSet,
    split.train,
    hyperparameters.learner.kind === 'linear' && !classification ? blocksOf(hyperparameters.normalizeBy) : undefined
  );
  const splitModel: TabularModel = {
    task: prepared.task,
    target: request.target,
    labels: prepared.labels,
    ...(prepared.positiveLabel === undefined ? {} : { positiveLabel: prepared.positiveLabel }),
    features: trainSet.params,
    learner: splitLearner,
    temperature,
    interval,
  };
  const figuresOf = (model: TabularModel, matrix: FeatureMatrix, list: readonly number[]): TabularFigures => {
    if (classification) {
      return classificationFigures(
        prepared.labels,
        list.map((r) => prepared.target.values[r]),
        predictClassification(model, matrix, list)
      );
    }
    const p = predictRegression(model, matrix, list);
    return regressionFigures(
      list.map((r) => prepared.target.values[r]),
      p.prediction,
      p.p10,
      p.p90
    );
  };
  const test = figuresOf(splitModel, trainSet.matrix, split.test);
  const trainFigures = figuresOf(splitModel, trainSet.matrix, split.train);
  let calibration: TabularReport['calibration'];
  if (classification) {
    const truth = Int32Array.from(split.test, (r) => prepared.target.values[r]);
    const raw = softmaxRows(learnerOutputs(splitLearner, trainSet.matrix, split.test, classes), K);
    const before = calibrationFigures(raw, truth, K);
    const after = calibrationFigures(applyTemperature(raw, K, temperature), truth, K);
    calibration = {
      method: 'temperature',
      temperature,
      fittedOn: TEMPERATURE_FITTED_ON,
      heldOut: { eceBefore: before.ece, ...after },
    };
  }
  let segments: TabularReport['segments'];
  if (request.segment) {
    const column = request.segment;
    const bySegment = new Map<string, number[]>();
    for (const r of split.test)
      bySegment.set(rows[r][column] ?? '', [...(bySegment.get(rows[r][column] ?? '') ?? []), r]);
    segments = {
      column,
      test: [...bySegment.entries()]
        .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
        .slice(0, MAX_SEGMENTS)
        .map(([segment, list]) => ({ segment, ...figuresOf(splitModel, trainSet.matrix, list) })),
    };
  }

  // The exported model: features and learner refitted on every labelled row.
  say(`refitting on all ${prepared.labelled.length} rows`);
  const finalSet = featureSet(rows, request, kinds, prepared.labelled, hyperparameters.normalizeBy);
  const finalLearner = fit(finalSet, prepared.labelled);
  const model: TabularModel = { ...splitModel, features: finalSet.params, learner: finalLearner };
  const cv = crossValidation;
  const report: TabularReport = {
    target: request.target,
    task: prepared.task,
    taskFrom: prepared.taskFrom,
    evaluation: HELD_OUT_EVALUATION,
    rows: {
      labelled: prepared.labelled.length,
      withoutTarget: rows.length - prepared.labelled.length,
      train: split.train.length,
      test: split.test.length,
      groups: split.groups,
    },
    features: { count: finalSet.params.names.length, names: finalSet.params.names },
    crossValidation: {
      kind: cv.kind,
      folds: cv.folds,
      metric: cv.metric,
      candidates: cv.candidates,
      chosen: hyperparameters,
      chosenDescription: describeHyperparameters(hyperparameters, classification),
    },
    calibration,
    intervals: interval
      ? {
          method: interval.method,
          levels: interval.levels,
          bins: interval.edges.length + 1,
          fittedOn: 'out-of-fold residuals of the chosen candidate on the training part',
        }
      : undefined,
    train: trainFigures,
    test,
    segments,
  };
  const hashed = [
    ...new Set([
      ...request.features,
      request.target,
      ...(request.group ? [request.group] : []),
      ...(order ? [order] : []),
    ]),
  ];
  return { model, report, hyperparameters, dataHash: hashRows(rows, hashed), dataColumns: hashed, heldOut: split.test };
}

/** Tensor names of the exported graph: float32 [N, F] in; [N, 1] numbers or [N, K] probabilities out. */
export const TABULAR_TENSORS = {
  input: 'features',
  prediction: 'prediction',
  p10: 'p10',
  p90: 'p90',
  probabilities: 'probabilities',
} as const;

/**
 * What a tabular model's folder holds next to `model.onnx`. Field names follow the text
 * classifiers' `ModelManifest` (format, name, version, createdAt, target, kind, trainingWindow,
 * dataHash, metrics, parentVersion) so that one registry holds both.
 */
export interface TabularManifest {
  format: 1;
  name: string;
  version: string;
  createdAt: string;
  /** The target column, as written in the training file. */
  target: string;
  kind: 'tabular_regressor' | 'tabular_classifier';
  /** Classification: output column order of `probabilities`; empty for regression. */
  labels: string[];
  /**
   * Two classes: the one whose probability `nocai predict` writes as `<target>_probability` (see
   * `positiveLabelOf`; models trained before it was chosen name the second label).
   */
  positiveLabel?: string;
  inputs: {
    /** Columns every input row needs. */
    columns: string[];
    tensor: { name: typeof TABULAR_TENSORS.input; dimension: number };
  };
  outputs:
    | {
        prediction: typeof TABULAR_TENSORS.prediction;
        p10: typeof TABULAR_TENSORS.p10;
        p90: typeof TABULAR_TENSORS.p90;
      }
    | { probabilities: typeof TABULAR_TENSORS.probabilities };
  /** Replayed in TypeScript by `nocai predict` before onnxruntime runs the graph. */
  features: TabularFeatureParams;
  hyperparameters: TabularHyperparameters;
  temperature: number;
  interval: IntervalParams | null;
  trainingWindow: { trainRows: number; testRows: number; groupColumn?: string; orderColumn?: string };
  /** The columns `dataHash` covers, in order (absent in versions trained before 2026-11-29). */
  dataColumns?: string[];
  dataHash: string;
  metrics: TabularReport;
  parentVersion: string | null;
}

/**
 * The output index of a two-class manifest's positive class: its `positiveLabel`, or the second
 * label for manifests that name none.
 */
export function positiveLabelIndex(manifest: Pick<TabularManifest, 'labels' | 'positiveLabel'>): number {
  const at = manifest.positiveLabel === undefined ? -1 : manifest.labels.indexOf(manifest.positiveLabel);
  return at >= 0 ? at : Math.min(1, Math.max(0, manifest.labels.length - 1));
}

export function isTabularManifest(manifest: { kind: string }): manifest is TabularManifest {
  return manifest.kind === 'tabular_regressor' || manifest.kind === 'tabular_classifier';
}

/**
 * A registry name from a target column's name: "RUL [cycles]" → "rul-cycles", "Température (°C)"
 * → "température-c", "Температура" → "температура". Letters of every script are kept, composed (NFC)
 * as keyboards type them; a name of no letter or digit is "target".
 */
export function tabularModelName(target: string): string {
  const slug = canonicalModelName(target)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '-')
    .replace(/^[^\p{L}\p{N}]+|-+$/gu, '');
  return slug === '' ? 'target' : slug;
}
