import { plural } from '@nocai/contract';
import { trainTabularModel } from '../domain/mlops/tabularModel';
import type {
  ClassificationFigures,
  RegressionFigures,
  TabularGrid,
  TabularManifest,
  TabularTrainRequest,
  TrainedTabular,
} from '../domain/mlops/tabularModel';
import type { Row } from '../domain/mlops/tabularFeatures';
import type { Provenance } from '../domain/mlops/manifest';
import {
  MAINTENANCE_COLUMNS,
  MAINTENANCE_HORIZON_H,
  MAINTENANCE_STEP_MS,
  MAINTENANCE_TARGET,
  maintenanceHistory,
  REMAINING_LIFE_COLUMN,
} from '../simulator/maintenanceHistory';
import {
  MAINTENANCE_MODEL,
  maintenanceModelName,
  REMAINING_LIFE_CAP_H,
  REMAINING_LIFE_MODEL,
} from '../services/maintenanceModel';
import { saveTabularChampion } from './trainTabular';

export { MAINTENANCE_COLUMNS, MAINTENANCE_HORIZON_H, MAINTENANCE_STEP_MS, MAINTENANCE_TARGET, REMAINING_LIFE_COLUMN };

export { MAINTENANCE_MODEL, REMAINING_LIFE_CAP_H, REMAINING_LIFE_MODEL };
/** Rolling windows in 10-minute rows: 1 h, 6 h and 24 h. */
export const MAINTENANCE_WINDOWS: readonly number[] = [6, 36, 144];
/** Rows of history per host the stage must pass to `buildFeatures` for the longest window to be full. */
export const MAINTENANCE_LOOKBACK_ROWS = Math.max(...MAINTENANCE_WINDOWS);

/**
 * Candidates for the maintenance model: every depth and tree count of the default grid would take
 * minutes on ~100k rows of 64 features; one depth of trees (scored at three sizes from one fit)
 * and two logistic baselines keep training near 30 s (the logistic fits are most of it).
 */
export const MAINTENANCE_GRID: TabularGrid = {
  gbt: {
    maxDepth: [4],
    nTrees: [50, 100, 200],
    learningRate: 0.1,
    minSamplesLeaf: 20,
    subsample: 0.5,
    featureFraction: 0.5,
  },
  linear: [0.1, 1],
};

/**
 * The simulated estate the default model learns from. For the same ~100k rows, 24 PLCs over 30 days
 * beat 16 over 45 on another estate (false alarms 0.03% vs 0.9% of normal rows): a PLC that runs
 * hot by nature looks like the start of a ramp unless the model has seen many normal baselines.
 */
export const MAINTENANCE_TRAINING_SEED = 1;
export const MAINTENANCE_TRAINING_PLCS = 24;
export const MAINTENANCE_TRAINING_DAYS = 30;
/** A fixed end keeps the training history, and so the model, identical from run to run. */
export const MAINTENANCE_TRAINING_END_US = Date.UTC(2026, 0, 1) * 1000;

export interface MaintenanceTrainOptions {
  seed: number;
  /**
   * Hours ahead the failure model warns (default 24); the model is stored as
   * `plc-failure-<h>h` with target `fails_within_<h>h`, so other horizons sit beside the default.
   */
  horizonH?: number;
  days?: number;
  plcs?: number;
  endUs?: number;
  grid?: TabularGrid;
  onProgress?: (message: string) => void;
  provenance?: Provenance;
}

export interface TrainedMaintenanceModel {
  manifest: TabularManifest;
  trained: TrainedTabular;
  /** Held-out figures of the `yes` class (whole PLCs held out). */
  heldOut: { rows: number; precision: number; recall: number; macroF1: number };
  /** The remaining-life regressor (`REMAINING_LIFE_MODEL`), trained on the same rows. */
  remainingLife: {
    manifest: TabularManifest;
    trained: TrainedTabular;
    /** Held-out figures in hours on the capped target (the same whole PLCs held out). */
    heldOut: RegressionFigures;
    seconds: number;
  };
  rows: number;
  seconds: number;
}

/** The target of the failure model for a horizon. */
export const failureTarget = (horizonH: number) => `fails_within_${horizonH}h`;

/**
 * The rows with the remaining life capped at `REMAINING_LIFE_CAP_H`: a PLC that never halts again
 * in its history (an empty remaining life) is at the cap too, since it runs at least that long.
 */
export function cappedRemainingLife(rows: readonly Row[]): Row[] {
  return rows.map((row) => {
    const hours = row[REMAINING_LIFE_COLUMN] === '' ? Infinity : Number(row[REMAINING_LIFE_COLUMN]);
    return { ...row, [REMAINING_LIFE_COLUMN]: String(Math.min(hours, REMAINING_LIFE_CAP_H)) };
  });
}

/**
 * The rows labelled for another horizon than the history's own (24 h), from their remaining
 * life: `yes` when the PLC halts within `horizonH` hours.
 */
function relabelled(rows: readonly Row[], horizonH: number): Row[] {
  const target = failureTarget(horizonH);
  return rows.map((row) => {
    const hours = row[REMAINING_LIFE_COLUMN] === '' ? Infinity : Number(row[REMAINING_LIFE_COLUMN]);
    return { ...row, [target]: hours <= horizonH ? 'yes' : 'no' };
  });
}

/**
 * Trains the PLC failure classifier (issue 10) on simulated run-to-failure histories and stores it
 * in `modelsDir` as the champion of `MAINTENANCE_MODEL` (or of `plc-failure-<h>h` for another
 * horizon), like `nocai train --target` would; then the remaining-life regressor on the same rows,
 * features and seed, the champion of `REMAINING_LIFE_MODEL`.
 */
export async function trainMaintenanceModel(
  modelsDir: string,
  options: MaintenanceTrainOptions
): Promise<TrainedMaintenanceModel> {
  const began = performance.now();
  const say = options.onProgress ?? (() => undefined);
  const horizonH = options.horizonH ?? MAINTENANCE_HORIZON_H;
  if (!(Number.isInteger(horizonH) && horizonH > 0 && horizonH <= REMAINING_LIFE_CAP_H)) {
    throw new RangeError(
      `the maintenance horizon must be a whole number of hours from 1 to ${REMAINING_LIFE_CAP_H}, got ${horizonH}`
    );
  }
  const name = maintenanceModelName(horizonH);
  const target = failureTarget(horizonH);
  const history = maintenanceHistory({
    seed: options.seed,
    days: options.days ?? MAINTENANCE_TRAINING_DAYS,
    endUs: options.endUs ?? MAINTENANCE_TRAINING_END_US,
    plcs: options.plcs ?? MAINTENANCE_TRAINING_PLCS,
  });
  // The history's own label is the default horizon's: only another horizon relabels.
  const rows = horizonH === MAINTENANCE_HORIZON_H ? history : relabelled(history, horizonH);
  say(`${name}: ${plural(rows.length, 'row')} of simulated PLC history`);
  // Both models read the same rows the same way, so the stage builds one row per device and bucket.
  const request: Omit<TabularTrainRequest, 'target' | 'task'> = {
    features: [...MAINTENANCE_COLUMNS],
    categorical: [],
    group: 'host',
    order: 't',
    windows: [...MAINTENANCE_WINDOWS],
  };
  const trainOptions = { seed: options.seed, grid: options.grid ?? MAINTENANCE_GRID, onProgress: say };
  const trained = trainTabularModel(rows, { ...request, target, task: 'classification' }, trainOptions);
  const manifest = await saveTabularChampion(modelsDir, trained, {
    name,
    group: 'host',
    order: 't',
    description: `${name}: whether a PLC halts within ${horizonH} h, from its 10-minute sensor means`,
    provenance: options.provenance,
  });
  const test = trained.report.test as ClassificationFigures;
  const yes = test.perClass.find((c) => c.label === 'yes');

  const lifeBegan = performance.now();
  const life = trainTabularModel(
    cappedRemainingLife(history),
    { ...request, target: REMAINING_LIFE_COLUMN, task: 'regression' },
    trainOptions
  );
  const lifeManifest = await saveTabularChampion(modelsDir, life, {
    name: REMAINING_LIFE_MODEL,
    group: 'host',
    order: 't',
    description:
      `${REMAINING_LIFE_MODEL}: hours until a PLC halts, capped at ${REMAINING_LIFE_CAP_H} h (at the cap: at least that), ` +
      'from its 10-minute sensor means',
    provenance: options.provenance,
  });
  return {
    manifest,
    trained,
    heldOut: { rows: test.rows, precision: yes?.precision ?? 0, recall: yes?.recall ?? 0, macroF1: test.macroF1 },
    remainingLife: {
      manifest: lifeManifest,
      trained: life,
      heldOut: life.report.test as RegressionFigures,
      seconds: (performance.now() - lifeBegan) / 1000,
    },
    rows: rows.length,
    seconds: (performance.now() - began) / 1000,
  };
}
