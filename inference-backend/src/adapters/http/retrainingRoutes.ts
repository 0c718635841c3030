import express from 'express';
import type { AuditSink } from '../../domain/audit/audit';
import { MODEL_NAME_PATTERN } from '../../domain/mlops/manifest';
import type { RetrainStage } from '../../pipeline/retrainStage';
import { z } from 'zod';
import { retrainedModels } from '../../services/retraining';
import { parse } from './app';
import { callerOf, requireRole } from './auth';
import { listVersions } from '../registry/modelRegistry';
import { BadRequestError, NotFoundError } from './errors';

/** POST body: nothing (train challengers), or versions already in the registry to judge instead. */
const retrainRequestSchema = z
  .object({
    challengers: z
      .record(
        z
          .string()
          .max(64, 'must be a model name such as mttr')
          .regex(MODEL_NAME_PATTERN, 'must be a model name such as mttr'),
        z.string().regex(/^v\d{1,9}$/, 'must be v1, v2, v3 or another v<number>')
      )
      .default({}),
  })
  .strict();

/**
 * `/api/retraining`: POST asks for a retraining run now (202; it runs on the retraining stage's
 * next tick, one at a time), GET says whether one is running and what the last one decided.
 * Reading the state is for viewers; asking for a run is for analysts.
 */
export function createRetrainingRouter(deps: {
  stage: RetrainStage;
  registryDir: string;
  audit?: AuditSink;
  /** The failure model's horizon the service serves (its `plc-failure-<h>h` is retrained). */
  maintenanceHorizonH?: number;
}): express.Router {
  const router = express.Router();
  router.get('/', requireRole('viewer'), (_req, res) => {
    res.json({
      running: deps.stage.running,
      latest: deps.stage.latest ?? null,
      lastFailure: deps.stage.lastFailure ?? null,
    });
  });
  router.post('/', requireRole('analyst'), async (req, res) => {
    const caller = callerOf(res);
    const actor = caller.name;
    const { challengers } = parse(retrainRequestSchema, req.body ?? {});
    for (const name of Object.keys(challengers)) {
      const judged = retrainedModels(deps.maintenanceHorizonH);
      if (!judged.includes(name)) {
        throw new BadRequestError(
          `challengers.${name} is not a model the retraining judges: use one of ${judged.join(', ')}`
        );
      }
      if (!(await listVersions(deps.registryDir, name)).includes(challengers[name])) {
        throw new NotFoundError(`model ${name} has no version ${challengers[name]}`);
      }
    }
    deps.stage.request({ kind: 'user', actor }, challengers);
    await deps.audit?.record({
      actor,
      role: caller.role,
      action: 'model.retrain.request',
      target: 'models',
      after: { challengers },
      from: req.ip ?? 'api',
    });
    res.status(202).json({ status: 'queued', running: deps.stage.running });
  });
  return router;
}
