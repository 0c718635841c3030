import type { Logger } from '../adapters/logger';
import { OnnxTabularModel } from '../adapters/onnx/tabularModel';
import { loadModel, ModelNotFoundError } from '../adapters/registry/modelRegistry';
import type { RegistryManifest } from '../domain/mlops/manifest';
import { isTabularManifest } from '../domain/mlops/tabularModel';
import type { MaintenanceStageOptions } from '../pipeline/maintenanceStage';
import { MAINTENANCE_HORIZON_H, MAINTENANCE_STEP_MS } from '../simulator/maintenanceHistory';

/**
 * The registry name of the served PLC failure model (what `trainMaintenanceModel` stores). Fixed
 * rather than `tabularModelName(target)`, so that `nocai train --target fails_within_24h` on a
 * user's own table never replaces it.
 */
export const MAINTENANCE_MODEL = 'plc-failure-24h';

export interface ServedMaintenanceModel {
  model: OnnxTabularModel;
  /** What the stage must match to the model: its row length, history and horizon. */
  options: Pick<MaintenanceStageOptions, 'bucketMs' | 'historyRows' | 'horizonHours'>;
}

/**
 * The champion of the failure model in `registryDir`, or undefined (the maintenance stage is then
 * off) when there is none. A damaged or tampered model is refused by the registry with its error.
 */
export async function loadMaintenanceModel(registryDir: string, logger: Logger): Promise<ServedMaintenanceModel | undefined> {
  let stored;
  try {
    stored = await loadModel<RegistryManifest>(registryDir, MAINTENANCE_MODEL, 'champion');
  } catch (error) {
    if (error instanceof ModelNotFoundError) {
      logger.info(`no ${MAINTENANCE_MODEL} model in the models folder: the maintenance stage is off (nocai setup trains it)`);
      return undefined;
    }
    throw error;
  }
  const manifest = stored.manifest;
  if (!isTabularManifest(manifest) || manifest.kind !== 'tabular_classifier' || !manifest.features.group) {
    throw new Error(`${MAINTENANCE_MODEL} ${manifest.version} is not a tabular classifier over a device's history`);
  }
  const model = await OnnxTabularModel.load(stored.onnx, manifest);
  logger.info({ model: MAINTENANCE_MODEL, version: manifest.version }, 'maintenance model loaded');
  return {
    model,
    options: {
      bucketMs: MAINTENANCE_STEP_MS,
      historyRows: Math.max(...manifest.features.windows, 1),
      horizonHours: MAINTENANCE_HORIZON_H,
    },
  };
}
