import { OnnxTabularModel } from '../adapters/onnx/tabularModel';
import { loadModel } from '../adapters/registry/modelRegistry';
import {
  failureTarget,
  MAINTENANCE_GRID,
  MAINTENANCE_TRAINING_SEED,
  MAINTENANCE_WINDOWS,
} from '../commands/maintenanceModel';
import { TrainInputError } from '../commands/commandInput';
import { saveTabularChampion } from '../commands/trainTabular';
import { classificationBySegment, regressionBySegment, type SegmentedEvaluation } from '../domain/mlops/fairness';
import type { Provenance, RegistryManifest } from '../domain/mlops/manifest';
import { buildFeatures, TabularDataError, type Row } from '../domain/mlops/tabularFeatures';
import { isTabularManifest, trainTabularModel } from '../domain/mlops/tabularModel';
import {
  detectHalts,
  runToFailureRows,
  type FailureLabelOptions,
  type Halt,
  type SensorSeries,
} from '../domain/timeseries/failureLabels';
import {
  MAINTENANCE_COLUMNS,
  MAINTENANCE_HORIZON_H,
  MAINTENANCE_STEP_MS,
  REMAINING_LIFE_COLUMN,
} from '../simulator/maintenanceHistory';
import { REMAINING_LIFE_CAP_H } from './maintenanceModel';

/** The two models trained on run-to-failure rows: the failure classifier and the remaining-life regressor. */
export type RunToFailureTarget = 'failure' | 'remaining-life';

/**
 * The PLC failure model's retraining from production: run-to-failure rows built from the sensor
 * history in InfluxDB (`domain/timeseries/failureLabels.ts`), split by time, trained with the same
 * tabular trainer, features and grid as `nocai setup`'s model, and scored on the fresh slice.
 */
export function failureLabelOptions(horizonH: number = MAINTENANCE_HORIZON_H): FailureLabelOptions {
  return {
    bucketMs: MAINTENANCE_STEP_MS,
    minGapBuckets: 2,
    deviceKind: 'plc',
    fields: MAINTENANCE_COLUMNS,
    target: failureTarget(horizonH),
    horizonH,
    remainingLifeColumn: REMAINING_LIFE_COLUMN,
    capH: REMAINING_LIFE_CAP_H,
  };
}

/** The labels of the default horizon (24 h). */
export const FAILURE_LABEL_OPTIONS: FailureLabelOptions = failureLabelOptions();

/** The production history the failure rows are built from: the sensor series of [fromMs, toMs). */
export interface SensorHistory {
  series: SensorSeries[];
  fromMs: number;
  toMs: number;
}

export interface FailureSplit {
  /** Rows before the cut, labelled with the halts seen before it (the challenger's training rows). */
  train: Row[];
  /** Every row of the window labelled with every halt; `holdout` indexes the rows from the cut on (labelled or not: see `holdoutOf`). */
  all: Row[];
  holdout: number[];
  cutMs: number;
  halts: { train: number; holdout: number };
}

/**
 * The newest `fraction` of the window's rows (by bucket time) is the fresh slice. Training labels
 * only know the halts before the cut (a row near the cut whose halt would fall after it is left
 * unlabelled), so nothing of the slice leaks into the challenger.
 */
export function failureSplit(history: SensorHistory, fraction: number, options = FAILURE_LABEL_OPTIONS): FailureSplit {
  const halts: Halt[] = detectHalts(history.series, history.toMs, options);
  const times = history.series
    .filter((s) => s.deviceKind === options.deviceKind)
    .flatMap((s) => s.buckets.map((b) => b.startMs))
    .sort((a, b) => a - b);
  const cutMs =
    times.length === 0 ? history.toMs : times[Math.min(times.length - 1, Math.floor(times.length * (1 - fraction)))];
  const train = runToFailureRows(history.series, halts, cutMs, options);
  const all = runToFailureRows(history.series, halts, history.toMs, options);
  const holdout = all.flatMap((row, i) => (Number(row.t) >= cutMs ? [i] : []));
  return {
    train,
    all,
    holdout,
    cutMs,
    halts: { train: halts.filter((h) => h.atMs < cutMs).length, holdout: halts.filter((h) => h.atMs >= cutMs).length },
  };
}

/** The column a run-to-failure model learns. */
export function labelColumnOf(target: RunToFailureTarget, options = FAILURE_LABEL_OPTIONS): string {
  return target === 'failure' ? options.target : options.remainingLifeColumn;
}

/** The rows of the fresh slice whose `target` label the window knows. */
export function holdoutOf(
  split: Pick<FailureSplit, 'all' | 'holdout'>,
  target: RunToFailureTarget,
  options = FAILURE_LABEL_OPTIONS
): number[] {
  const column = labelColumnOf(target, options);
  return split.holdout.filter((i) => split.all[i][column] !== '');
}

/**
 * Trains the failure classifier or the remaining-life regressor on `rows` with the features, grid
 * and seed of `nocai setup`'s models (so the maintenance stage can serve them side by side), and
 * stores it in `registryDir` as a new version of `name` (not champion).
 */
export async function trainRunToFailureChallenger(
  registryDir: string,
  name: string,
  target: RunToFailureTarget,
  rows: Row[],
  options = FAILURE_LABEL_OPTIONS,
  provenance?: Provenance
): Promise<string> {
  const failure = target === 'failure';
  let trained;
  try {
    trained = trainTabularModel(
      rows,
      {
        features: [...MAINTENANCE_COLUMNS],
        categorical: [],
        group: 'host',
        order: 't',
        windows: [...MAINTENANCE_WINDOWS],
        target: labelColumnOf(target, options),
        task: failure ? 'classification' : 'regression',
      },
      { seed: MAINTENANCE_TRAINING_SEED, grid: MAINTENANCE_GRID }
    );
  } catch (error) {
    if (error instanceof TabularDataError) throw new TrainInputError(`${error.message}.`);
    throw error;
  }
  const what = failure
    ? `whether a PLC halts within ${options.horizonH} h`
    : `hours until a PLC halts, capped at ${REMAINING_LIFE_CAP_H} h`;
  const manifest = await saveTabularChampion(registryDir, trained, {
    name,
    group: 'host',
    order: 't',
    description: `${name}: ${what}, from its 10-minute sensor means (retrained on production history)`,
    trainingRows: rows,
    champion: false,
    provenance,
  });
  return manifest.version;
}

/**
 * One version of a run-to-failure model scored on the fresh slice: features from every row of the
 * window (older rows feed the rolling windows of the slice's first hours), predictions of the
 * slice's labelled rows only. The classifier: accuracy and macro-F1; the regressor: MAE in seconds
 * of the capped remaining life; overall and per segment group.
 */
export async function evaluateRunToFailureVersion(
  registryDir: string,
  model: string,
  version: string,
  target: RunToFailureTarget,
  split: Pick<FailureSplit, 'all' | 'holdout'>,
  segmentColumns: readonly string[],
  minGroupRows: number,
  options = FAILURE_LABEL_OPTIONS
): Promise<{ segmented: SegmentedEvaluation; rows: number; accuracy?: number; f1?: number; maeSeconds?: number }> {
  const stored = await loadModel<RegistryManifest>(registryDir, model, version);
  const manifest = stored.manifest;
  const kind = target === 'failure' ? 'tabular_classifier' : 'tabular_regressor';
  if (!isTabularManifest(manifest) || manifest.kind !== kind)
    throw new Error(`${model}@${version} is not a ${kind.replace('_', ' ')}`);
  const session = await OnnxTabularModel.load(stored.onnx, manifest);
  try {
    const outputs = await session.run(buildFeatures(manifest.features, split.all));
    const rows = holdoutOf(split, target, options);
    const column = labelColumnOf(target, options);
    const segmentsOf = (i: number) => Object.fromEntries(segmentColumns.map((c) => [c, split.all[i][c] ?? '']));
    let segmented: SegmentedEvaluation | undefined;
    if (outputs.task === 'classification') {
      const K = outputs.classes;
      segmented = classificationBySegment(
        rows.map((i) => {
          let best = 0;
          for (let k = 1; k < K; k++)
            if (outputs.probabilities[i * K + k] > outputs.probabilities[i * K + best]) best = k;
          return { yTrue: split.all[i][column], yPred: manifest.labels[best], segments: segmentsOf(i) };
        }),
        { dimensions: segmentColumns, minGroupRows, primary: 'macro_f1' }
      );
    } else {
      // As the maintenance stage serves it: clamped to [0, cap] hours.
      const hours = (v: number) => Math.min(REMAINING_LIFE_CAP_H, Math.max(0, v));
      segmented = regressionBySegment(
        rows.map((i) => ({
          yTrue: Number(split.all[i][column]) * 3600,
          yPred: hours(outputs.prediction[i]) * 3600,
          segments: segmentsOf(i),
        })),
        { dimensions: segmentColumns, minGroupRows }
      );
    }
    if (!segmented) throw new Error(`no rows to evaluate ${model}@${version} on`);
    const o = segmented.overall;
    return { segmented, rows: rows.length, accuracy: o.accuracy, f1: o.f1, maeSeconds: o.maeSeconds };
  } finally {
    await session.close();
  }
}
