import { trainTabularModel } from '../domain/mlops/tabularModel';
import type { ClassificationFigures, TabularGrid, TabularManifest, TrainedTabular } from '../domain/mlops/tabularModel';
import {
  MAINTENANCE_COLUMNS,
  MAINTENANCE_HORIZON_H,
  MAINTENANCE_STEP_MS,
  MAINTENANCE_TARGET,
  maintenanceHistory,
} from '../simulator/maintenanceHistory';
import { MAINTENANCE_MODEL } from '../services/maintenanceModel';
import { saveTabularChampion } from './trainTabular';

export { MAINTENANCE_COLUMNS, MAINTENANCE_HORIZON_H, MAINTENANCE_STEP_MS, MAINTENANCE_TARGET };

export { MAINTENANCE_MODEL };
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
  days?: number;
  plcs?: number;
  endUs?: number;
  grid?: TabularGrid;
  onProgress?: (message: string) => void;
}

export interface TrainedMaintenanceModel {
  manifest: TabularManifest;
  trained: TrainedTabular;
  /** Held-out figures of the `yes` class (whole PLCs held out). */
  heldOut: { rows: number; precision: number; recall: number; macroF1: number };
  rows: number;
  seconds: number;
}

/**
 * Trains the PLC failure classifier (issue 10) on simulated run-to-failure histories and stores it
 * in `modelsDir` as the champion of `MAINTENANCE_MODEL`, like `nocai train --target` would.
 */
export async function trainMaintenanceModel(
  modelsDir: string,
  options: MaintenanceTrainOptions
): Promise<TrainedMaintenanceModel> {
  const began = performance.now();
  const say = options.onProgress ?? (() => undefined);
  const rows = maintenanceHistory({
    seed: options.seed,
    days: options.days ?? MAINTENANCE_TRAINING_DAYS,
    endUs: options.endUs ?? MAINTENANCE_TRAINING_END_US,
    plcs: options.plcs ?? MAINTENANCE_TRAINING_PLCS,
  });
  say(`${MAINTENANCE_MODEL}: ${rows.length} rows of simulated PLC history`);
  const trained = trainTabularModel(
    rows,
    {
      target: MAINTENANCE_TARGET,
      task: 'classification',
      features: [...MAINTENANCE_COLUMNS],
      categorical: [],
      group: 'host',
      order: 't',
      windows: [...MAINTENANCE_WINDOWS],
    },
    { seed: options.seed, grid: options.grid ?? MAINTENANCE_GRID, onProgress: say }
  );
  const manifest = await saveTabularChampion(modelsDir, trained, {
    name: MAINTENANCE_MODEL,
    group: 'host',
    order: 't',
    description: `${MAINTENANCE_MODEL}: whether a PLC halts within ${MAINTENANCE_HORIZON_H} h, from its 10-minute sensor means`,
  });
  const test = trained.report.test as ClassificationFigures;
  const yes = test.perClass.find((c) => c.label === 'yes');
  return {
    manifest,
    trained,
    heldOut: { rows: test.rows, precision: yes?.precision ?? 0, recall: yes?.recall ?? 0, macroF1: test.macroF1 },
    rows: rows.length,
    seconds: (performance.now() - began) / 1000,
  };
}
