import type { Logger } from '../adapters/logger';
import { tabularExplainer } from '../adapters/onnx/tabularExplainer';
import { OnnxTabularModel } from '../adapters/onnx/tabularModel';
import { loadModel, ModelNotFoundError } from '../adapters/registry/modelRegistry';
import type { RegistryManifest } from '../domain/mlops/manifest';
import { isTabularManifest, positiveLabelIndex } from '../domain/mlops/tabularModel';
import type { TabularManifest } from '../domain/mlops/tabularModel';
import type { MaintenanceModel, MaintenanceStageOptions, RemainingLifeModel } from '../pipeline/maintenanceStage';
import { MAINTENANCE_HORIZON_H, MAINTENANCE_STEP_MS, REMAINING_LIFE_CAP_H } from '../simulator/maintenanceHistory';

/** The registry name of the failure model for a horizon in hours (`plc-failure-24h` by default). */
export function maintenanceModelName(horizonH: number): string {
  return `plc-failure-${horizonH}h`;
}

/**
 * The registry name of the served PLC failure model (what `trainMaintenanceModel` stores). Fixed
 * rather than `tabularModelName(target)`, so that `nocai train --target fails_within_24h` on a
 * user's own table never replaces it.
 */
export const MAINTENANCE_MODEL = maintenanceModelName(MAINTENANCE_HORIZON_H);

/** The registry name of the PLC remaining-life regressor, trained on the same rows as the failure model. */
export const REMAINING_LIFE_MODEL = 'plc-remaining-life';

export { REMAINING_LIFE_CAP_H };

export interface ServedMaintenanceModel {
  /** The failure classifier, with the remaining-life regressor when the models folder holds one. */
  model: MaintenanceModel;
  /** What the stage must match to the model: its row length, history and horizon. */
  options: Pick<MaintenanceStageOptions, 'bucketMs' | 'historyRows' | 'horizonHours'>;
}

async function loadChampion(registryDir: string, name: string) {
  try {
    return await loadModel<RegistryManifest>(registryDir, name, 'champion');
  } catch (error) {
    if (error instanceof ModelNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Why the remaining-life model cannot be served beside this failure model, or undefined when it
 * can: the stage builds one row per device and bucket for both, so the regressor must read the
 * same device history (group, order) and no sensor the classifier does not.
 */
function mismatch(failure: TabularManifest, life: TabularManifest): string | undefined {
  if (life.kind !== 'tabular_regressor') return 'it is not a tabular regressor';
  const columns = new Set(failure.features.numeric.map((n) => n.column));
  const extra = life.features.numeric.map((n) => n.column).filter((c) => !columns.has(c));
  if (extra.length > 0) return `it reads ${extra.join(', ')}, which the failure model does not`;
  if (life.features.categorical.length > 0) return 'it reads categorical columns';
  if (
    life.features.group !== failure.features.group ||
    life.features.order?.column !== failure.features.order?.column
  ) {
    return 'its group or order column differs from the failure model';
  }
  if (Math.max(...life.features.windows, 1) > Math.max(...failure.features.windows, 1)) {
    return 'its windows are longer than the failure model';
  }
  return undefined;
}

/**
 * The champion of the failure model for `horizonH` in `registryDir`, with the remaining-life
 * champion when there is one, or undefined (the maintenance stage is then off) when there is no
 * failure model. A damaged or tampered model is refused by the registry with its error; a
 * remaining-life model that does not fit the failure model is left out with a warning.
 */
export async function loadMaintenanceModel(
  registryDir: string,
  logger: Logger,
  horizonH = MAINTENANCE_HORIZON_H
): Promise<ServedMaintenanceModel | undefined> {
  const name = maintenanceModelName(horizonH);
  const stored = await loadChampion(registryDir, name);
  if (!stored) {
    logger.info(`no ${name} model in the models folder: the maintenance stage is off (nocai setup trains it)`);
    return undefined;
  }
  const manifest = stored.manifest;
  if (!isTabularManifest(manifest) || manifest.kind !== 'tabular_classifier' || !manifest.features.group) {
    throw new Error(`${name} ${manifest.version} is not a tabular classifier over a device's history`);
  }
  const failure = await OnnxTabularModel.load(stored.onnx, manifest);
  // The top factors are exact SHAP values of the failure label's log-odds, read from the same file.
  const explain = tabularExplainer(stored.onnx, manifest, positiveLabelIndex(manifest));
  logger.info({ model: name, version: manifest.version }, 'maintenance model loaded');

  let remainingLife: RemainingLifeModel | undefined;
  const lifeStored = await loadChampion(registryDir, REMAINING_LIFE_MODEL);
  if (!lifeStored) {
    logger.info(`no ${REMAINING_LIFE_MODEL} model in the models folder: aiops_maintenance gets no remaining life`);
  } else {
    const lifeManifest = lifeStored.manifest;
    const why = isTabularManifest(lifeManifest) ? mismatch(manifest, lifeManifest) : 'it is not a tabular model';
    if (why || !isTabularManifest(lifeManifest)) {
      logger.warn(
        { model: REMAINING_LIFE_MODEL, version: lifeManifest.version },
        `${REMAINING_LIFE_MODEL} is not served (${why}): aiops_maintenance gets no remaining life`
      );
    } else {
      const life = await OnnxTabularModel.load(lifeStored.onnx, lifeManifest);
      remainingLife = { manifest: life.manifest, run: (matrix) => life.run(matrix), capHours: REMAINING_LIFE_CAP_H };
      logger.info({ model: REMAINING_LIFE_MODEL, version: lifeManifest.version }, 'remaining-life model loaded');
    }
  }
  return {
    model: {
      manifest: failure.manifest,
      run: (matrix) => failure.run(matrix),
      remainingLife,
      ...(explain ? { explain } : {}),
    },
    options: {
      bucketMs: MAINTENANCE_STEP_MS,
      historyRows: Math.max(...manifest.features.windows, 1),
      horizonHours: horizonH,
    },
  };
}
