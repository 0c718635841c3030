import { PROBLEM_SERIES } from '@nocai/contract';
import type { Explanation, ProblemDefinition } from '@nocai/contract';
import { eventOnsets, forwardFilled, rowFeatures } from '../domain/problems/dataset';
import { ProblemDataError } from '../domain/problems/errors';
import type { ProblemAlarmRecord } from '../domain/problems/evidence';
import { calibrationText, problemReference, rankByContribution, topFactors } from '../domain/problems/explanation';
import type { ProblemReference, ProblemShap } from '../domain/problems/explanation';
import { ALERT_REPEAT_MS, medianLeadMinutes } from '../domain/problems/evaluation';
import { FOREST_EPSILON } from '../domain/problems/learners';
import type { ProblemManifest } from '../domain/problems/manifest';
import type { ProblemSeriesSource, ServedProblem, ServedProblemCatalog } from '../domain/problems/ports';
import { recommend, recommendationText } from '../domain/problems/recommendation';
import type { ControllableRange } from '../domain/problems/recommendation';
import type { Clock, PointSink, SeriesPoint } from '../domain/series';
import type { StateStore } from '../domain/state';

export interface ProblemStageOptions {
  /** A step is evaluated this long after it ends (late samples). */
  settleMs: number;
  /** At first start (or for a newly served problem), steps are evaluated from this long before now. */
  startLookbackMs: number;
  /** Steps evaluated per problem and tick at most, while catching up. */
  batchSteps: number;
  /** History read before a batch beyond the longest window, so forward-filling finds a sparse series' last value. */
  fillLookbackMs: number;
  /** While the probability stays over the threshold, an alert again this often. */
  alertRepeatMs: number;
}

export const DEFAULT_PROBLEM_STAGE_OPTIONS: ProblemStageOptions = {
  settleMs: 120_000,
  startLookbackMs: 0,
  batchSteps: 48,
  fillLookbackMs: 6 * 3_600_000,
  alertRepeatMs: ALERT_REPEAT_MS,
};

export const PROBLEM_STAGE_STATE_KEY = 'problem-stage';

interface ProblemWatermark {
  /** Steps ending at or before this (ms) are evaluated and written. */
  evaluatedUntilMs: number;
  /** Per entity, the time (ms) of its last alert while its probability stays high. */
  alerting: Record<string, number>;
}

interface ProblemStageState {
  problems: Record<string, ProblemWatermark>;
}

export interface ProblemBatchInfo {
  problems: number;
  points: number;
  alerts: number;
  seconds: number;
}

export interface ProblemStageHooks {
  onBatch?(info: ProblemBatchInfo): void;
  onAlarms?(alarms: ProblemAlarmRecord[]): void;
  /** A problem that could not be evaluated this tick (its series gone, a damaged model); the others go on. */
  onProblemError?(problem: string, error: unknown): void;
}

const P = PROBLEM_SERIES;

/** One evaluated step of one entity. */
interface Evaluated {
  entity: string;
  endMs: number;
  k: number;
  filled: Float64Array[];
}

/**
 * Serves predictive alert problems (issue 12 point 3): for every problem whose model is champion,
 * at each step after the last evaluated one, the row of every entity is built from InfluxDB by the
 * training code (`dataset.ts`: the step's bucket and those before it, forward-filled, never a later
 * one), scored by the ONNX graph, and written to aiops_problems. A probability reaching the model's
 * threshold is an alert (again every `alertRepeatMs`, or once per horizon when that is shorter, while
 * it stays above half of it): it carries
 * its exact SHAP explanation (`explanation.ts`: base value, every contribution, the raw output they
 * add up to, and the calibration to the probability), the top factors and the recommendation (`recommendation.ts`) and goes to the incident engine,
 * which opens the ticket with the problem's department and priority.
 *
 * Exactly once like the other stages: a tick evaluates each problem's steps after its saved mark,
 * writes and flushes their points (same problem, entity, version and time on a replay, so a repeat
 * overwrites), and only then saves every mark with the alert state, atomically; the alerts are
 * handed over after that. Steps while the event is under way are not evaluated, as training made
 * no rows of them; they end an alert episode.
 */
export class ProblemStage {
  private state: ProblemStageState | undefined;
  private readonly references = new Map<string, Promise<ProblemReference>>();
  /** Step of each served problem's grid (ms), as last seen. */
  private readonly stepOf = new Map<string, number>();

  constructor(
    private readonly deps: {
      catalog: ServedProblemCatalog;
      source: ProblemSeriesSource;
      sink: PointSink;
      store: StateStore;
      clock: Clock;
      options: ProblemStageOptions;
      hooks?: ProblemStageHooks;
    }
  ) {}

  /** The evaluated-until mark of a problem (ms), once it was evaluated or loaded. */
  evaluatedUntilMs(problem: string): number | undefined {
    return this.state?.problems[problem]?.evaluatedUntilMs;
  }

  /**
   * While a problem is behind by more than `allowanceMs` beyond its step and the settle time (a
   * backfill, a restart), the earliest such mark: the log stage waits for its evidence meanwhile.
   */
  catchingUpUntilMs(nowMs: number, allowanceMs: number): number | undefined {
    const behind = Object.entries(this.state?.problems ?? {})
      .filter(
        ([name, p]) =>
          nowMs - p.evaluatedUntilMs > allowanceMs + this.deps.options.settleMs + (this.stepOf.get(name) ?? 0)
      )
      .map(([, p]) => p.evaluatedUntilMs);
    return behind.length ? Math.min(...behind) : undefined;
  }

  /** Evaluates at most `batchSteps` steps per problem; returns 1 when more complete steps wait, else 0. */
  async tick(): Promise<number> {
    const started = process.hrtime.bigint();
    const { catalog, sink, store, hooks } = this.deps;
    const committed = await this.loadState();
    const served = (await catalog.champions()).sort((a, b) => cmp(a.manifest.problem.name, b.manifest.problem.name));
    const next: ProblemStageState = { problems: { ...committed.problems } };
    const points: SeriesPoint[] = [];
    const alarms: ProblemAlarmRecord[] = [];
    let backlog = 0;
    for (const problem of served) {
      const name = problem.manifest.problem.name;
      this.stepOf.set(name, problem.manifest.features.stepMs);
      try {
        const result = await this.evaluate(problem, committed.problems[name]);
        if (!result) continue;
        points.push(...result.points);
        alarms.push(...result.alarms);
        next.problems[name] = result.watermark;
        if (result.more) backlog = 1;
      } catch (error) {
        hooks?.onProblemError?.(name, error);
      }
    }
    if (points.length > 0) {
      await sink.write(points);
      await sink.flush();
    }
    await store.save(PROBLEM_STAGE_STATE_KEY, next);
    this.state = next;
    if (alarms.length) hooks?.onAlarms?.(alarms);
    hooks?.onBatch?.({
      problems: served.length,
      points: points.length,
      alerts: alarms.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    return backlog;
  }

  private async evaluate(
    problem: ServedProblem,
    saved: ProblemWatermark | undefined
  ): Promise<
    { points: SeriesPoint[]; alarms: ProblemAlarmRecord[]; watermark: ProblemWatermark; more: boolean } | undefined
  > {
    const { options, clock } = this.deps;
    const { manifest } = problem;
    const spec = manifest.features;
    const step = spec.stepMs;
    const nowMs = clock.nowMs();
    const limitMs = Math.floor((nowMs - options.settleMs) / step) * step;
    const fromMs = saved?.evaluatedUntilMs ?? Math.floor((nowMs - options.startLookbackMs) / step) * step;
    if (limitMs <= fromMs)
      return saved
        ? undefined
        : { points: [], alarms: [], watermark: { evaluatedUntilMs: fromMs, alerting: {} }, more: false };
    const upperMs = Math.min(limitMs, fromMs + options.batchSteps * step);
    const historyMs = (Math.max(1, ...spec.windowSteps) + Math.ceil(options.fillLookbackMs / step)) * step;
    const definition = servingDefinition(manifest);
    const data = await this.deps.source
      .load(definition, { fromMs: fromMs - historyMs, toMs: upperMs })
      .catch((error: unknown) => {
        // No input point at all in the range (a quiet period): nothing to evaluate, not a failure.
        if (error instanceof ProblemDataError && error.field === 'variables.include') return undefined;
        throw error;
      });
    if (data && data.variables.join('\n') !== spec.variables.join('\n')) {
      throw new Error(
        `${manifest.name} ${manifest.version} reads ${spec.variables.join(', ')} but the database now resolves ${data.variables.join(', ')}`
      );
    }

    // Rows of every entity for the steps ending in (fromMs, upperMs].
    const width = manifest.inputs.tensor.dimension;
    const evaluated: Evaluated[] = [];
    const chunks: Float32Array[] = [];
    const eventSeen = new Map<string, number>();
    for (const s of data?.series ?? []) {
      const filled = spec.variables.map((v) =>
        forwardFilled(s.values.get(v) ?? new Float64Array(data?.grid.steps ?? 0).fill(NaN))
      );
      const { firing } = eventOnsets(s.condition, spec.forSteps);
      const grid = data?.grid;
      if (!grid) continue;
      for (let k = 0; k < grid.steps; k++) {
        const endMs = grid.startMs + (k + 1) * step;
        if (endMs <= fromMs || endMs > upperMs) continue;
        if (firing[k]) {
          eventSeen.set(s.entity, endMs);
          continue;
        }
        const row = new Float32Array(width);
        if (!rowFeatures(filled, k, spec.windowSteps, row, 0)) continue;
        chunks.push(row);
        evaluated.push({ entity: s.entity, endMs, k, filled });
      }
    }
    const rows = new Float32Array(chunks.length * width);
    chunks.forEach((c, i) => rows.set(c, i * width));
    const probabilities = chunks.length ? await problem.score(rows) : new Float32Array(0);

    const order = evaluated
      .map((_, i) => i)
      .sort((a, b) => evaluated[a].endMs - evaluated[b].endMs || cmp(evaluated[a].entity, evaluated[b].entity));
    const alerting = { ...(saved?.alerting ?? {}) };
    const threshold = manifest.threshold;
    const version = `${manifest.name}@${manifest.version}`;
    const horizonHours = (spec.horizonSteps * step) / 3_600_000;
    // Again once the horizon has passed without the event (its claim is spent), at most every alertRepeatMs.
    const repeatMs = Math.min(this.deps.options.alertRepeatMs, Math.max(spec.horizonSteps, 1) * step);
    const medianLead = medianLeadMinutes(manifest.metrics.validation.leadTime);
    const leadTimeHours = medianLead === null ? null : Math.round((medianLead / 60) * 100) / 100;
    const points: SeriesPoint[] = [];
    const alarms: ProblemAlarmRecord[] = [];
    for (const i of order) {
      const { entity, endMs } = evaluated[i];
      const p = probabilities[i];
      const seen = eventSeen.get(entity);
      // The event came and went since the last alert: the next crossing is a new episode.
      if (seen !== undefined && seen < endMs && alerting[entity] !== undefined && alerting[entity] < seen)
        delete alerting[entity];
      const last = alerting[entity];
      let alert = false;
      if (p >= threshold && (last === undefined || endMs - last >= repeatMs)) {
        alert = true;
        alerting[entity] = endMs;
      } else if (last !== undefined && p < threshold / 2) {
        delete alerting[entity];
      }
      let explanation: Explanation[] = [];
      let shap: ProblemShap | undefined;
      let recommendation = '';
      if (p >= threshold) {
        const row = rows.subarray(i * width, (i + 1) * width);
        const { space, base, output, contributions } = problem.explain(row);
        explanation = topFactors(manifest.inputs.features, contributions, row);
        if (alert) {
          shap = {
            space,
            base,
            output,
            contributions: Array.from(contributions),
            calibration: calibrationText(space, manifest.calibration, FOREST_EPSILON),
          };
          const reference = await this.reference(problem);
          const ranked = rankByContribution(definition.variables.controllable, manifest.inputs.features, contributions);
          recommendation = recommendationText(
            await recommend({
              spec,
              filled: evaluated[i].filled,
              k: evaluated[i].k,
              row: Float32Array.from(row),
              probability: p,
              threshold,
              controllables: ranked.flatMap((v) => allowedRange(v, reference, definition)),
              score: problem.score,
            })
          );
        }
      }
      points.push({
        measurement: P.measurement,
        tags: { [P.tags.problem]: manifest.problem.name, [P.tags.entity]: entity, [P.tags.modelVersion]: version },
        fields: {
          [P.fields.probability]: Math.round(p * 1e4) / 1e4,
          [P.fields.threshold]: threshold,
          [P.fields.alert]: alert,
          [P.fields.horizonHours]: horizonHours,
          ...(leadTimeHours === null ? {} : { [P.fields.leadTimeHours]: leadTimeHours }),
          ...(explanation.length ? { [P.fields.topFactor]: explanation[0].feature } : {}),
          ...(alert
            ? {
                [P.fields.explanation]: JSON.stringify(explanation),
                ...(shap ? { [P.fields.shap]: JSON.stringify(shap) } : {}),
                [P.fields.recommendation]: recommendation,
                [P.fields.department]: definition.department,
                [P.fields.priority]: definition.priority,
              }
            : {}),
        },
        timeUs: endMs * 1000,
      });
      if (alert) {
        alarms.push({
          timeUs: endMs * 1000,
          problem: manifest.problem.name,
          entity,
          probability: p,
          threshold,
          horizonHours,
          leadTimeHours,
          explanation,
          ...(shap ? { shap } : {}),
          recommendation,
          department: definition.department,
          priority: definition.priority,
          modelVersion: version,
        });
      }
    }
    return { points, alarms, watermark: { evaluatedUntilMs: upperMs, alerting }, more: limitMs > upperMs };
  }

  /** The model's training reference: from its manifest, or computed once from the training period. */
  private reference(problem: ServedProblem): Promise<ProblemReference> {
    const { manifest } = problem;
    if (manifest.reference) return Promise.resolve(manifest.reference);
    const key = `${manifest.name}@${manifest.version}`;
    let pending = this.references.get(key);
    if (!pending) {
      const definition = servingDefinition(manifest);
      const period = { fromMs: Date.parse(definition.training.from), toMs: Date.parse(definition.training.to) };
      const historyMs = (Math.max(1, ...manifest.features.windowSteps) + 1) * manifest.features.stepMs;
      pending = this.deps.source
        .load(definition, { fromMs: period.fromMs - historyMs, toMs: period.toMs })
        .then((data) => problemReference(data.grid, data.series, manifest.features, period));
      // A failed read is tried again at the next alert.
      pending.catch(() => this.references.delete(key));
      this.references.set(key, pending);
    }
    return pending;
  }

  private async loadState(): Promise<ProblemStageState> {
    if (this.state) return this.state;
    this.state = (await this.deps.store.load<ProblemStageState>(PROBLEM_STAGE_STATE_KEY)) ?? { problems: {} };
    return this.state;
  }
}

/**
 * The definition the model was trained from, reading exactly the model's input variables: the
 * patterns may match more series today, the model's tensor does not change.
 */
function servingDefinition(manifest: ProblemManifest): ProblemDefinition {
  const definition = manifest.problem.definition;
  return {
    ...definition,
    variables: { ...definition.variables, include: [...manifest.features.variables], exclude: [] },
  };
}

/** A controllable variable's allowed levels: its training range narrowed by the definition's bounds; none when empty. */
function allowedRange(
  variable: string,
  reference: ProblemReference,
  definition: ProblemDefinition
): ControllableRange[] {
  const observed = reference.ranges[variable];
  if (!observed) return [];
  const bounds = definition.variables.bounds[variable] ?? {};
  const min = Math.max(observed.min, bounds.min ?? -Infinity);
  const max = Math.min(observed.max, bounds.max ?? Infinity);
  return min <= max ? [{ variable, min, max }] : [];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
