import { join } from 'node:path';
import { writeMttrBundle } from '../../inference-backend/src/adapters/onnx/mttrModel';
import { setAlias } from '../../inference-backend/src/adapters/registry/modelRegistry';
import { trainMttrModel } from '../../inference-backend/src/domain/mlops/mttr';
import { SERVED_MODELS } from '../../inference-backend/src/services/onnxModels';
import { generateInventory } from '../../inference-backend/src/simulator/inventory';
import { Simulation } from '../../inference-backend/src/simulator/simulation';
import { generateTicketHistory } from '../../inference-backend/src/simulator/tickets';

const DAY_US = 86_400_000_000;

/**
 * Trains the MTTR trees on `days` of simulated ticket history ending now and makes them the `mttr`
 * champion of the registry `modelsDir` (created if needed): a backend pointed at it estimates time
 * to resolve with the model, and explains it, rather than with the median baseline. Other models
 * stay absent (their rules serve). Returns the version.
 */
export async function writeMttrChampion(modelsDir: string, days = 240, seed = 42): Promise<string> {
  const sim = new Simulation({ seed, inventory: generateInventory({ seed }) });
  const toUs = Date.now() * 1000;
  const fromUs = toUs - days * DAY_US;
  const rows = generateTicketHistory({
    seed,
    topology: sim.topology,
    fromUs,
    toUs,
    incidents: sim.incidentsBetween(fromUs, toUs),
  });
  const version = 'v1';
  const { model } = trainMttrModel(rows, { version });
  await writeMttrBundle(join(modelsDir, SERVED_MODELS.mttr, version), model);
  await setAlias(modelsDir, SERVED_MODELS.mttr, 'champion', version);
  return version;
}
