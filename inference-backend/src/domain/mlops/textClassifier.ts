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
import type { FeatureInput, Featurizer, FeaturizerOptions, FeaturizerParams, TokenizedCorpus } from './featurizer';
import {
  applyTemperature,
  calibrationFigures,
  coordinateSearch,
  DEFAULT_FOLDS,
  fitTemperature,
  gridSearch,
  HELD_OUT_EVALUATION,
  stratifiedKFold,
  TEMPERATURE_FITTED_ON,
  timeOrderedFolds,
} from './methodology';
import type { CrossValidation, Fold, FoldScore, MethodologyReport, ProgressListener } from './methodology';
import { evaluateClassification } from './metrics';
import type { EvaluationReport } from './metrics';
import { argmax, predictMatrix, predictProbabilities, trainSoftmaxRegression, withTemperature } from './softmaxRegression';
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
}

/**
 * The values cross-validated, axis by axis in this order (coordinate search, see
 * methodology.ts), starting from the first value of each.
 */
export interface TextGrid {
  C: readonly number[];
  classWeight: ReadonlyArray<TrainOptions['classWeight']>;
  maxFeatures: readonly number[];
}

export const DEFAULT_TEXT_GRID: TextGrid = {
  C: [3, 10],
  classWeight: ['none', 'sqrt', 'balanced'],
  maxFeatures: [DEFAULT_MAX_FEATURES, 50_000],
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
  return { documents: Int32Array.from(documents), targets: Int32Array.from(targets), counts: Float64Array.from(counts) };
}

/** A candidate fitted on some rows: its vocabulary and (uncalibrated) model. */
interface Fitted {
  hyperparameters: TextHyperparameters;
  featurizer: Featurizer;
  model: LinearModel;
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
    const featurizer = createFeaturizer(fitVocabulary(data.corpus, train.documents, { maxFeatures: cap }, train.counts));
    const features = featurizer.transformCorpus(data.corpus, train.documents);
    candidates.forEach((candidate, i) => {
      if (candidate.maxFeatures !== cap) return;
      const { C, classWeight } = candidate;
      const { model } = trainSoftmaxRegression(
        { features, targets: train.targets, labels: data.labels, counts: train.counts },
        { C, classWeight, maxIterations }
      );
      visit(i, { hyperparameters: candidate, featurizer, model });
    });
  }
}

/** Probabilities [rows × labels] of a fitted candidate, one row per example row (in `rows` order). */
function probabilitiesOf(data: TextTrainingData, fitted: Fitted, rows: readonly number[]): Float64Array {
  const documents = [...new Set(rows.map((r) => data.documentOf[r]))];
  const position = new Map(documents.map((d, i) => [d, i] as const));
  const P = predictMatrix(fitted.model, fitted.featurizer.transformCorpus(data.corpus, documents));
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
  const folds = local.map((f) => ({ train: f.train.map((i) => rows[i]), validation: f.validation.map((i) => rows[i]) }));
  const K = data.labels.length;
  const crossValidation = coordinateSearch<TextHyperparameters>(axes, (candidates, stage) =>
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
  const hyperparameters = crossValidation.candidates[crossValidation.chosen].hyperparameters;
  const temperature = fitTemperature(
    crossValidation.outOfFold.probabilities,
    targetsOf(data, crossValidation.outOfFold.rows),
    K
  );
  return { crossValidation, hyperparameters, temperature };
}

/** The chosen candidate fitted on `rows` (plus the seed examples), calibrated. */
export function fitChosen(
  data: TextTrainingData,
  rows: readonly number[],
  hyperparameters: TextHyperparameters,
  temperature: number,
  maxIterations = DEFAULT_TEXT_CLASSIFIER_OPTIONS.maxIterations
): { featurizer: Featurizer; model: LinearModel } {
  let out: Fitted | undefined;
  fitCandidates(data, rows, [hyperparameters], maxIterations, (_, fitted) => (out = fitted));
  if (!out) throw new Error('no candidate was fitted');
  return { featurizer: out.featurizer, model: withTemperature(out.model, temperature) };
}

/** Probabilities of a fitted model for some rows of the data, [rows × labels]. */
export function predictRows(
  data: TextTrainingData,
  fitted: { featurizer: Featurizer; model: LinearModel },
  rows: readonly number[]
): Float64Array {
  return probabilitiesOf(data, { ...fitted, hyperparameters: DEFAULT_HYPERPARAMETERS }, rows);
}

const DEFAULT_HYPERPARAMETERS: TextHyperparameters = { C: 1, classWeight: 'none', maxFeatures: 0 };

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
  const train = scoreProbabilities(data.labels, targetsOf(data, split.train), predictRows(data, splitTrained, split.train));
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
  };
}

export function describe(h: TextHyperparameters): string {
  return `C=${h.C}, class weights ${h.classWeight}, ≤${h.maxFeatures} features per block`;
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
