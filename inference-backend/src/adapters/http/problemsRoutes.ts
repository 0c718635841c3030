import express, { type Request, type RequestHandler, type Response } from 'express';
import { describeValue, PROBLEM_NAME } from '@nocai/contract';
import {
  ProblemConflictError,
  ProblemDataError,
  ProblemDefinitionError,
  ProblemNotFoundError,
} from '../../domain/problems/errors';
import type { ProblemChangeContext, ProblemService } from '../../services/problemService';
import { parseProblemBody } from '../files/problemStore';
import { AppError, BadRequestError, NotFoundError } from './errors';

export interface ProblemsRouterDeps {
  service: ProblemService;
  /** Who makes the request, for the audit trail (the authentication layer knows). */
  callerOf(req: Request, res: Response): { actor: string; role: string };
  /** Role gates: reading problems, and changing or training them (admins, issue 12). */
  canRead: RequestHandler<Record<string, string>>;
  canChange: RequestHandler<Record<string, string>>;
}

/** The domain's refusals as the HTTP caller sees them; anything else goes to the central handler. */
function httpError(error: unknown): unknown {
  if (error instanceof ProblemNotFoundError) return new NotFoundError(error.message);
  if (error instanceof ProblemConflictError) return new AppError(error.message, 409, 'conflict');
  if (error instanceof ProblemDefinitionError) return new BadRequestError(error.message);
  // A pattern that matches no series, a field the database lacks: the definition is at fault.
  if (error instanceof ProblemDataError) return new AppError(error.message, 422, 'problem_data');
  return error;
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw httpError(error);
  }
}

function problemName(raw: unknown): string {
  const name = String(raw);
  if (!PROBLEM_NAME.test(name))
    throw new BadRequestError('not a problem name: use 1–64 lower-case letters, digits, _ or -');
  return name;
}

function versionOf(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new BadRequestError(`version must be a whole number of at least 1 (got ${describeValue(raw)})`);
  }
  return Number(text);
}

function reasonOf(req: Request): string | undefined {
  const raw = req.query.reason;
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (text.length > 1000) throw new BadRequestError(`reason must be at most 1000 characters (it has ${text.length})`);
  return text === '' ? undefined : text;
}

/**
 * `/api/problems`: predictive alert problems (issue 12). Definitions are read by viewers and
 * changed by admins; each change is a new version, audited (`problem.create|update|delete`).
 * `POST /:name/train` starts a training run and answers 202 with the job; `GET /:name/train`
 * lists the runs with their progress, `GET /:name/train/:job` one of them.
 */
export function createProblemsRouter(deps: ProblemsRouterDeps): express.Router {
  const router = express.Router();
  const { service, canRead, canChange } = deps;
  const contextOf = (req: Request, res: Response): ProblemChangeContext => {
    const { actor, role } = deps.callerOf(req, res);
    const reason = reasonOf(req);
    return { actor, role, from: req.ip ?? 'unknown', ...(reason ? { reason } : {}) };
  };

  router.get('/', canRead, async (_req, res) => {
    res.json(await call(() => service.list()));
  });
  router.get('/:name', canRead, async (req, res) => {
    const name = problemName(req.params.name);
    res.json(await call(() => service.get(name, versionOf(req.query.version))));
  });
  router.get('/:name/versions', canRead, async (req, res) => {
    const name = problemName(req.params.name);
    res.json({ versions: await call(() => service.versions(name)) });
  });
  router.post('/', canChange, async (req, res) => {
    const definition = await call(async () => parseProblemBody(req.body ?? {}));
    res.status(201).json(await call(() => service.create(definition, contextOf(req, res))));
  });
  router.put('/:name', canChange, async (req, res) => {
    const name = problemName(req.params.name);
    const definition = await call(async () => parseProblemBody(req.body ?? {}));
    res.json(await call(() => service.update(name, definition, contextOf(req, res))));
  });
  router.delete('/:name', canChange, async (req, res) => {
    const name = problemName(req.params.name);
    res.json({ deleted: await call(() => service.delete(name, contextOf(req, res))) });
  });
  router.post('/:name/train', canChange, async (req, res) => {
    const name = problemName(req.params.name);
    const job = await call(() => service.startTraining(name, contextOf(req, res)));
    res.status(202).location(`${req.baseUrl}/${name}/train/${job.id}`).json(job);
  });
  router.get('/:name/train', canRead, async (req, res) => {
    const name = problemName(req.params.name);
    res.json({ jobs: service.trainingJobs(name) });
  });
  router.get('/:name/train/:job', canRead, async (req, res) => {
    const name = problemName(req.params.name);
    const job = service.trainingJob(String(req.params.job));
    if (!job || job.problem !== name)
      throw new NotFoundError(`problem ${name} has no training job ${String(req.params.job).slice(0, 64)}`);
    res.json(job);
  });
  return router;
}
