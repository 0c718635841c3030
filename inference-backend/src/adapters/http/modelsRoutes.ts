import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { InputFileError } from '../files/csv';
import { importModel, ImportRefusedError } from '../registry/import/importModel';
import { ImportSpecError, parseImportManifest } from '../registry/import/importSpec';
import type { AuditSink } from '../../domain/audit/audit';
import { canonicalModelName, isModelAlias, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../../domain/mlops/manifest';
import {
  DamagedModelError,
  InvalidModelNameError,
  ModelNotFoundError,
  RegistryConflictError,
} from '../registry/errors';
import {
  archive,
  describeModel,
  describeVersion,
  listModelSummaries,
  promote,
  rollback,
  setChallenger,
} from '../registry/lifecycle';
import type { ChangeContext, ChangeResult } from '../registry/lifecycle';
import { AppError, BadRequestError, NotFoundError } from './errors';
import { parse } from './app';
import { callerOf, requireRole } from './auth';

export interface ModelsRouterDeps {
  registryDir: string;
  audit: AuditSink;
  /**
   * Called after every alias change, so that the service serves the new champion without a restart.
   * A failure is answered with a 500 saying the alias moved but the reload failed.
   */
  onAliasChange(name: string): Promise<void>;
}

const VERSION = /^v\d{1,9}$/;
const versionField = z.string().regex(VERSION, 'must be v1, v2, v3 or another v<number>');
const reasonField = z.string().trim().min(1).max(1000).optional();

const promoteBody = z.strictObject({
  version: versionField,
  /** The champion the caller saw (null: none); a promotion racing another is refused with a 409. */
  expectedChampion: versionField.nullable().optional(),
  reason: reasonField,
});
const challengerBody = z.strictObject({ version: versionField, reason: reasonField });
const rollbackBody = z.strictObject({ toVersion: versionField.optional(), reason: reasonField });
const archiveBody = z.strictObject({ reason: reasonField });
/**
 * `POST /api/models/import`: what `nocai models import` reads from files, in one JSON body. The model
 * file is base64 (an ONNX graph, or an XGBoost/LightGBM JSON dump as saved by Python, R or Julia); the
 * reference rows are the text of a CSV or JSON Lines file.
 */
const importBody = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  model: z.base64({ error: 'model must be the model file in base64' }).min(1, 'model must not be empty'),
  reference: z.string().min(1, 'reference must hold the reference rows (CSV or JSON Lines)'),
  referenceFormat: z.enum(['csv', 'jsonl']).default('csv'),
  champion: z.boolean().optional(),
  reason: reasonField,
});
/** The largest import body the API takes (the CLI reads bigger files from disk). */
const MODEL_IMPORT_BODY_LIMIT = '128mb';
const MODEL_IMPORT_PATH = '/import';

function modelName(raw: string): string {
  // Express has decoded the path segment: /api/models/temp%C3%A9rature is model température.
  if (!MODEL_NAME_PATTERN.test(raw) || raw.length > 128) {
    throw new BadRequestError(`not a model name: use ${MODEL_NAME_RULE}`);
  }
  return canonicalModelName(raw);
}

function versionName(raw: string): string {
  if (!VERSION.test(raw)) throw new BadRequestError('not a model version: a version is v1, v2, …');
  return raw;
}

/** A version, or the one an alias (champion, challenger) or latest names, to read. */
function versionOrAlias(raw: string): string {
  if (VERSION.test(raw) || raw === 'latest' || isModelAlias(raw)) return raw;
  throw new BadRequestError('not a model version: a version is v1, v2, …, champion, challenger or latest');
}

/** The registry's refusals as the HTTP caller sees them; anything else goes to the central handler. */
function httpError(error: unknown): unknown {
  if (error instanceof ModelNotFoundError) return new NotFoundError(error.message);
  if (error instanceof RegistryConflictError) return new AppError(error.message, 409, 'conflict');
  // The version's files do not check out: the caller can choose another version or archive it.
  if (error instanceof DamagedModelError) return new AppError(error.message, 409, 'model_damaged');
  if (error instanceof InvalidModelNameError) return new BadRequestError(error.message);
  return error;
}

async function registryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw httpError(error);
  }
}

function contextOf(req: Request, res: Response, reason: string | undefined): ChangeContext {
  const caller = callerOf(res);
  return { actor: caller.name, role: caller.role, from: req.ip ?? 'unknown', ...(reason ? { reason } : {}) };
}

const aliasesMoved = (result: ChangeResult) =>
  result.before.champion !== result.after.champion || result.before.challenger !== result.after.challenger;

/**
 * `/api/models`: the registry's models, versions and alias history, and the lifecycle changes
 * (promote, challenger, rollback, archive), each audited by the registry and followed by a reload
 * of the service's champions.
 */
export function createModelsRouter(deps: ModelsRouterDeps): express.Router {
  const router = express.Router();
  const { registryDir } = deps;
  const viewer = requireRole('viewer');
  const admin = requireRole('admin');

  /** The service serves the model's new champion; if it cannot, the caller hears that the alias moved anyway. */
  const reload = async (name: string, champion: string | undefined): Promise<void> => {
    try {
      await deps.onAliasChange(name);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new AppError(
        `the aliases of model ${name} changed (champion ${champion ?? 'unset'}), but the service could not reload them: ${why}`,
        500,
        'reload_failed'
      );
    }
  };
  const afterChange = async <R extends ChangeResult>(result: R): Promise<R> => {
    if (aliasesMoved(result)) await reload(result.name, result.after.champion);
    return result;
  };

  router.get('/', viewer, async (_req, res) => {
    res.json({ models: await registryCall(() => listModelSummaries(registryDir)) });
  });
  router.post(MODEL_IMPORT_PATH, admin, express.json({ limit: MODEL_IMPORT_BODY_LIMIT }), async (req, res) => {
    const body = parse(importBody, req.body ?? {});
    let spec;
    try {
      spec = parseImportManifest(body.manifest);
    } catch (error) {
      if (error instanceof ImportSpecError) throw new BadRequestError(error.message);
      throw error;
    }
    // importModel reads files, as the CLI gives them: the body's parts go to a private folder first.
    const dir = await mkdtemp(join(tmpdir(), 'nocai-import-'));
    try {
      const modelFile = join(dir, spec.format === 'onnx' ? 'model.onnx' : 'model.json');
      const referenceFile = join(dir, `reference.${body.referenceFormat}`);
      await writeFile(modelFile, Buffer.from(body.model, 'base64'));
      await writeFile(referenceFile, body.reference);
      const result = await registryCall(async () => {
        try {
          return await importModel({
            registryDir,
            spec,
            modelFile,
            referenceFile,
            champion: body.champion,
            context: contextOf(req, res, body.reason),
            audit: deps.audit,
          });
        } catch (error) {
          // The model or its reference rows are refused: the caller's input, named without our folder.
          if (error instanceof ImportRefusedError || error instanceof InputFileError) {
            throw new AppError(error.message.split(dir).join('upload'), 422, 'import_refused');
          }
          throw error;
        }
      });
      if (result.champion) await reload(result.manifest.name, result.manifest.version);
      res.status(201).location(`/api/models/${result.manifest.name}/versions/${result.manifest.version}`).json(result);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  router.get('/:name', viewer, async (req, res) => {
    const name = modelName(req.params.name);
    res.json(await registryCall(() => describeModel(registryDir, name)));
  });
  router.get('/:name/versions/:version', viewer, async (req, res) => {
    const name = modelName(req.params.name);
    const version = versionOrAlias(req.params.version);
    res.json(await registryCall(() => describeVersion(registryDir, name, version)));
  });
  router.post('/:name/promote', admin, async (req, res) => {
    const name = modelName(req.params.name);
    const body = parse(promoteBody, req.body ?? {});
    const options = body.expectedChampion !== undefined ? { expectedChampion: body.expectedChampion } : {};
    const result = await registryCall(() =>
      promote(registryDir, name, body.version, options, contextOf(req, res, body.reason), deps.audit)
    );
    res.json(await afterChange(result));
  });
  router.post('/:name/challenger', admin, async (req, res) => {
    const name = modelName(req.params.name);
    const body = parse(challengerBody, req.body ?? {});
    const result = await registryCall(() =>
      setChallenger(registryDir, name, body.version, contextOf(req, res, body.reason), deps.audit)
    );
    res.json(await afterChange(result));
  });
  router.post('/:name/rollback', admin, async (req, res) => {
    const name = modelName(req.params.name);
    const body = parse(rollbackBody, req.body ?? {});
    const result = await registryCall(() =>
      rollback(registryDir, name, { toVersion: body.toVersion }, contextOf(req, res, body.reason), deps.audit)
    );
    res.json(await afterChange(result));
  });
  router.post('/:name/versions/:version/archive', admin, async (req, res) => {
    const name = modelName(req.params.name);
    const version = versionName(req.params.version);
    const body = parse(archiveBody, req.body ?? {});
    const result = await registryCall(() =>
      archive(registryDir, name, version, contextOf(req, res, body.reason), deps.audit)
    );
    res.json(await afterChange(result));
  });
  return router;
}
