import { join } from 'node:path';
import { plural } from '@nocai/contract';
import { trainDefaultMttr } from '../adapters/onnx/mttrModel';
import { aliasActorOf, readAliases, setAlias } from '../adapters/registry/modelRegistry';
import type { Provenance } from '../domain/mlops/manifest';
import { SERVED_MODELS } from '../services/onnxModels';
import { maintenanceModelName } from '../services/maintenanceModel';
import {
  MAINTENANCE_HORIZON_H,
  MAINTENANCE_TRAINING_SEED,
  REMAINING_LIFE_CAP_H,
  REMAINING_LIFE_MODEL,
  trainMaintenanceModel,
} from './maintenanceModel';
import { trainDefaultModels } from './train';

/** Whether every model the backend serves (the failure model for `maintenanceHorizonH` too) has a champion in `modelsDir`. */
export async function hasDefaultModels(
  modelsDir: string,
  maintenanceHorizonH = MAINTENANCE_HORIZON_H
): Promise<boolean> {
  for (const name of [...Object.values(SERVED_MODELS), maintenanceModelName(maintenanceHorizonH)]) {
    const aliases = await readAliases(modelsDir, name).catch(() => undefined);
    if (!aliases?.champion) return false;
  }
  return true;
}

/**
 * The default models from a simulator corpus (`<simDir>/history`): the text classifiers and the
 * MTTR trees, plus the PLC failure and remaining-life models from simulated run-to-failure
 * histories (the maintenance stage runs when they are there), each made champion in `modelsDir`;
 * the failure model warns `maintenanceHorizonH` hours ahead (`plc-failure-<h>h`, what the stage
 * serves for NOCAI_MAINTENANCE_HORIZON_H). What the demo and `nocai setup` train; nothing opaque
 * is committed. Every version records `command` (`nocai setup`, `nocai demo`) as its maker.
 */
export async function trainDefaultModelSet(
  simDir: string,
  modelsDir: string,
  say: (text: string) => void,
  maintenanceHorizonH = MAINTENANCE_HORIZON_H,
  command = 'nocai setup'
): Promise<void> {
  say(`training the default models into ${modelsDir}…`);
  const started = Date.now();
  const provenance: Provenance = {
    createdBy: { kind: 'setup', name: command },
    reason: `default model of ${command}, trained on simulated history`,
  };
  const classifiers = await trainDefaultModels(simDir, modelsDir, (message) => say(message), provenance);
  const mttrVersion = 'v1';
  const mttr = await trainDefaultMttr(
    join(simDir, 'history', 'tickets.jsonl'),
    join(modelsDir, SERVED_MODELS.mttr, mttrVersion),
    mttrVersion,
    undefined,
    provenance
  );
  await setAlias(modelsDir, SERVED_MODELS.mttr, 'champion', mttrVersion, aliasActorOf(provenance));
  say(
    `trained ${plural(classifiers.length + 1, 'model')} in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(MTTR P50 MAE ${Math.round(mttr.report.holdout.maeSeconds / 60)} min vs baseline ${Math.round(mttr.report.holdout.baselineMaeSeconds / 60)} min, ` +
      `P90 coverage ${(mttr.report.holdout.p90Coverage * 100).toFixed(0)}%)`
  );
  const maintenance = await trainMaintenanceModel(modelsDir, {
    seed: MAINTENANCE_TRAINING_SEED,
    horizonH: maintenanceHorizonH,
    provenance,
  });
  say(
    `trained ${maintenance.manifest.name} on ${plural(maintenance.rows, 'row')} of simulated PLC history in ${maintenance.seconds.toFixed(1)} s ` +
      `(held-out PLCs: ${(maintenance.heldOut.recall * 100).toFixed(0)}% of the rows within ${maintenanceHorizonH} h of a halt flagged, ` +
      `${(maintenance.heldOut.precision * 100).toFixed(0)}% of flags right; ` +
      `${REMAINING_LIFE_MODEL} took ${maintenance.remainingLife.seconds.toFixed(1)} s of it, ` +
      `held-out MAE ${maintenance.remainingLife.heldOut.mae.toFixed(1)} h under its ${REMAINING_LIFE_CAP_H} h cap)`
  );
}
