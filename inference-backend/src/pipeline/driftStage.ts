import { DRIFT_SERIES } from '@nocai/contract';
import type { Logger } from '../adapters/logger';
import { detectDrift } from '../domain/mlops/drift';
import type { Counts, DriftResult, FeatureSample } from '../domain/mlops/drift';
import { TemplateMatcher } from '../domain/mlops/profile';
import type { FeatureProfile, ReferenceProfile } from '../domain/mlops/profile';
import type { Clock, FieldValue, PointSink, SeriesPoint } from '../domain/series';

/**
 * Where a model's current inputs are read from: `lines`, the classified syslog lines
 * (aiops_events), or `tickets`, the tickets' openings (aiops_tickets, change = opened).
 */
export type DriftInputKind = 'lines' | 'tickets';

/** Rows of one window, cells keyed by the training rows' column names (`message`, `site_kind`, `class`…). */
export interface DriftWindow {
  /** Columns the source reads; a profile feature not among them is not evaluated. */
  columns: readonly string[];
  rows: ReadonlyArray<Readonly<Record<string, string>>>;
}

export interface DriftWindowSource {
  /** Rows with fromMs ≤ time < toMs, the newest `maxRows` at most. */
  read(kind: DriftInputKind, fromMs: number, toMs: number, maxRows: number): Promise<DriftWindow>;
}

/** A champion with a reference profile. */
export interface ProfiledModel {
  name: string;
  version: string;
  profile: ReferenceProfile;
}

export interface ProfiledModels {
  /** Every model's champion; `profile` undefined when the version has none (imported, or trained before profiles). */
  champions(): Promise<Array<{ name: string; version: string; profile: ReferenceProfile | undefined }>>;
}

export type DriftFeatureKind = 'numeric' | 'categorical' | 'templates' | 'prediction';

export interface FeatureDrift extends DriftResult {
  feature: string;
  kind: DriftFeatureKind;
  /** Templates only: share of current lines whose template the training window never had. */
  unseenShare?: number;
}

export interface DriftStageOptions {
  /** Time between evaluations. */
  intervalMs: number;
  /** The current window: this long before the evaluation. */
  windowMs: number;
  /** A feature with fewer current rows is not evaluated (the tests say little on so few). */
  minRows: number;
  /** Rows read per window at most (the newest). */
  maxRows: number;
  /**
   * Share of current lines matching no training template above which the template mix drifts,
   * whatever the test says. A tenth: a model that has never seen one line in ten classifies a
   * tenth of its input on words alone, which is also where a template family of a new device
   * firmware or a new application shows up first.
   */
  unseenShareThreshold: number;
  /** Registry model name → where its current inputs are read; models not listed are skipped. */
  inputs: Readonly<Record<string, DriftInputKind>>;
}

/** The models the backend serves and where their inputs live (names as in SERVED_MODELS). */
export const DEFAULT_DRIFT_INPUTS: Readonly<Record<string, DriftInputKind>> = {
  'event-class': 'lines',
  'event-decision': 'lines',
  'ticket-class': 'tickets',
  department: 'tickets',
  priority: 'tickets',
  mttr: 'tickets',
};

export const DEFAULT_DRIFT_STAGE_OPTIONS: DriftStageOptions = {
  intervalMs: 3_600_000,
  windowMs: 24 * 3_600_000,
  minRows: 30,
  maxRows: 50_000,
  unseenShareThreshold: 0.1,
  inputs: DEFAULT_DRIFT_INPUTS,
};

export interface DriftRunInfo {
  models: number;
  points: number;
  drifted: Array<{ model: string; features: string[] }>;
  seconds: number;
}

export interface DriftStageHooks {
  /** Some feature of `model` drifted in this evaluation (the lead wires it to a retraining run when configured). */
  onDrift?(model: ProfiledModel, features: FeatureDrift[]): void | Promise<void>;
  onRun?(info: DriftRunInfo): void;
}

/** The cell of the template mix that holds lines matching no training template. */
export const UNSEEN_TEMPLATE = '<unseen>';

const D = DRIFT_SERIES;

/**
 * Writes aiops_drift: for every champion with a reference profile, each of its inputs, its text's
 * template mix and its predicted class mix over the last `windowMs`, compared with the training
 * window (`domain/mlops/drift.ts` chooses the test). One point per (model, feature) and
 * evaluation, at the evaluation's time; a feature with fewer than `minRows` current rows gets no
 * point, and the log says why.
 *
 * Runs on the first tick, every `intervalMs`, and at `runNow()` (one at a time). An evaluation reads and writes
 * nothing it must resume from, so a failed one (InfluxDB down) simply throws and is retried.
 */
export class DriftStage {
  readonly name = 'drift';
  readonly batchSize = Number.POSITIVE_INFINITY;
  private lastRunMs: number | undefined;
  private requested = false;
  private running: Promise<DriftRunInfo> | undefined;
  /** Template matchers by model version: restoring a miner costs more than matching a day of lines. */
  private readonly matchers = new Map<string, TemplateMatcher>();

  constructor(
    private readonly deps: {
      models: ProfiledModels;
      source: DriftWindowSource;
      sink: PointSink;
      clock: Clock;
      logger: Logger;
      options: DriftStageOptions;
      hooks?: DriftStageHooks;
    }
  ) {}

  /** Asks for an evaluation at the next tick. */
  requestRun(): void {
    this.requested = true;
  }

  /** Evaluates when one is due; returns the points written (0 when none was due). */
  async tick(): Promise<number> {
    const nowMs = this.deps.clock.nowMs();
    const due =
      this.lastRunMs === undefined || this.requested || nowMs - this.lastRunMs >= this.deps.options.intervalMs;
    if (!due) return 0;
    return (await this.runNow()).points;
  }

  /**
   * Evaluates every profiled champion now, whatever the schedule says; a call while an evaluation
   * is in progress (the scheduler's, or another caller's) joins it.
   */
  runNow(): Promise<DriftRunInfo> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<DriftRunInfo> {
    const started = performance.now();
    const { clock, options, source, sink, logger } = this.deps;
    const nowMs = clock.nowMs();
    this.requested = false;
    const windows = new Map<DriftInputKind, Promise<DriftWindow>>();
    const windowOf = (kind: DriftInputKind) => {
      let window = windows.get(kind);
      if (!window) {
        window = source.read(kind, nowMs - options.windowMs, nowMs, options.maxRows);
        windows.set(kind, window);
      }
      return window;
    };
    const points: SeriesPoint[] = [];
    const drifted: Array<{ model: ProfiledModel; features: FeatureDrift[] }> = [];
    let models = 0;
    for (const champion of await this.deps.models.champions()) {
      const kind = options.inputs[champion.name];
      if (!kind) continue;
      if (!champion.profile) {
        logger.info(
          { model: champion.name, version: champion.version },
          'drift: the champion has no reference profile; retrain it to monitor its drift'
        );
        continue;
      }
      const model = { name: champion.name, version: champion.version, profile: champion.profile };
      models++;
      const results = this.evaluate(model, await windowOf(kind));
      for (const result of results) points.push(this.pointOf(model, result, nowMs));
      const features = results.filter((r) => r.driftDetected);
      if (features.length > 0) drifted.push({ model, features });
    }
    if (points.length > 0) {
      await sink.write(points);
      await sink.flush();
    }
    this.lastRunMs = nowMs;
    // Only once the points are stored: a retraining started from here can be seen to have a reason.
    for (const { model, features } of drifted) {
      logger.warn(
        { model: model.name, version: model.version, features: features.map((f) => f.feature) },
        'drift: inputs of the champion drifted from its training window'
      );
      try {
        await this.deps.hooks?.onDrift?.(model, features);
      } catch (error) {
        // The evaluation is written; a failed reaction must not make the next tick evaluate again.
        logger.error({ model: model.name, err: error }, 'drift: the reaction to drift failed');
      }
    }
    const info = {
      models,
      points: points.length,
      drifted: drifted.map((d) => ({ model: d.model.name, features: d.features.map((f) => f.feature) })),
      seconds: (performance.now() - started) / 1000,
    };
    this.deps.hooks?.onRun?.(info);
    return info;
  }

  private evaluate(model: ProfiledModel, window: DriftWindow): FeatureDrift[] {
    const { profile } = model;
    const results: FeatureDrift[] = [];
    const tooFew = (feature: string, rows: number) =>
      this.deps.logger.info(
        { model: model.name, feature, rows, minRows: this.deps.options.minRows },
        'drift: too few rows in the window to test this feature; no point written'
      );
    for (const [feature, reference] of Object.entries(profile.features)) {
      if (!window.columns.includes(feature)) continue;
      const sample = currentSample(
        reference,
        window.rows.map((r) => r[feature] ?? '')
      );
      const size = sample.type === 'numeric' ? sample.current.length : total(sample.current);
      if (size < this.deps.options.minRows) {
        tooFew(feature, size);
        continue;
      }
      results.push({ feature, kind: reference.kind, ...detectDrift(sample) });
    }
    if (profile.templates && window.columns.includes('message')) {
      const matcher = this.matcherOf(model);
      const current: Record<string, number> = {};
      for (const row of window.rows) {
        const template = matcher.match(row.message ?? '') ?? UNSEEN_TEMPLATE;
        current[template] = (current[template] ?? 0) + 1;
      }
      const lines = window.rows.length;
      if (lines < this.deps.options.minRows) tooFew('template_mix', lines);
      else {
        const unseenShare = (current[UNSEEN_TEMPLATE] ?? 0) / lines;
        const test = detectDrift({ type: 'categorical', reference: profile.templates.counts, current });
        results.push({
          feature: 'template_mix',
          kind: 'templates',
          ...test,
          unseenShare,
          driftDetected: test.driftDetected || unseenShare > this.deps.options.unseenShareThreshold,
        });
      }
    }
    if (profile.labels && profile.target && window.columns.includes(profile.target)) {
      const { labels, labelAliases = {}, target } = profile;
      const current: Record<string, number> = {};
      for (const row of window.rows) {
        const raw = row[target] ?? '';
        const label = labelAliases[raw] ?? raw;
        // Values the model cannot output (the policy's `needs_review`) are not its predictions.
        if (label in labels) current[label] = (current[label] ?? 0) + 1;
      }
      const size = total(current);
      if (size < this.deps.options.minRows) tooFew('predicted_class', size);
      else
        results.push({
          feature: 'predicted_class',
          kind: 'prediction',
          ...detectDrift({ type: 'categorical', reference: labels, current }),
        });
    }
    return results;
  }

  private matcherOf(model: ProfiledModel): TemplateMatcher {
    const key = `${model.name}@${model.version}`;
    let matcher = this.matchers.get(key);
    if (!matcher && model.profile.templates) {
      matcher = new TemplateMatcher(model.profile.templates);
      this.matchers.set(key, matcher);
    }
    if (!matcher) throw new Error(`model ${key} has no template profile`);
    return matcher;
  }

  private pointOf(model: ProfiledModel, result: FeatureDrift, nowMs: number): SeriesPoint {
    const fields: Record<string, FieldValue> = {
      [D.fields.psi]: result.psi,
      [D.fields.method]: result.method,
      [D.fields.statistic]: result.statistic,
      [D.fields.sampleSize]: result.sampleSize,
      [D.fields.driftDetected]: result.driftDetected,
      [D.fields.modelVersion]: model.version,
    };
    if (result.pValue !== undefined) fields[D.fields.pValue] = result.pValue;
    if (result.unseenShare !== undefined) fields[D.fields.unseenShare] = result.unseenShare;
    // Line protocol has no NaN or infinity: a figure that is not finite is left out, not written as a lie.
    for (const [key, value] of Object.entries(fields))
      if (typeof value === 'number' && !Number.isFinite(value)) delete fields[key];
    return {
      measurement: D.measurement,
      tags: { [D.tags.model]: model.name, [D.tags.feature]: result.feature, [D.tags.kind]: result.kind },
      fields,
      timeUs: Math.trunc(nowMs) * 1000,
    };
  }
}

function total(counts: Counts): number {
  let n = 0;
  for (const v of Object.values(counts)) n += v;
  return n;
}

/** The current cells of one feature in the shape of its reference. */
function currentSample(reference: FeatureProfile, cells: readonly string[]): FeatureSample {
  if (reference.kind === 'numeric') {
    const current = cells
      .filter((c) => c.trim() !== '')
      .map(Number)
      .filter(Number.isFinite);
    return { type: 'numeric', reference: reference.sample, current, referenceRows: reference.count };
  }
  const current: Record<string, number> = {};
  for (const cell of cells) current[cell] = (current[cell] ?? 0) + 1;
  return { type: 'categorical', reference: reference.counts, current };
}
