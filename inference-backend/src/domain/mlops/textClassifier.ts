import type { Explanation } from '@nocai/contract';
import {
  Block,
  blockOf,
  CHAR_PREFIX,
  CONTEXT_PREFIX,
  createFeaturizer,
  DEFAULT_MAX_FEATURES,
  fitVocabulary,
  LEAD_PREFIX,
  tokenizeCorpus,
  words,
} from './featurizer';
import type {
  FeatureInput,
  Featurizer,
  FeaturizerOptions,
  FeaturizerParams,
  SparseMatrix,
  TokenizedCorpus,
} from './featurizer';
import {
  applyTemperature,
  calibrationFigures,
  coordinateSearch,
  DEFAULT_FOLDS,
  fitTemperature,
  foldsCanLearnClasses,
  gridSearch,
  HELD_OUT_EVALUATION,
  stratifiedKFold,
  TEMPERATURE_FITTED_ON,
  timeOrderedFolds,
  tooFewPerClassMessage,
} from './methodology';
import type { CrossValidation, Fold, FoldScore, MethodologyReport, ProgressListener } from './methodology';
import { evaluateClassification } from './metrics';
import type { EvaluationReport } from './metrics';
import { blendLinear, trainNbLogistic } from './nbLogistic';
import {
  argmax,
  logitMatrix,
  predictMatrix,
  predictProbabilities,
  trainSoftmaxRegression,
  withTemperature,
} from './softmaxRegression';
import type { LinearModel, TrainOptions } from './softmaxRegression';
import { timeOrderedSplit } from './split';
import { isStopword } from './stopwords';

export interface LabelledExample extends FeatureInput {
  label: string;
  /** When the example happened (ms since the epoch); absent: row order is time order. */
  timeMs?: number;
  /** How much the example counts in fits and scores (1 when absent), e.g. a recency weight. */
  weight?: number;
}

/** What the cross-validation chooses for a text classifier. */
export interface TextHyperparameters {
  /** Inverse L2 strength, scikit-learn's C. */
  C: number;
  classWeight: TrainOptions['classWeight'];
  /** Vocabulary cap per block (word n-grams, character n-grams). */
  maxFeatures: number;
  /**
   * Share of NB-weighted logistic regression (nbLogistic.ts) in the model's logits, the rest the
   * multinomial regression's: (1 − s)·W + s·W_NB is still one linear model. 0 or absent: none.
   */
  nbLogisticShare?: number;
}

/**
 * The values cross-validated, axis by axis in this order (coordinate search, see
 * methodology.ts), starting from the first value of each. The NB-weighted share comes last, on
 * the chosen regression's out-of-fold logits: no regression is refitted for it.
 */
export interface TextGrid {
  C: readonly number[];
  classWeight: ReadonlyArray<TrainOptions['classWeight']>;
  maxFeatures: readonly number[];
  /** Shares of NB-weighted logistic regression tried in the blend; 0 (none) is always one of them. */
  nbLogisticShare: readonly number[];
}

export const DEFAULT_TEXT_GRID: TextGrid = {
  C: [3, 10],
  classWeight: ['none', 'sqrt', 'balanced'],
  maxFeatures: [DEFAULT_MAX_FEATURES, 50_000],
  nbLogisticShare: [0, 0.25, 0.5, 0.75],
};

export interface TextClassifierOptions {
  /** Fixed featurizer settings (n-gram lengths, minimum document frequency, tf); caps come from the grid. */
  featurizer: Partial<FeaturizerOptions>;
  grid: Partial<TextGrid>;
  /** k of the k-fold cross-validation on the training part. */
  folds: number;
  testFraction: number;
  /** Seeds the stratified folds; the optimiser itself has no randomness. */
  seed: number;
  maxIterations: number;
  /**
   * Curated rows (a documented vocabulary of the field) added to every training set: every CV
   * fit, the split-trained model and the refit. Never validated or held out: they are not data.
   */
  seedExamples: readonly LabelledExample[];
  onProgress: ProgressListener;
}

export const DEFAULT_TEXT_CLASSIFIER_OPTIONS: TextClassifierOptions = {
  featurizer: {},
  grid: {},
  folds: DEFAULT_FOLDS,
  testFraction: 0.2,
  seed: 1,
  maxIterations: 100,
  seedExamples: [],
  onProgress: () => undefined,
};

export interface TrainedTextClassifier {
  target: string;
  featurizer: FeaturizerParams;
  /** Calibrated and refitted on every row. */
  model: LinearModel;
  hyperparameters: TextHyperparameters;
  report: EvaluationReport & MethodologyReport<TextHyperparameters>;
  /** Oldest and newest training example (ms), when examples carry times. */
  window: { fromMs?: number; toMs?: number; trainRows: number; testRows: number };
  /** Indices of the held-out examples (those `report.test` scores). */
  heldOut: number[];
}

export class TrainingDataError extends Error {}

/**
 * Examples tokenised once. Log lines repeat endlessly once masked (a million lines are a few
 * thousand distinct ones), so each distinct input becomes one document of the corpus, and
 * every fit and score works on distinct (document, label) pairs with their counts: the same
 * loss and metrics, far faster.
 */
export interface TextTrainingData {
  examples: readonly LabelledExample[];
  labels: string[];
  /** Corpus document of each example; seed examples follow the examples. */
  documentOf: Int32Array;
  seedRows: number[];
  corpus: TokenizedCorpus;
}

function inputKey(e: FeatureInput): string {
  const context = Object.entries(e.context)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v.toLowerCase()}`)
    .join('\u0001');
  return `${context}\u0000${words(e.text).join(' ')}`;
}

export function prepareTextData(
  examples: readonly LabelledExample[],
  options: Pick<Partial<TextClassifierOptions>, 'featurizer' | 'seedExamples'> = {}
): TextTrainingData {
  const seeds = options.seedExamples ?? [];
  const all = [...examples, ...seeds];
  const labels = [...new Set(all.map((e) => e.label))].sort();
  const documents = new Map<string, number>();
  const inputs: FeatureInput[] = [];
  const documentOf = new Int32Array(all.length);
  all.forEach((e, i) => {
    const key = inputKey(e);
    let doc = documents.get(key);
    if (doc === undefined) {
      doc = inputs.length;
      documents.set(key, doc);
      inputs.push(e);
    }
    documentOf[i] = doc;
  });
  return {
    examples: all,
    labels,
    documentOf,
    seedRows: seeds.map((_, i) => examples.length + i),
    corpus: tokenizeCorpus(inputs, options.featurizer),
  };
}

/** Distinct (document, label) pairs of some rows, with how many rows each stands for. */
interface Grouped {
  documents: Int32Array;
  targets: Int32Array;
  counts: Float64Array;
}

function group(data: TextTrainingData, rows: readonly number[]): Grouped {
  const labelIndex = new Map(data.labels.map((l, i) => [l, i] as const));
  const pairs = new Map<number, number>();
  const documents: number[] = [];
  const targets: number[] = [];
  const counts: number[] = [];
  for (const row of rows) {
    const target = labelIndex.get(data.examples[row].label) ?? 0;
    const key = data.documentOf[row] * data.labels.length + target;
    const at = pairs.get(key);
    const weight = data.examples[row].weight ?? 1;
    if (at !== undefined) counts[at] += weight;
    else {
      pairs.set(key, documents.length);
      documents.push(data.documentOf[row]);
      targets.push(target);
      counts.push(weight);
    }
  }
  return {
    documents: Int32Array.from(documents),
    targets: Int32Array.from(targets),
    counts: Float64Array.from(counts),
  };
}

/** A candidate fitted on some rows: its vocabulary and (uncalibrated) model. */
interface Fitted {
  hyperparameters: TextHyperparameters;
  featurizer: Featurizer;
  model: LinearModel;
  /** The multinomial regression alone, before any NB-weighted blend (the same as model without one). */
  regression: LinearModel;
}

/** The vocabulary of `rows` (plus the seed examples) under a cap, and their feature matrix. */
function featuresOf(data: TextTrainingData, train: Grouped, cap: number) {
  const featurizer = createFeaturizer(fitVocabulary(data.corpus, train.documents, { maxFeatures: cap }, train.counts));
  return { featurizer, features: featurizer.transformCorpus(data.corpus, train.documents) };
}

function nbLogisticOf(
  data: TextTrainingData,
  train: Grouped,
  features: SparseMatrix,
  C: number,
  maxIterations: number
) {
  return trainNbLogistic(
    { features, targets: train.targets, labels: data.labels, counts: train.counts },
    { C, maxIterations }
  );
}

/**
 * Fits every candidate on `rows` (plus the seed examples). Candidates sharing a cap share one
 * vocabulary and feature matrix. Every fit starts from zero: a warm start from a neighbouring
 * C looks converged at once under the gradient tolerance, whose scale does not grow with C.
 * `visit` sees each fit as it is made, so callers can score and drop it.
 */
function fitCandidates(
  data: TextTrainingData,
  rows: readonly number[],
  candidates: readonly TextHyperparameters[],
  maxIterations: number,
  visit: (index: number, fitted: Fitted) => void
): void {
  const train = group(data, [...rows, ...data.seedRows]);
  const caps = [...new Set(candidates.map((c) => c.maxFeatures))];
  for (const cap of caps) {
    const { featurizer, features } = featuresOf(data, train, cap);
    candidates.forEach((candidate, i) => {
      if (candidate.maxFeatures !== cap) return;
      const { C, classWeight } = candidate;
      const share = candidate.nbLogisticShare ?? 0;
      const { model } = trainSoftmaxRegression(
        { features, targets: train.targets, labels: data.labels, counts: train.counts },
        { C, classWeight, maxIterations }
      );
      const blended =
        share > 0 ? blendLinear(model, nbLogisticOf(data, train, features, C, maxIterations), share) : model;
      visit(i, { hyperparameters: candidate, featurizer, model: blended, regression: model });
    });
  }
}

/**
 * Probabilities [rows × labels] of a fitted candidate, one row per example row (in `rows` order);
 * its logits instead when `logits`.
 */
function probabilitiesOf(
  data: TextTrainingData,
  fitted: Pick<Fitted, 'featurizer' | 'model'>,
  rows: readonly number[],
  logits = false
): Float64Array {
  const documents = [...new Set(rows.map((r) => data.documentOf[r]))];
  const position = new Map(documents.map((d, i) => [d, i] as const));
  const X = fitted.featurizer.transformCorpus(data.corpus, documents);
  const P = logits ? logitMatrix(fitted.model, X) : predictMatrix(fitted.model, X);
  const K = data.labels.length;
  const out = new Float64Array(rows.length * K);
  rows.forEach((row, r) => {
    const at = (position.get(data.documentOf[row]) ?? 0) * K;
    out.set(P.subarray(at, at + K), r * K);
  });
  return out;
}

function targetsOf(data: TextTrainingData, rows: readonly number[]): Int32Array {
  const labelIndex = new Map(data.labels.map((l, i) => [l, i] as const));
  return Int32Array.from(rows, (r) => labelIndex.get(data.examples[r].label) ?? 0);
}

function scoreProbabilities(labels: readonly string[], truth: ArrayLike<number>, probabilities: Float64Array) {
  const K = labels.length;
  const predicted: string[] = [];
  const actual: string[] = [];
  for (let r = 0; r < truth.length; r++) {
    predicted.push(labels[argmax(probabilities.subarray(r * K, (r + 1) * K))]);
    actual.push(labels[truth[r]]);
  }
  return evaluateClassification(labels, actual, predicted);
}

export interface HyperparameterSearch {
  crossValidation: CrossValidation<TextHyperparameters>;
  hyperparameters: TextHyperparameters;
  temperature: number;
}

/** The grid's axes with the caller's values in place of the defaults. */
export function textGrid(partial: Partial<TextGrid> = {}): TextGrid {
  return { ...DEFAULT_TEXT_GRID, ...partial };
}

/**
 * Chooses the hyperparameters by k-fold cross-validation on `rows` only (macro-F1, stratified
 * folds, or time-ordered ones when every example has a time) and the temperature on the
 * out-of-fold predictions of the chosen candidate.
 */
export function searchHyperparameters(
  data: TextTrainingData,
  rows: readonly number[],
  options: Partial<TextClassifierOptions> = {},
  name = 'model'
): HyperparameterSearch {
  const opts = { ...DEFAULT_TEXT_CLASSIFIER_OPTIONS, ...options };
  const axes = textGrid(opts.grid);
  const hasTimes = rows.every((r) => Number.isFinite(data.examples[r].timeMs));
  const labelsOfRows = rows.map((r) => data.examples[r].label);
  const k = Math.max(2, Math.min(opts.folds, rows.length));
  const local: Fold[] = hasTimes
    ? timeOrderedFolds(
        rows.map((r) => data.examples[r].timeMs ?? 0),
        k
      )
    : stratifiedKFold(labelsOfRows, k, opts.seed);
  const folds = local.map((f) => ({
    train: f.train.map((i) => rows[i]),
    validation: f.validation.map((i) => rows[i]),
  }));
  if (!foldsCanLearnClasses(folds, (r) => data.examples[r].label)) {
    const labels = data.examples.map((e) => e.label);
    throw new TrainingDataError(
      `${name} has ${tooFewPerClassMessage(labels, k)}${hasTimes ? ', and 2 classes among the oldest rows' : ''}`
    );
  }
  const K = data.labels.length;
  const { nbLogisticShare: shares, ...regressionAxes } = axes;
  const regression = coordinateSearch<TextHyperparameters>(regressionAxes, (candidates, stage) =>
    gridSearch(
      candidates,
      folds,
      hasTimes ? 'time-ordered' : 'stratified',
      'macroF1',
      (fold, f) => {
        opts.onProgress(
          `${name}: cross-validation fold ${f + 1}/${folds.length}, ${candidates.map(describe).join(' | ')} (step ${stage + 1})`
        );
        const truth = targetsOf(data, fold.validation);
        const scores: FoldScore[] = new Array(candidates.length);
        fitCandidates(data, fold.train, candidates, opts.maxIterations, (i, fitted) => {
          const probabilities = probabilitiesOf(data, fitted, fold.validation);
          scores[i] = { score: scoreProbabilities(data.labels, truth, probabilities).macroF1, probabilities };
        });
        return scores;
      },
      K
    )
  );
  const crossValidation = shares.some((share) => share > 0)
    ? searchBlend(data, folds, regression, shares, opts, name)
    : regression;
  const hyperparameters = crossValidation.candidates[crossValidation.chosen].hyperparameters;
  const temperature = fitTemperature(
    crossValidation.outOfFold.probabilities,
    targetsOf(data, crossValidation.outOfFold.rows),
    K
  );
  return { crossValidation, hyperparameters, temperature };
}

/**
 * The last step of the search: the share of NB-weighted logistic regression blended into the
 * chosen regression's logits. On each fold, the NB-weighted model is fitted with the chosen
 * vocabulary cap and C; the regression's out-of-fold probabilities are reused (log p is its
 * logits up to a constant per row, which changes no decision and no softmax), so no regression
 * is refitted. A share is chosen only when its mean macro-F1 beats every smaller one's.
 */
function searchBlend(
  data: TextTrainingData,
  folds: readonly Fold[],
  regression: CrossValidation<TextHyperparameters>,
  shares: readonly number[],
  opts: TextClassifierOptions,
  name: string
): CrossValidation<TextHyperparameters> {
  const base = regression.candidates[regression.chosen].hyperparameters;
  const K = data.labels.length;
  const ordered = [...new Set([0, ...shares])].sort((a, b) => a - b);
  const perFold = ordered.map(() => [] as number[]);
  const blended = ordered.map(() => new Float64Array(regression.outOfFold.probabilities.length));
  let at = 0;
  folds.forEach((fold, f) => {
    opts.onProgress(
      `${name}: cross-validation fold ${f + 1}/${folds.length}, NB-weighted logistic regression with ${describe(base)} ` +
        `(shares ${ordered.join(', ')})`
    );
    const train = group(data, [...fold.train, ...data.seedRows]);
    const { featurizer, features } = featuresOf(data, train, base.maxFeatures);
    const model = nbLogisticOf(data, train, features, base.C, opts.maxIterations);
    const nb = probabilitiesOf(data, { featurizer, model }, fold.validation, true);
    const truth = targetsOf(data, fold.validation);
    const lr = regression.outOfFold.probabilities.subarray(at, at + nb.length);
    ordered.forEach((share, s) => {
      const out = blended[s].subarray(at, at + nb.length);
      for (let p = 0; p < nb.length; p++) out[p] = (1 - share) * Math.log(Math.max(lr[p], 1e-300)) + share * nb[p];
      softmaxRows(out, K);
      perFold[s].push(scoreProbabilities(data.labels, truth, out).macroF1);
    });
    at += nb.length;
  });
  const summaries = ordered.map((share, s) => {
    const values = perFold[s];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / values.length);
    return { hyperparameters: { ...base, nbLogisticShare: share }, mean, std, perFold: values };
  });
  let chosen = 0;
  summaries.forEach((s, c) => {
    if (s.mean > summaries[chosen].mean + 1e-9) chosen = c;
  });
  // Every share tried is listed in the report; share 0 is the regression's own candidate.
  const candidates = [...regression.candidates, ...summaries.slice(1)];
  if (chosen === 0) return { ...regression, candidates };
  return {
    ...regression,
    candidates,
    chosen: regression.candidates.length + chosen - 1,
    outOfFold: { rows: regression.outOfFold.rows, probabilities: blended[chosen] },
  };
}

/** Softmax of each row of logits [rows × classes], in place. */
function softmaxRows(z: Float64Array, K: number): void {
  for (let r = 0; r < z.length; r += K) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, z[r + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      z[r + k] = Math.exp(z[r + k] - m);
      sum += z[r + k];
    }
    for (let k = 0; k < K; k++) z[r + k] /= sum;
  }
}

/**
 * The chosen candidate fitted on `rows` (plus the seed examples), calibrated; `regression` is
 * its multinomial regression alone, uncalibrated (what the model is without an NB-weighted
 * blend: the bench scores both).
 */
export function fitChosen(
  data: TextTrainingData,
  rows: readonly number[],
  hyperparameters: TextHyperparameters,
  temperature: number,
  maxIterations = DEFAULT_TEXT_CLASSIFIER_OPTIONS.maxIterations
): { featurizer: Featurizer; model: LinearModel; regression: LinearModel } {
  let out: Fitted | undefined;
  fitCandidates(data, rows, [hyperparameters], maxIterations, (_, fitted) => (out = fitted));
  if (!out) throw new Error('no candidate was fitted');
  return { featurizer: out.featurizer, model: withTemperature(out.model, temperature), regression: out.regression };
}

/** Probabilities of a fitted model for some rows of the data, [rows × labels]. */
export function predictRows(
  data: TextTrainingData,
  fitted: { featurizer: Featurizer; model: LinearModel },
  rows: readonly number[]
): Float64Array {
  return probabilitiesOf(data, fitted, rows);
}

/**
 * The methodology of `methodology.ts` for text: hold out the newest 20% of each class, choose
 * hyperparameters and temperature by CV on the rest, score the model fitted on the rest on the
 * held-out rows (the report), then refit on every row with the same choices (the model).
 */
export function trainTextClassifier(
  target: string,
  examples: readonly LabelledExample[],
  options: Partial<TextClassifierOptions> = {}
): TrainedTextClassifier {
  const opts = { ...DEFAULT_TEXT_CLASSIFIER_OPTIONS, ...options };
  if (examples.length === 0) throw new TrainingDataError(`no rows to train ${target} on`);
  const found = [...new Set(examples.map((e) => e.label))].sort();
  if (found.length < 2) {
    throw new TrainingDataError(`${target} needs at least 2 classes, found ${found.length} (${found.join(', ')})`);
  }
  const hasTimes = examples.every((e) => e.timeMs !== undefined && Number.isFinite(e.timeMs));
  const split = timeOrderedSplit(
    examples.map((e) => e.label),
    {
      testFraction: opts.testFraction,
      timeOf: hasTimes ? (i) => examples[i].timeMs ?? 0 : undefined,
    }
  );
  // A class of one row is learned, not held out: with every class so, there is nothing to score
  // the model on, and a report of held-out F1 0 would read as a model that is always wrong.
  if (split.test.length === 0) {
    throw new TrainingDataError(
      `${target} has a single row of each of its ${found.length} classes, so none can be held out to score the model; ` +
        'give at least 2 rows of a class'
    );
  }
  opts.onProgress(`${target}: tokenising ${examples.length} rows`);
  const data = prepareTextData(examples, opts);
  const K = data.labels.length;
  const search = searchHyperparameters(data, split.train, opts, target);
  const { hyperparameters, temperature } = search;
  opts.onProgress(`${target}: fitting ${describe(hyperparameters)} on the training part`);
  const splitTrained = fitChosen(data, split.train, hyperparameters, 1, opts.maxIterations);
  const heldOutRaw = predictRows(data, splitTrained, split.test);
  const heldOut = applyTemperature(heldOutRaw, K, temperature);
  const testTruth = targetsOf(data, split.test);
  const test = scoreProbabilities(data.labels, testTruth, heldOut);
  const train = scoreProbabilities(
    data.labels,
    targetsOf(data, split.train),
    predictRows(data, splitTrained, split.train)
  );
  const before = calibrationFigures(heldOutRaw, testTruth, K);
  const after = calibrationFigures(heldOut, testTruth, K);
  opts.onProgress(`${target}: refitting on all ${examples.length} rows`);
  const all = examples.map((_, i) => i);
  const final = fitChosen(data, all, hyperparameters, temperature, opts.maxIterations);
  const cv = search.crossValidation;
  // split.train is oldest first.
  const first = split.train[0];
  const last = split.train[split.train.length - 1];
  return {
    target,
    featurizer: final.featurizer.params,
    model: final.model,
    hyperparameters,
    report: {
      target,
      evaluation: HELD_OUT_EVALUATION,
      train: { rows: train.rows, accuracy: train.accuracy, macroF1: train.macroF1 },
      test,
      crossValidation: {
        kind: cv.kind,
        folds: cv.folds,
        metric: cv.metric,
        candidates: cv.candidates,
        chosen: hyperparameters,
      },
      calibration: {
        method: 'temperature',
        temperature,
        fittedOn: TEMPERATURE_FITTED_ON,
        heldOut: { eceBefore: before.ece, ...after },
      },
    },
    window: {
      fromMs: hasTimes && first !== undefined ? examples[first].timeMs : undefined,
      toMs: hasTimes && last !== undefined ? examples[last].timeMs : undefined,
      trainRows: split.train.length,
      testRows: split.test.length,
    },
    heldOut: split.test,
  };
}

export function describe(h: TextHyperparameters): string {
  const share = h.nbLogisticShare ?? 0;
  return (
    `C=${h.C}, class weights ${h.classWeight}, ≤${h.maxFeatures} features per block` +
    (share > 0 ? `, ${share} NB-weighted logistic regression` : '')
  );
}

/** How a feature is shown to people: context features as `site_kind=hospital`. */
export function featureLabel(feature: string): string {
  return feature.startsWith(CONTEXT_PREFIX) ? feature.slice(CONTEXT_PREFIX.length) : feature;
}

/**
 * The terms that pushed `input` towards `label` (the predicted class when absent), strongest
 * first. Each feature contributes weight × tf-idf value; a word is credited with its own
 * unigram, half of each bigram it is in and its share of the character n-grams inside it, so
 * the explanation names words people read, not `# po`. Stopwords are never listed, and only
 * positive contributions are.
 */
export function explain(
  model: LinearModel,
  featurizer: Featurizer,
  input: FeatureInput,
  options: { label?: string; top?: number } = {}
): Explanation[] {
  const x = featurizer.transform(input);
  const C = model.labels.length;
  const k = options.label === undefined ? argmax(predictProbabilities(model, x)) : model.labels.indexOf(options.label);
  if (k < 0) throw new Error(`unknown label ${String(options.label)}; the model knows ${model.labels.join(', ')}`);
  const vocabulary = featurizer.params.vocabulary;
  const credit = new Map<string, number>();
  const add = (term: string, amount: number) => credit.set(term, (credit.get(term) ?? 0) + amount);
  // Which words of the input hold each character n-gram, to share its contribution among them.
  const holders = new Map<string, string[]>();
  const inputWords = [...new Set(words(input.text))].filter((w) => !w.startsWith('<'));
  const gramLengths = featurizer.params.options.charNgrams;
  for (const w of inputWords) {
    const padded = ` ${w} `;
    for (const n of gramLengths) {
      const grams = padded.length <= n ? [padded] : [];
      for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n));
      for (const g of new Set(grams)) {
        const list = holders.get(g) ?? [];
        list.push(w);
        holders.set(g, list);
      }
    }
  }
  x.indices.forEach((column, e) => {
    const feature = vocabulary[column];
    const contribution = model.weights[column * C + k] * x.values[e];
    switch (blockOf(feature)) {
      case Block.Context:
        add(featureLabel(feature), contribution);
        break;
      case Block.Lead: {
        const parts = feature.slice(LEAD_PREFIX.length).split(' ');
        for (const w of parts) add(w, contribution / parts.length);
        break;
      }
      case Block.Char: {
        const owners = holders.get(feature.slice(CHAR_PREFIX.length)) ?? [];
        for (const w of owners) add(w, contribution / owners.length);
        break;
      }
      default: {
        const parts = feature.split(' ');
        for (const w of parts) add(w, contribution / parts.length);
      }
    }
  });
  return [...credit.entries()]
    .filter(([term, weight]) => weight > 0 && !isStopword(term))
    .map(([feature, weight]) => ({ feature, weight }))
    .sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1))
    .slice(0, options.top ?? 5);
}
