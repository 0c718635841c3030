import type { Ticket } from '@nocai/contract';
import { productionPoints, type ModelAliasTag } from '../adapters/influx/modelMetricsWriter';
import {
  PRODUCTION_SEGMENTS,
  productionAccuracy,
  type ModelRoles,
  type Verdict,
} from '../domain/mlops/productionAccuracy';
import type { Clock, PointSink } from '../domain/series';

export interface AccuracyStageOptions {
  /** A run this often (ms), and at the first tick. */
  intervalMs: number;
  /** The rolling window the figures are computed over (ms). */
  windowMs: number;
  /** A figure resting on fewer verdicts is written with its count but does not page (the alert rule's `holdout_size` floor). */
  minVerdicts: number;
  /** A segment group with fewer is written but left out of the worst gap and ratio. */
  minGroupVerdicts: number;
  segments: readonly string[];
  roles?: ModelRoles;
}

export const DEFAULT_ACCURACY_STAGE_OPTIONS: AccuracyStageOptions = {
  intervalMs: 3_600_000,
  windowMs: 7 * 86_400_000,
  minVerdicts: 20,
  minGroupVerdicts: 10,
  segments: PRODUCTION_SEGMENTS,
};

export type AccuracyRunReason = 'start' | 'schedule' | 'requested';

export interface AccuracyRunInfo {
  reason: AccuracyRunReason;
  windowFromMs: number;
  windowToMs: number;
  verdicts: number;
  /** Verdicts on tickets no longer stored (older than the tickets' index). */
  unmatchedVerdicts: number;
  /** Model versions scored, and those whose figure rests on too few verdicts to page. */
  models: number;
  tooFewVerdicts: number;
  points: number;
  seconds: number;
}

export interface AccuracyStageHooks {
  onRun?(info: AccuracyRunInfo): void;
}

/** Registry aliases of a model (`readAliases` of the registry adapter). */
export type AliasReader = (model: string) => Promise<Partial<Record<'champion' | 'challenger', string>>>;

/**
 * Writes production accuracy to aiops_models (`source=production`): per model version met in the
 * rolling window, the figures of `productionAccuracy` overall (`segment=all`, with the verdict
 * counts and the worst segment gap/ratio) and per segment group, tagged with the version's alias
 * at the time of the run. Runs at the first tick, every `intervalMs`, and on `runNow()`; one run at
 * a time (a second call joins the one in progress). Each run writes at its own time, so a series
 * holds the figure as it moved; a failed run (InfluxDB down) throws and the scheduler retries.
 */
export class AccuracyStage {
  private lastRunMs: number | undefined;
  private running: Promise<AccuracyRunInfo> | undefined;

  constructor(
    private readonly deps: {
      /** Current states of the stored tickets (the tickets repository's index). */
      tickets: { all(): Iterable<Ticket> };
      /** Verdicts since a time, the latest per ticket (`readFeedback` of aiops_feedback). */
      readVerdicts(sinceMs: number): Promise<Verdict[]>;
      aliases: AliasReader;
      sink: PointSink;
      clock: Clock;
      options: AccuracyStageOptions;
      hooks?: AccuracyStageHooks;
    }
  ) {}

  /** Runs when one is due; returns the points written, 0 when none was due. */
  async tick(): Promise<number> {
    const nowMs = this.deps.clock.nowMs();
    const reason: AccuracyRunReason | undefined =
      this.lastRunMs === undefined
        ? 'start'
        : nowMs - this.lastRunMs >= this.deps.options.intervalMs
          ? 'schedule'
          : undefined;
    if (!reason) return 0;
    return (await this.run(reason)).points;
  }

  /** A run now (an operator asked, or a test), whatever the schedule says. */
  runNow(): Promise<AccuracyRunInfo> {
    return this.run('requested');
  }

  private run(reason: AccuracyRunReason): Promise<AccuracyRunInfo> {
    if (!this.running) {
      this.running = this.runOnce(reason).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async runOnce(reason: AccuracyRunReason): Promise<AccuracyRunInfo> {
    const started = process.hrtime.bigint();
    const { options } = this.deps;
    const nowMs = this.deps.clock.nowMs();
    const fromMs = nowMs - options.windowMs;
    const verdicts = await this.deps.readVerdicts(fromMs);
    const result = productionAccuracy(this.deps.tickets.all(), verdicts, {
      fromMs,
      toMs: nowMs,
      minVerdicts: options.minVerdicts,
      minGroupVerdicts: options.minGroupVerdicts,
      dimensions: options.segments,
      roles: options.roles,
    });
    const aliases = new Map<string, Awaited<ReturnType<AliasReader>>>();
    for (const model of new Set(result.models.map((m) => m.model))) aliases.set(model, await this.deps.aliases(model));
    const aliasOf = (model: string, version: string): ModelAliasTag => {
      const known = aliases.get(model) ?? {};
      return known.champion === version ? 'champion' : known.challenger === version ? 'challenger' : 'none';
    };
    const timeUs = Math.trunc(nowMs * 1000);
    const points = result.models.flatMap((m) => productionPoints(m, aliasOf(m.model, m.version), timeUs));
    if (points.length > 0) {
      await this.deps.sink.write(points);
      await this.deps.sink.flush();
    }
    this.lastRunMs = nowMs;
    const info: AccuracyRunInfo = {
      reason,
      windowFromMs: fromMs,
      windowToMs: nowMs,
      verdicts: verdicts.length,
      unmatchedVerdicts: result.unmatchedVerdicts,
      models: result.models.length,
      tooFewVerdicts: result.models.filter((m) => !m.enough).length,
      points: points.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
    this.deps.hooks?.onRun?.(info);
    return info;
  }
}
