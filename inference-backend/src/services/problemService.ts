import { randomBytes } from 'node:crypto';
import { durationMs } from '@nocai/contract';
import type { ProblemDefinition, StoredProblem } from '@nocai/contract';
import type { ProblemChangeGuard, ProblemStore } from '../adapters/files/problemStore';
import { recordThenSave, type AuditSink } from '../domain/audit/audit';
import type { CreatedBy } from '../domain/mlops/manifest';
import type { ProblemTrainOptions } from '../domain/problems/automl';
import { ProblemConflictError, ProblemDataError } from '../domain/problems/errors';
import type { ProblemSeriesSource } from '../domain/problems/ports';
import type { ProblemTrainingResult } from './problemTraining';
import { trainProblemInWorker } from './problemTrainWorker';

/** Who asks for a change: the audit trail's actor, role and origin, and an optional reason. */
export interface ProblemChangeContext {
  actor: string;
  role: string;
  from: string;
  reason?: string;
}

export interface ProblemServiceDeps {
  store: ProblemStore;
  source: ProblemSeriesSource;
  registryDir: string;
  audit: AuditSink;
  /** Replaces the candidates' grids (tests bound their cost with it). */
  grids?: ProblemTrainOptions['grids'];
}

export type TrainingState = 'running' | 'done' | 'failed';

/** One training run as the API shows it while it runs and after. */
export interface TrainingJob {
  id: string;
  problem: string;
  problemVersion: number;
  state: TrainingState;
  startedAt: string;
  finishedAt?: string;
  /** Progress lines, oldest first (the last ones when there are many). */
  progress: string[];
  result?: ProblemTrainingResult;
  /** Why it failed: one sentence; `field` names the definition's field when the data refused it. */
  error?: { message: string; field?: string };
}

const MAX_PROGRESS_LINES = 200;
const MAX_JOBS_KEPT = 50;

/**
 * Use cases of predictive alert problems (issue 12): the definitions (list, read, create, update,
 * delete; every change audited as `problem.create|update|delete`) and their training (`train`, or
 * `startTraining` for the API, one run per problem at a time, its progress kept for polling).
 */
export class ProblemService {
  private readonly jobs = new Map<string, TrainingJob>();

  constructor(private readonly deps: ProblemServiceDeps) {}

  list() {
    return this.deps.store.list();
  }

  get(name: string, version?: number): Promise<StoredProblem> {
    return this.deps.store.get(name, version);
  }

  versions(name: string) {
    return this.deps.store.versions(name);
  }

  async create(definition: ProblemDefinition, context: ProblemChangeContext): Promise<StoredProblem> {
    await this.checkSeries(definition);
    return this.deps.store.create(definition, this.audited('problem.create', definition.name, context));
  }

  /** A new version of the definition; its model is retrained by the next `train` (issue 12 point 3 schedules it). */
  async update(name: string, definition: ProblemDefinition, context: ProblemChangeContext): Promise<StoredProblem> {
    await this.checkSeries(definition);
    return (await this.deps.store.update(name, definition, this.audited('problem.update', name, context))).after;
  }

  async delete(name: string, context: ProblemChangeContext): Promise<StoredProblem> {
    return this.deps.store.delete(name, this.audited('problem.delete', name, context));
  }

  /**
   * Refuses a definition naming series or fields the database lacks, with the field named; an
   * unreachable database does not block saving (training checks again).
   */
  private async checkSeries(definition: ProblemDefinition): Promise<void> {
    try {
      await this.deps.source.resolveVariables(definition);
    } catch (error) {
      if (error instanceof ProblemDataError) throw error;
    }
  }

  /** The change's entry is recorded before the store saves it: no problem changes unaudited. */
  private audited(action: string, name: string, context: ProblemChangeContext): ProblemChangeGuard {
    return (before, after, save) =>
      recordThenSave(
        this.deps.audit,
        {
          actor: context.actor,
          role: context.role,
          action,
          target: `problem:${name}`,
          before,
          after,
          from: context.from,
          ...(context.reason ? { reason: context.reason } : {}),
        },
        save
      );
  }

  /** Trains the current version of `name` and registers its model; progress lines go to `onProgress`. */
  async train(
    name: string,
    context: ProblemChangeContext,
    onProgress: (message: string) => void = () => undefined
  ): Promise<ProblemTrainingResult> {
    const stored = await this.deps.store.get(name);
    return this.trainStored(stored, context, onProgress);
  }

  private async trainStored(
    stored: StoredProblem,
    context: ProblemChangeContext,
    onProgress: (message: string) => void
  ): Promise<ProblemTrainingResult> {
    const definition = stored.definition;
    const stepMs = durationMs(definition.interval) ?? 0;
    const longestWindowMs = Math.max(...definition.windows.map((w) => durationMs(w) ?? 0));
    const range = {
      // The first training rows need their windows' history before the period starts.
      fromMs: Date.parse(definition.training.from) - longestWindowMs - stepMs,
      toMs: Date.parse(definition.validation.to),
    };
    onProgress(
      `${definition.name}: reading its series from ${new Date(range.fromMs).toISOString()} to ${definition.validation.to}`
    );
    const data = await this.deps.source.load(definition, range);
    onProgress(
      `${definition.name}: ${data.series.length} entities, ${data.variables.length} input variables, ${data.grid.steps} steps`
    );
    const createdBy: CreatedBy = { kind: 'user', name: context.actor };
    const result = await trainProblemInWorker(
      {
        definition,
        problemVersion: stored.version,
        data,
        registryDir: this.deps.registryDir,
        createdBy,
        ...(this.deps.grids ? { grids: this.deps.grids } : {}),
      },
      onProgress
    );
    await this.deps.audit.record({
      actor: context.actor,
      role: context.role,
      action: 'model.train',
      target: `model:${result.model}@${result.version}`,
      after: {
        alias: result.alias,
        winner: result.report.winner,
        validationPrAuc: result.report.validation.prAuc,
        threshold: result.threshold,
      },
      from: context.from,
      reason: `problem ${definition.name} v${stored.version}`,
    });
    return result;
  }

  /** Starts training `name` in the background; refused while a run of it is going on. */
  async startTraining(name: string, context: ProblemChangeContext): Promise<TrainingJob> {
    const stored = await this.deps.store.get(name);
    const running = [...this.jobs.values()].find((j) => j.problem === name && j.state === 'running');
    if (running) throw new ProblemConflictError(`problem ${name} is being trained (job ${running.id})`);
    const job: TrainingJob = {
      id: randomBytes(8).toString('hex'),
      problem: name,
      problemVersion: stored.version,
      state: 'running',
      startedAt: new Date().toISOString(),
      progress: [],
    };
    this.jobs.set(job.id, job);
    this.forgetOldJobs();
    const say = (message: string) => {
      job.progress.push(message);
      if (job.progress.length > MAX_PROGRESS_LINES) job.progress.splice(0, job.progress.length - MAX_PROGRESS_LINES);
    };
    void this.trainStored(stored, context, say).then(
      (result) => {
        job.state = 'done';
        job.result = result;
        job.finishedAt = new Date().toISOString();
      },
      (error: unknown) => {
        job.state = 'failed';
        job.error = {
          message: error instanceof Error ? error.message : String(error),
          ...(error instanceof ProblemDataError ? { field: error.field } : {}),
        };
        job.finishedAt = new Date().toISOString();
      }
    );
    return job;
  }

  /** The training runs of `name`, newest first. */
  trainingJobs(name: string): TrainingJob[] {
    return [...this.jobs.values()].filter((j) => j.problem === name).reverse();
  }

  trainingJob(id: string): TrainingJob | undefined {
    return this.jobs.get(id);
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, this.jobs.size - MAX_JOBS_KEPT))) this.jobs.delete(job.id);
  }
}
