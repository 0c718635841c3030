import type { Explanation } from '@nocai/contract';
import { CONTEXT_PREFIX, createFeaturizer, fitFeaturizer, words } from './featurizer';
import type { FeatureInput, Featurizer, FeaturizerOptions, FeaturizerParams, SparseVector } from './featurizer';
import { evaluateClassification } from './metrics';
import type { EvaluationReport } from './metrics';
import { argmax, predictProbabilities, trainSoftmaxRegression } from './softmaxRegression';
import type { LinearModel, TrainOptions } from './softmaxRegression';
import { timeOrderedSplit } from './split';

export interface LabelledExample extends FeatureInput {
  label: string;
  /** When the example happened (ms since the epoch); absent: row order is time order. */
  timeMs?: number;
}

export interface TextClassifierOptions {
  featurizer: Partial<FeaturizerOptions>;
  training: Partial<TrainOptions>;
  testFraction: number;
}

export interface TrainedTextClassifier {
  target: string;
  featurizer: FeaturizerParams;
  model: LinearModel;
  report: EvaluationReport;
  /** Oldest and newest training example (ms), when examples carry times. */
  window: { fromMs?: number; toMs?: number; trainRows: number; testRows: number };
}

export class TrainingDataError extends Error {}

/** Examples that featurize identically and share a label, counted once with their multiplicity. */
interface Group {
  input: FeatureInput;
  label: string;
  count: number;
}

/**
 * Log lines repeat endlessly once masked (a million lines are a few thousand distinct ones):
 * training and scoring on distinct rows with counts gives the same loss and metrics far faster.
 */
function groupExamples(examples: readonly LabelledExample[], rows: readonly number[]): Group[] {
  const groups = new Map<string, Group>();
  for (const i of rows) {
    const e = examples[i];
    const context = Object.entries(e.context)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v.toLowerCase()}`)
      .join('\u0001');
    const key = `${e.label}\u0000${context}\u0000${words(e.text).join(' ')}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { input: e, label: e.label, count: 1 });
  }
  return [...groups.values()];
}

function scoreGroups(model: LinearModel, features: readonly SparseVector[], groups: readonly Group[]) {
  const predicted = features.map((x) => model.labels[argmax(predictProbabilities(model, x))]);
  return evaluateClassification(
    model.labels,
    groups.map((g) => g.label),
    predicted,
    groups.map((g) => g.count)
  );
}

/**
 * Fits featurizer and model on the older 80% of each class and scores the newer 20%: the
 * report says how the model would have done on data it had not seen yet.
 */
export function trainTextClassifier(
  target: string,
  examples: readonly LabelledExample[],
  options: Partial<TextClassifierOptions> = {}
): TrainedTextClassifier {
  if (examples.length === 0) throw new TrainingDataError(`no rows to train ${target} on`);
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2) {
    throw new TrainingDataError(`${target} needs at least 2 classes, found ${labels.length} (${labels.join(', ')})`);
  }
  const hasTimes = examples.every((e) => e.timeMs !== undefined && Number.isFinite(e.timeMs));
  const split = timeOrderedSplit(
    examples.map((e) => e.label),
    {
      testFraction: options.testFraction,
      timeOf: hasTimes ? (i) => examples[i].timeMs ?? 0 : undefined,
    }
  );
  const trainGroups = groupExamples(examples, split.train);
  const testGroups = groupExamples(examples, split.test);
  const params = fitFeaturizer(
    trainGroups.map((g) => g.input),
    options.featurizer,
    trainGroups.map((g) => g.count)
  );
  const featurizer = createFeaturizer(params);
  const trainFeatures = trainGroups.map((g) => featurizer.transform(g.input));
  const labelIndex = new Map(labels.map((l, i) => [l, i] as const));
  const model = trainSoftmaxRegression(
    {
      features: trainFeatures,
      targets: trainGroups.map((g) => labelIndex.get(g.label) ?? 0),
      labels,
      dimension: featurizer.dimension,
      counts: trainGroups.map((g) => g.count),
    },
    options.training
  );
  const train = scoreGroups(model, trainFeatures, trainGroups);
  const test = scoreGroups(
    model,
    testGroups.map((g) => featurizer.transform(g.input)),
    testGroups
  );
  // split.train is oldest first.
  const first = split.train[0];
  const last = split.train[split.train.length - 1];
  return {
    target,
    featurizer: params,
    model,
    report: { target, train: { rows: train.rows, accuracy: train.accuracy, macroF1: train.macroF1 }, test },
    window: {
      fromMs: hasTimes && first !== undefined ? examples[first].timeMs : undefined,
      toMs: hasTimes && last !== undefined ? examples[last].timeMs : undefined,
      trainRows: split.train.length,
      testRows: split.test.length,
    },
  };
}

/** How a feature is shown to people: context features as `site_kind=hospital`, char n-grams as is. */
export function featureLabel(feature: string): string {
  return feature.startsWith(CONTEXT_PREFIX) ? feature.slice(CONTEXT_PREFIX.length) : feature;
}

/**
 * The features that pushed `input` towards `label` (the predicted class when absent), strongest
 * first: weight × tf-idf value, positive contributions only.
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
  return x.indices
    .map((column, e) => ({
      feature: featureLabel(featurizer.params.vocabulary[column]),
      weight: model.weights[column * C + k] * x.values[e],
    }))
    .filter((c) => c.weight > 0)
    .sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1))
    .slice(0, options.top ?? 5);
}
