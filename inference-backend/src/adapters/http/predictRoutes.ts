import express from 'express';
import { z } from 'zod';
import { isImportedManifest } from '../../domain/mlops/importedModel';
import { canonicalModelName } from '../../domain/mlops/manifest';
import type { RegistryManifest } from '../../domain/mlops/manifest';
import { ImportedInputError, ImportedModel } from '../onnx/importedModel';
import type { ImportedPrediction } from '../onnx/importedModel';
import { InvalidModelNameError, ModelNotFoundError } from '../registry/errors';
import { loadModel, readAliasesFile } from '../registry/modelRegistry';
import { parse } from './app';
import { requireRole } from './auth';
import { BadRequestError, NotFoundError } from './errors';

/**
 * `POST /api/predict/:name` {rows: [{column: value, …}]} → the champion of an imported model
 * (one that serves a target of its own) on each row: {model, version, predictions: [{label,
 * probabilities} | {value}]}. The champion is read at every request, so a promotion or rollback
 * is served at once; sessions are kept per version (versions never change once written).
 */

export const MAX_PREDICT_ROWS = 1000;
/** A replaced champion's session is released this long after, when no request can still be using it. */
const RETIRE_AFTER_MS = 60_000;

const cell = z.union([z.string().max(100_000), z.number(), z.null()]);
export const predictRequestSchema = z
  .object({
    rows: z
      .array(z.record(z.string(), cell))
      .min(1, 'must hold at least one row')
      .max(MAX_PREDICT_ROWS, `must hold at most ${MAX_PREDICT_ROWS} rows per request`),
  })
  .strict();

export interface PredictResponse {
  model: string;
  version: string;
  predictions: ImportedPrediction[];
}

export interface PredictRouterDeps {
  registryDir: string;
}

export function createPredictRouter(deps: PredictRouterDeps): express.Router {
  const router = express.Router();
  // One session per model@version; a model's older sessions are released when its champion moves.
  const sessions = new Map<string, { version: string; model: Promise<ImportedModel> }>();

  async function champion(name: string): Promise<{ version: string; model: ImportedModel }> {
    let version: string | undefined;
    try {
      version = (await readAliasesFile(deps.registryDir, name)).champion;
    } catch (error) {
      if (error instanceof InvalidModelNameError) throw new BadRequestError(error.message);
      throw error;
    }
    if (!version) throw new NotFoundError(`no model ${name} with a champion in the registry`);
    const cached = sessions.get(name);
    if (cached?.version === version) return { version, model: await cached.model };
    const loading = loadModel<RegistryManifest>(deps.registryDir, name, version).then((stored) => {
      if (!isImportedManifest(stored.manifest)) {
        throw new NotFoundError(
          `model ${name} is a built-in ${stored.manifest.kind} model, served through its own routes; /api/predict serves imported models`
        );
      }
      return ImportedModel.load(stored);
    });
    sessions.set(name, { version, model: loading });
    loading.catch(() => sessions.get(name)?.model === loading && sessions.delete(name));
    if (cached) {
      // Requests still running on the old version finish first.
      const retire = () => void cached.model.then((old) => old.release()).catch(() => undefined);
      setTimeout(retire, RETIRE_AFTER_MS).unref();
    }
    return { version, model: await loading };
  }

  // Runs a model on the caller's rows (CPU, and a model's behaviour to probe): analysts.
  router.post('/:name', requireRole('analyst'), async (req, res) => {
    const name = canonicalModelName(req.params.name);
    const { rows } = parse(predictRequestSchema, req.body);
    let loaded: { version: string; model: ImportedModel };
    try {
      loaded = await champion(name);
    } catch (error) {
      if (error instanceof ModelNotFoundError) throw new NotFoundError(error.message);
      throw error;
    }
    let predictions: ImportedPrediction[];
    try {
      predictions = await loaded.model.predict(rows);
    } catch (error) {
      if (error instanceof ImportedInputError) throw new BadRequestError(error.message);
      throw error;
    }
    const body: PredictResponse = { model: name, version: loaded.version, predictions };
    res.json(body);
  });
  return router;
}
