import { createHash } from 'node:crypto';
import { TICKET_HISTORY_COLUMNS } from '@nocai/contract';
import type { TicketHistoryRow } from '@nocai/contract';
import { DEFAULT_GBT_OPTIONS, predictGbt, predictGbtMatrix, quantileOfSorted, trainGbt } from './gbt';
import type { FeatureMatrix, GbtModel, GbtOptions } from './gbt';
import type { Provenance, VersionMetadata } from './manifest';
import {
  describeFeatureSource,
  isCategoryColumn,
  mttrDepartmentColumns,
  mttrFeatures,
  mttrFeatureSchema,
  mttrInputOf,
  writeMttrFeatures,
} from './mttrFeatures';
import type { MttrFeatureSchema, MttrTicketInput } from './mttrFeatures';
import { treeShap } from './treeShap';

/**
 * Time to resolve a ticket, as a P50 and a P90: two quantile-loss boosted ensembles on
 * log1p(seconds) (resolution times span minutes to days; on the log scale a tree's leaf is a
 * ratio, not an absolute number of hours). The P90 is then shifted by a split-conformal offset
 * measured on the last slice of the training period, so "90% of tickets are resolved by then"
 * holds on tickets the model has not seen.
 */

export const MTTR_MODEL_NAME = 'mttr';
export const MTTR_QUANTILES = [0.5, 0.9] as const;
/** Tensor names of the exported graph: float32 [N, F] in, float32 [N, 1] seconds out. */
export const MTTR_TENSORS = { input: 'features', p50: 'p50_seconds', p90: 'p90_seconds' } as const;

export type MttrHyperParameters = Omit<GbtOptions, 'loss' | 'onTree'>;

export const DEFAULT_MTTR_HYPER_PARAMETERS: MttrHyperParameters = {
  ...DEFAULT_GBT_OPTIONS,
  nTrees: 150,
  learningRate: 0.08,
  maxDepth: 5,
  minSamplesLeaf: 15,
  seed: 42,
};

export interface MttrTrainOptions {
  /** Share of the most recent tickets held out for evaluation; never trained on. */
  holdoutFraction: number;
  /** Share at the end of the training period that calibrates the P90 instead of fitting it. */
  calibrationFraction: number;
  hyperParameters: Partial<MttrHyperParameters>;
  /** Defaults to a date stamp plus the data hash: retraining on the same rows names the same model. */
  version?: string;
  createdAt?: Date;
  /** The model this one was retrained from, for the registry's lineage. */
  parentVersion?: string;
  holidaysMmDd?: readonly string[];
  /** Trees built so far, over both quantile models. */
  onProgress?: (treesBuilt: number, treesTotal: number) => void;
  provenance?: Provenance;
}

export const DEFAULT_MTTR_TRAIN_OPTIONS: MttrTrainOptions = {
  holdoutFraction: 0.2,
  calibrationFraction: 0.25,
  hyperParameters: {},
};

export interface MttrSliceMetrics {
  rows: number;
  /** Mean absolute error of the P50, seconds. */
  maeSeconds: number;
  /** Share of tickets resolved within the predicted P90. */
  p90Coverage: number;
}

export interface MttrMetrics {
  train: MttrSliceMetrics;
  calibration: MttrSliceMetrics & { p90CoverageBeforeConformal: number };
  holdout: MttrSliceMetrics & {
    from: string;
    to: string;
    p90CoverageBeforeConformal: number;
    /** "Median MTTR of the ticket's (class, department)" over the training period. */
    baselineMaeSeconds: number;
    /** 1 - mae / baselineMae: 0.3 means 30% fewer seconds of error than the baseline. */
    improvementOverBaseline: number;
  };
}

/**
 * Field names follow the text classifiers' `ModelManifest` (format, name, version, createdAt,
 * target, kind, trainingWindow, dataHash, metrics, parentVersion) so one registry can hold both.
 */
export interface MttrManifest extends Pick<VersionMetadata, 'createdBy' | 'reason'> {
  format: 1;
  name: typeof MTTR_MODEL_NAME;
  version: string;
  createdAt: string;
  target: 'mttr_seconds';
  kind: 'gbt_quantile_regressor';
  inputs: { tensor: { name: typeof MTTR_TENSORS.input; dimension: number } };
  outputs: { p50: typeof MTTR_TENSORS.p50; p90: typeof MTTR_TENSORS.p90 };
  /** The trees add up to log1p(seconds); the graph (and `predictMttr`) apply expm1. */
  treeOutput: 'log1p_seconds';
  featureSchema: MttrFeatureSchema;
  quantiles: number[];
  /** log1p-seconds added to the P90 ensemble's base value (already included in the trees' model). */
  conformalOffset: number;
  /**
   * Opened-at range of the tickets the models learned from (holdout excluded), and how many rows
   * were left out because the backend closed them after quiet time (`auto_resolved`: their
   * duration says when alerts stopped, not when someone fixed the fault).
   */
  trainingWindow: {
    from: string;
    to: string;
    trainRows: number;
    testRows: number;
    timeColumn: 'opened_at';
    autoResolvedExcluded?: number;
  };
  /**
   * Median P90/P50 ratio of the training tickets' predictions. Quantile models trained apart can
   * cross for a ticket; its P90 is then its P50 times this, rather than the P50 itself.
   */
  p90OverP50?: number;
  /** sha256 of the training and holdout rows, in time order, TICKET_HISTORY_COLUMNS order. */
  dataHash: string;
  hyperParameters: MttrHyperParameters;
  metrics: MttrMetrics;
  parentVersion: string | null;
}

export interface MttrModel {
  manifest: MttrManifest;
  /** Raw output log1p(seconds); P90 includes the conformal offset. */
  p50: GbtModel;
  p90: GbtModel;
}

export interface MttrPrediction {
  p50Seconds: number;
  p90Seconds: number;
  modelVersion: string;
  /** Set when the P90 is not the P90 model's own answer (see `spreadCrossedP90`). */
  note?: string;
}

/** Serves predictions; the ONNX runtime adapter implements it. */
export interface MttrPredictor {
  readonly version: string;
  predict(inputs: readonly MttrTicketInput[]): Promise<MttrPrediction[]>;
}

export interface MttrFeatureWeight {
  /** Source column and the ticket's value for categories ("priority=P4"), else the feature name. */
  feature: string;
  /** Change in natural-log seconds: +0.69 roughly doubles the predicted time, -0.69 halves it. */
  weight: number;
  /** The ticket's value of a numeric or flag input (hour_of_day 19, is_weekend 1); categories have none. */
  value?: number;
}

export const mttrSecondsOfRow = (row: TicketHistoryRow): number =>
  Math.max(0, (Date.parse(row.resolved_at) - Date.parse(row.opened_at)) / 1000);

/** A row whose resolution time is a time to resolve: not one the backend closed after quiet time. */
export const isResolvedByPeople = (row: TicketHistoryRow): boolean => row.auto_resolved !== 'true';

const toSeconds = (raw: number) => Math.max(0, Math.expm1(raw));

function matrixOf(schema: MttrFeatureSchema, rows: readonly TicketHistoryRow[]): FeatureMatrix {
  const featureCount = schema.features.length;
  const values = new Float32Array(rows.length * featureCount);
  rows.forEach((row, i) => writeMttrFeatures(schema, mttrInputOf(row), values, i * featureCount));
  return { rowCount: rows.length, featureCount, values };
}

function sliceMatrix(matrix: FeatureMatrix, from: number, to: number): FeatureMatrix {
  const w = matrix.featureCount;
  return { rowCount: to - from, featureCount: w, values: matrix.values.subarray(from * w, to * w) };
}

export function hashTicketRows(rows: readonly TicketHistoryRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify(TICKET_HISTORY_COLUMNS.map((c) => row[c])) + '\n');
  return hash.digest('hex');
}

/** Split-conformal quantile: the ⌈(m+1)·level⌉-th smallest score, so coverage ≥ level on exchangeable data. */
export function conformalOffset(scores: readonly number[], level: number): number {
  if (scores.length === 0) return 0;
  const sorted = Float64Array.from(scores).sort();
  const k = Math.min(sorted.length, Math.ceil((sorted.length + 1) * level));
  return sorted[k - 1];
}

interface Baseline {
  byGroup: Map<string, number>;
  overall: number;
}

const groupKey = (row: TicketHistoryRow) => `${row.class}|${row.department}`;

function medianOf(values: number[]): number {
  return quantileOfSorted(Float64Array.from(values).sort(), 0.5);
}

function trainBaseline(rows: readonly TicketHistoryRow[]): Baseline {
  const groups = new Map<string, number[]>();
  for (const row of rows) {
    const list = groups.get(groupKey(row)) ?? [];
    list.push(mttrSecondsOfRow(row));
    groups.set(groupKey(row), list);
  }
  const byGroup = new Map([...groups].map(([key, values]) => [key, medianOf(values)] as const));
  return { byGroup, overall: medianOf(rows.map(mttrSecondsOfRow)) };
}

function sliceMetrics(rows: readonly TicketHistoryRow[], p50: Float64Array, p90: Float64Array): MttrSliceMetrics {
  let absError = 0;
  let covered = 0;
  rows.forEach((row, i) => {
    const actual = mttrSecondsOfRow(row);
    absError += Math.abs(actual - toSeconds(p50[i]));
    if (actual <= toSeconds(Math.max(p50[i], p90[i]))) covered++;
  });
  const n = Math.max(1, rows.length);
  return { rows: rows.length, maeSeconds: absError / n, p90Coverage: covered / n };
}

function shiftBase(model: GbtModel, offset: number): GbtModel {
  return { ...model, baseValue: Math.fround(model.baseValue + offset) };
}

function defaultVersion(createdAt: Date, dataHash: string): string {
  return `${createdAt.toISOString().slice(0, 10).replace(/-/g, '')}-${dataHash.slice(0, 8)}`;
}

/**
 * Trains the P50 and P90 models on a ticket history and evaluates them on its most recent
 * tickets. Deterministic for given rows and options (apart from `createdAt` when not given).
 */
export function trainMttrModel(
  rows: readonly TicketHistoryRow[],
  options: Partial<MttrTrainOptions> = {}
): { model: MttrModel; report: MttrMetrics } {
  const o = { ...DEFAULT_MTTR_TRAIN_OPTIONS, ...options };
  const hyper: MttrHyperParameters = { ...DEFAULT_MTTR_HYPER_PARAMETERS, ...o.hyperParameters };
  const resolvedByPeople = rows.filter(isResolvedByPeople);
  const sorted = resolvedByPeople
    .filter((row) => Date.parse(row.resolved_at) >= Date.parse(row.opened_at))
    .sort((a, b) => Date.parse(a.opened_at) - Date.parse(b.opened_at) || a.id.localeCompare(b.id));
  const trainEnd = Math.floor(sorted.length * (1 - o.holdoutFraction));
  const fitEnd = Math.floor(trainEnd * (1 - o.calibrationFraction));
  if (fitEnd < 2 * hyper.minSamplesLeaf || trainEnd === fitEnd || trainEnd === sorted.length) {
    throw new RangeError(`not enough tickets to train, calibrate and evaluate MTTR: ${sorted.length}`);
  }
  // The organisation's own departments get columns when the training part has enough of them.
  const departments = mttrDepartmentColumns(sorted.slice(0, trainEnd), hyper.minSamplesLeaf);
  const schema = mttrFeatureSchema(departments, o.holidaysMmDd);
  const matrix = matrixOf(schema, sorted);
  const target = Float64Array.from(sorted, (row) => Math.log1p(mttrSecondsOfRow(row)));

  const treesTotal = 2 * hyper.nTrees;
  const progress = (offset: number) => (built: number) => o.onProgress?.(offset + built, treesTotal);
  // The P50 needs no calibration and learns from the whole training period.
  const p50 = trainGbt(sliceMatrix(matrix, 0, trainEnd), target.subarray(0, trainEnd), {
    ...hyper,
    loss: { kind: 'quantile', alpha: MTTR_QUANTILES[0] },
    onTree: progress(0),
  });
  const p90Raw = trainGbt(sliceMatrix(matrix, 0, fitEnd), target.subarray(0, fitEnd), {
    ...hyper,
    // A different seed: the two ensembles should not share their row samples tree for tree.
    seed: hyper.seed + 1,
    loss: { kind: 'quantile', alpha: MTTR_QUANTILES[1] },
    onTree: progress(hyper.nTrees),
  });

  const calibration = sliceMatrix(matrix, fitEnd, trainEnd);
  const calibrationRaw = predictGbtMatrix(p90Raw, calibration);
  const scores = Array.from(calibrationRaw, (raw, i) => target[fitEnd + i] - raw);
  const offset = conformalOffset(scores, MTTR_QUANTILES[1]);
  const p90 = shiftBase(p90Raw, offset);

  const predictSlice = (from: number, to: number) => {
    const slice = sliceMatrix(matrix, from, to);
    return {
      p50: predictGbtMatrix(p50, slice),
      p90: predictGbtMatrix(p90, slice),
      p90Raw: predictGbtMatrix(p90Raw, slice),
    };
  };
  const trainRows = sorted.slice(0, trainEnd);
  const calibrationRows = sorted.slice(fitEnd, trainEnd);
  const holdoutRows = sorted.slice(trainEnd);
  const onTrain = predictSlice(0, trainEnd);
  const onCalibration = predictSlice(fitEnd, trainEnd);
  const onHoldout = predictSlice(trainEnd, sorted.length);

  const baseline = trainBaseline(trainRows);
  const baselineMae =
    holdoutRows.reduce(
      (sum, row) => sum + Math.abs(mttrSecondsOfRow(row) - (baseline.byGroup.get(groupKey(row)) ?? baseline.overall)),
      0
    ) / holdoutRows.length;
  const holdout = sliceMetrics(holdoutRows, onHoldout.p50, onHoldout.p90);
  const metrics: MttrMetrics = {
    train: sliceMetrics(trainRows, onTrain.p50, onTrain.p90),
    calibration: {
      ...sliceMetrics(calibrationRows, onCalibration.p50, onCalibration.p90),
      p90CoverageBeforeConformal: sliceMetrics(calibrationRows, onCalibration.p50, onCalibration.p90Raw).p90Coverage,
    },
    holdout: {
      ...holdout,
      from: holdoutRows[0].opened_at,
      to: holdoutRows[holdoutRows.length - 1].opened_at,
      p90CoverageBeforeConformal: sliceMetrics(holdoutRows, onHoldout.p50, onHoldout.p90Raw).p90Coverage,
      baselineMaeSeconds: baselineMae,
      improvementOverBaseline: baselineMae > 0 ? 1 - holdout.maeSeconds / baselineMae : 0,
    },
  };

  const createdAt = o.createdAt ?? new Date();
  const dataHash = hashTicketRows(sorted);
  const manifest: MttrManifest = {
    format: 1,
    name: MTTR_MODEL_NAME,
    version: o.version ?? defaultVersion(createdAt, dataHash),
    createdAt: createdAt.toISOString(),
    target: 'mttr_seconds',
    kind: 'gbt_quantile_regressor',
    inputs: { tensor: { name: MTTR_TENSORS.input, dimension: schema.features.length } },
    outputs: { p50: MTTR_TENSORS.p50, p90: MTTR_TENSORS.p90 },
    treeOutput: 'log1p_seconds',
    featureSchema: schema,
    quantiles: [...MTTR_QUANTILES],
    conformalOffset: offset,
    trainingWindow: {
      from: sorted[0].opened_at,
      to: sorted[trainEnd - 1].opened_at,
      trainRows: trainEnd,
      testRows: holdoutRows.length,
      timeColumn: 'opened_at',
      autoResolvedExcluded: rows.length - resolvedByPeople.length,
    },
    p90OverP50: medianSpread(onTrain.p50, onTrain.p90),
    dataHash,
    hyperParameters: hyper,
    metrics,
    parentVersion: o.parentVersion ?? null,
    ...o.provenance,
  };
  return { model: { manifest, p50, p90 }, report: metrics };
}

/**
 * The TypeScript forward pass: what the exported ONNX graph computes, for tests and for
 * explanations. Serving goes through the ONNX runtime.
 */
export function predictMttr(model: MttrModel, input: MttrTicketInput): MttrPrediction {
  const x = mttrFeatures(model.manifest.featureSchema, input);
  const p50Seconds = toSeconds(predictGbt(model.p50, x));
  // The exported graph caps the P90 at the P50 the same way (its `atLeast`).
  const p90Seconds = Math.max(p50Seconds, toSeconds(predictGbt(model.p90, x)));
  return spreadCrossedP90(model.manifest, { p50Seconds, p90Seconds, modelVersion: model.manifest.version });
}

/**
 * Quantile models trained apart can cross: for some tickets the P90 model answers below the P50
 * (the graph then gives the P50 for both). One number for both would read as certainty the model
 * does not have, so the P90 becomes the P50 times the model's typical spread, and says so.
 */
export function spreadCrossedP90(
  manifest: Pick<MttrManifest, 'p90OverP50'>,
  prediction: MttrPrediction
): MttrPrediction {
  if (prediction.p90Seconds > prediction.p50Seconds || prediction.p50Seconds <= 0) return prediction;
  const ratio = manifest.p90OverP50;
  if (ratio === undefined || !(ratio > 1)) {
    return { ...prediction, note: 'the P90 model fell below the P50 for this ticket: P90 shown equal to P50' };
  }
  return {
    ...prediction,
    p90Seconds: prediction.p50Seconds * ratio,
    note: `the P90 model fell below the P50 for this ticket: P90 is the P50 × ${ratio.toFixed(2)}, the model's median spread`,
  };
}

/** Median P90/P50 ratio (seconds) over the predictions where the two did not cross. */
function medianSpread(p50: Float64Array, p90: Float64Array): number | undefined {
  const ratios: number[] = [];
  p50.forEach((raw, i) => {
    const low = toSeconds(raw);
    const high = toSeconds(p90[i]);
    if (low > 0 && high > low) ratios.push(high / low);
  });
  return ratios.length ? medianOf(ratios) : undefined;
}

/**
 * The features that moved this ticket's prediction most, largest effect first: exact TreeSHAP
 * values (log1p-seconds scale) of the P50 ensemble unless the P90 is asked for. One-hot columns of
 * a category are summed into one entry named after the ticket's value; numeric and flag inputs
 * carry the ticket's value as the model read it. With every entry (`top: Infinity`), the
 * weights plus the ensemble's expected value add up to its raw output for the ticket.
 */
export function explainMttr(
  model: MttrModel,
  input: MttrTicketInput,
  options: { quantile?: 0.5 | 0.9; top?: number } = {}
): MttrFeatureWeight[] {
  const schema = model.manifest.featureSchema;
  const ensemble = options.quantile === 0.9 ? model.p90 : model.p50;
  const x = mttrFeatures(schema, input);
  // Exact SHAP values (issue 12), in the ensemble's raw (log1p seconds) scale.
  const { contributions } = treeShap(ensemble, x);
  const bySource = new Map<string, MttrFeatureWeight>();
  schema.features.forEach((spec, f) => {
    const feature = describeFeatureSource(input, spec);
    const entry = bySource.get(feature) ?? { feature, weight: 0 };
    entry.weight += contributions[f];
    // The priority's rank column is read as the priority category it stands for.
    if (!isCategoryColumn(spec) && spec.source !== 'priority_rank') {
      // float32 holds about 7 significant digits: the shortest decimal of what the trees compared.
      entry.value = Number(x[f].toPrecision(7));
    }
    bySource.set(feature, entry);
  });
  return [...bySource.values()]
    .filter((entry) => entry.weight !== 0)
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.feature.localeCompare(b.feature))
    .slice(0, options.top ?? 5);
}
