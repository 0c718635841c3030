import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { AuditSink } from '../../domain/audit/audit';
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

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VERSION = /^v\d{1,9}$/;
const versionField = z.string().regex(VERSION, 'a version is v1, v2, …');
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

function modelName(raw: string): string {
  if (!NAME.test(raw)) throw new BadRequestError(`not a model name: use letters, digits, '.', '_' or '-'`);
  return raw;
}

function versionName(raw: string): string {
  if (!VERSION.test(raw)) throw new BadRequestError('not a model version: a version is v1, v2, …');
  return raw;
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

  const afterChange = async <R extends ChangeResult>(result: R): Promise<R> => {
    if (!aliasesMoved(result)) return result;
    try {
      await deps.onAliasChange(result.name);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new AppError(
        `the aliases of model ${result.name} changed (champion ${result.after.champion ?? 'unset'}), ` +
          `but the service could not reload them: ${why}`,
        500,
        'reload_failed'
      );
    }
    return result;
  };

  router.get('/', viewer, async (_req, res) => {
    res.json({ models: await registryCall(() => listModelSummaries(registryDir)) });
  });
  router.get('/:name', viewer, async (req, res) => {
    const name = modelName(req.params.name);
    res.json(await registryCall(() => describeModel(registryDir, name)));
  });
  router.get('/:name/versions/:version', viewer, async (req, res) => {
    const name = modelName(req.params.name);
    const version = versionName(req.params.version);
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
