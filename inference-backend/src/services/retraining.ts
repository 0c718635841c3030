import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from '../adapters/files/csv';
import { decisionPoint, holdoutPoints } from '../adapters/influx/modelMetricsWriter';
import type { Logger } from '../adapters/logger';
import { promote, setChallenger } from '../adapters/registry/lifecycle';
import { listVersions, loadModel, readAliases } from '../adapters/registry/modelRegistry';
import { TrainInputError, type TargetSpec } from '../commands/train';
import type { AuditSink } from '../domain/audit/audit';
import { classificationBySegment, regressionBySegment, type SegmentedEvaluation } from '../domain/mlops/fairness';
import { mttrSecondsOfRow } from '../domain/mlops/mttr';
import { mttrInputOf } from '../domain/mlops/mttrFeatures';
import { OnnxMttrModel } from '../adapters/onnx/mttrModel';
import type { TicketHistoryRow } from '@nocai/contract';
import type { Provenance, RegistryManifest } from '../domain/mlops/manifest';
import { routingClassifierOf } from './onnxModels';
import type { SeriesPoint } from '../domain/series';
import { DEFAULT_RETRAINING_OPTIONS, primaryGain, type RetrainingOptions } from '../domain/mlops/promotionGate';
import { MODEL_CATALOG, modelCatalog, textSpecOf, type CatalogEntry } from './modelCatalog';
import { timeSlice, trainingTable, type LabelledRow } from './trainingTable';
import {
  evaluateRunToFailureVersion,
  failureLabelOptions,
  failureSplit,
  holdoutOf,
  labelColumnOf,
  type FailureSplit,
  type RunToFailureTarget,
  type SensorHistory,
} from './maintenanceRetraining';
import type { FailureLabelOptions } from '../domain/timeseries/failureLabels';
import { trainInWorker, trainMttrInWorker, trainRunToFailureInWorker } from './trainWorker';

export { timeSlice, trainingTable, type LabelledRow };

/**
 * The scheduled retraining of the models whose labels production makes: the ticket routers (the
 * ticket history plus operators' verdicts and corrections), the MTTR trees (tickets people
 * resolved), the line models (the syslog corpus plus the lines of the tickets operators judged)
 * and the PLC failure model (run-to-failure rows from the sensor history). For each, a
 * challenger is trained on the labels older than a fresh time slice, champion and challenger are
 * scored on that slice (which neither saw), and the challenger is promoted only when it beats the
 * champion on the model's primary metric by `margin` without losing more than `maxSegmentLoss`
 * on any segment big enough to judge. Every evaluation and decision is written to aiops_models
 * and the audit trail. The champion alias moves only at the end, atomically: a crash before
 * that leaves the champion serving and the new version a mere challenger.
 */
export { DEFAULT_RETRAINING_OPTIONS, type RetrainingOptions };

/** What the job needs from the world: labels, the history, where to write results. */
export interface RetrainingSources {
  /** Resolved tickets the champions were trained on (the NOCAI_TICKET_HISTORY table), if any. */
  history(): Promise<Table | undefined>;
  /** Tickets operators judged or corrected, with the history's columns (see `labelRows`). */
  labels(): Promise<LabelledRow[]>;
  /** Tickets people resolved (not auto-resolved, not judged false positives), with the history's columns: the MTTR labels. */
  resolved?(): Promise<LabelledRow[]>;
  /** The syslog corpus the line models' champions learnt from (a `history/events` table of the simulator's columns), if any. */
  lineHistory?(): Promise<Table | undefined>;
  /** The lines of the incident tickets operators judged or corrected (`adapters/influx/lineLabels.ts`). */
  lineLabels?(): Promise<LabelledRow[]>;
  /** The sensor history of the training window (`adapters/influx/failureHistory.ts`): the PLC failure model's rows. */
  sensorHistory?(): Promise<SensorHistory | undefined>;
}

export interface SegmentComparison {
  segment: string;
  rows: number;
  champion: number;
  challenger: number;
}

export interface ModelEvaluation {
  version: string;
  alias: 'champion' | 'challenger';
  rows: number;
  /** The model's primary metric (the catalog's `primaryMetric`) on the holdout. */
  primary: number;
  /** Classifiers. */
  accuracy?: number;
  f1?: number;
  /** Regression (MTTR P50): mean absolute error in seconds. */
  maeSeconds?: number;
  /** Figures overall and per segment group (Fairlearn's MetricFrame concepts). */
  segmented: SegmentedEvaluation;
}

export type RetrainingOutcome = 'promoted' | 'kept' | 'skipped';

export interface RetrainingDecision {
  model: string;
  outcome: RetrainingOutcome;
  reason: string;
  primaryMetric: string;
  champion?: ModelEvaluation;
  challenger?: ModelEvaluation;
  segments: SegmentComparison[];
  holdoutRows: number;
  trainRows: number;
}

export interface RetrainingTrigger {
  kind: 'schedule' | 'user' | 'drift';
  actor: string;
}

/**
 * What a challenger's manifest says of its making: the person who asked for the run through the
 * API, or the schedule (a drift alarm is the schedule brought forward), and the trigger as reason.
 */
export function retrainingProvenance(trigger: RetrainingTrigger): Provenance {
  if (trigger.kind === 'user') {
    return {
      createdBy: { kind: 'user', name: trigger.actor },
      reason: `retraining asked for by ${trigger.actor}`,
    };
  }
  return trigger.kind === 'drift'
    ? { createdBy: { kind: 'schedule', name: 'drift retraining' }, reason: 'retraining after drift was detected' }
    : { createdBy: { kind: 'schedule', name: 'retraining schedule' }, reason: 'scheduled retraining' };
}

/** A request the retraining cannot take (an unknown model to judge): the caller's mistake. */
export class RetrainingRequestError extends Error {}

/** The models the retraining judges, with the failure model of `maintenanceHorizonH`. */
export function retrainedModels(maintenanceHorizonH?: number): string[] {
  return modelCatalog(maintenanceHorizonH)
    .filter((e) => e.retrain)
    .map((e) => e.name);
}

export interface RetrainingRun {
  trigger: string;
  startedAtMs: number;
  finishedAtMs: number;
  decisions: RetrainingDecision[];
}

export interface RetrainingDeps {
  registryDir: string;
  sources: RetrainingSources;
  logger: Logger;
  nowMs(): number;
  audit?: AuditSink;
  /** Where the evaluations and decisions go as aiops_models points. */
  writePoints?(points: readonly SeriesPoint[]): Promise<void>;
  /** Called after a promotion so the service serves the new champion without restart. */
  onPromoted?(model: string, version: string): Promise<void>;
  options?: Partial<RetrainingOptions>;
  /** The failure model's horizon (NOCAI_MAINTENANCE_HORIZON_H): `plc-failure-<h>h` is retrained. */
  maintenanceHorizonH?: number;
}

const fixed = (x: number) => x.toFixed(3);

export class RetrainingJob {
  private readonly options: RetrainingOptions;
  private running: Promise<RetrainingRun> | undefined;
  /** The models it judges: the catalog with the served failure model's horizon. */
  private readonly catalog: readonly CatalogEntry[];
  private readonly failureLabels: FailureLabelOptions;

  constructor(private readonly deps: RetrainingDeps) {
    this.options = { ...DEFAULT_RETRAINING_OPTIONS, ...deps.options };
    this.catalog = modelCatalog(deps.maintenanceHorizonH);
    this.failureLabels = failureLabelOptions(deps.maintenanceHorizonH);
  }

  /** The models a run judges. */
  get models(): string[] {
    return this.catalog.filter((e) => e.retrain).map((e) => e.name);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * One run at a time: a second call while one runs joins it. `challengers` names versions
   * already in the registry (an import, a hand-trained model) to put through the gate instead of
   * training one, per model.
   */
  run(trigger: RetrainingTrigger, challengers: Readonly<Record<string, string>> = {}): Promise<RetrainingRun> {
    if (!this.running) {
      this.running = this.runOnce(trigger, challengers).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async runOnce(
    trigger: RetrainingTrigger,
    challengers: Readonly<Record<string, string>>
  ): Promise<RetrainingRun> {
    const startedAtMs = this.deps.nowMs();
    for (const name of Object.keys(challengers)) {
      if (!this.catalog.some((e) => e.name === name && e.retrain)) {
        throw new RetrainingRequestError(
          `model ${name} is not one the retraining judges from labels: use one of ${this.models.join(', ')}`
        );
      }
    }
    const named = Object.keys(challengers);
    const entries = this.catalog.filter((e) => e.retrain && (named.length === 0 || named.includes(e.name)));
    this.deps.logger.info({ trigger: trigger.kind, models: entries.map((e) => e.name) }, 'retraining: started');
    const sources = this.deps.sources;
    const needs = (from: string) => entries.some((e) => e.retrain?.from === from);
    const [history, labels, resolved, lineHistory, lineLabels] = await Promise.all([
      sources.history(),
      sources.labels(),
      sources.resolved?.() ?? Promise.resolve([]),
      needs('line-labels') ? (sources.lineHistory?.() ?? Promise.resolve(undefined)) : Promise.resolve(undefined),
      needs('line-labels') && sources.lineLabels ? sources.lineLabels() : Promise.resolve(undefined),
    ]);
    const routingLabels = labels.filter((row) => row.verdict !== 'invalid');
    const ticketSplit = timeSlice(routingLabels, this.options.holdoutFraction);
    const mttrSplit = timeSlice(resolved.filter(isMttrLabel), this.options.holdoutFraction);
    const decisions: RetrainingDecision[] = [];
    let sensors: { value: Awaited<ReturnType<RetrainingJob['sensorSplit']>> } | undefined;
    for (const entry of entries) {
      const retrain = entry.retrain!;
      const given = challengers[entry.name];
      let decision: RetrainingDecision;
      if (retrain.from === 'failure-history') {
        sensors ??= { value: await this.sensorSplit() };
        decision = await this.retrainRunToFailure(entry, retrain.target, sensors.value, trigger, given);
      } else if (retrain.from === 'line-labels' && !lineLabels) {
        decision = await this.conclude(
          {
            model: entry.name,
            primaryMetric: entry.primaryMetric,
            segments: [],
            holdoutRows: 0,
            trainRows: 0,
            outcome: 'skipped',
            reason: 'no source of judged lines is wired to the retraining',
          },
          trigger
        );
      } else {
        // Line labels: each line model learns from the lines the verdicts say something about for it.
        const split =
          retrain.from === 'line-labels'
            ? timeSlice(
                (lineLabels ?? []).filter((row) => (row[retrain.textSpec.labelColumn] ?? '') !== ''),
                this.options.holdoutFraction,
                retrain.textSpec.timeColumn
              )
            : retrain.from === 'resolved-tickets'
              ? mttrSplit
              : ticketSplit;
        this.deps.logger.info(
          { model: entry.name, labels: split.train.length + split.holdout.length },
          'retraining: training a challenger'
        );
        decision = given
          ? await this.decide(entry.name, given, split.holdout, trigger)
          : retrain.from === 'resolved-tickets'
            ? await this.retrainMttr(entry, history, split, trigger)
            : await this.retrainOne(entry, retrain.from === 'line-labels' ? lineHistory : history, split, trigger);
      }
      decisions.push(decision);
      this.deps.logger.info(
        { model: entry.name, outcome: decision.outcome, reason: decision.reason },
        `retraining: ${entry.name} ${decision.outcome}`
      );
    }
    return { trigger: trigger.kind, startedAtMs, finishedAtMs: this.deps.nowMs(), decisions };
  }

  private async retrainOne(
    entry: CatalogEntry,
    history: Table | undefined,
    split: { train: LabelledRow[]; holdout: LabelledRow[] },
    trigger: RetrainingTrigger
  ): Promise<RetrainingDecision> {
    const spec = textSpecOf(entry)!;
    const base = {
      model: entry.name,
      primaryMetric: entry.primaryMetric,
      segments: [],
      holdoutRows: split.holdout.length,
    };
    if (split.holdout.length < this.options.minHoldoutRows) {
      return this.conclude(
        {
          ...base,
          outcome: 'skipped',
          trainRows: 0,
          reason: `holdout of ${split.holdout.length} labelled ${entry.retrain?.from === 'line-labels' ? 'lines' : 'tickets'} is under ${this.options.minHoldoutRows}: too small to decide`,
        },
        trigger
      );
    }
    const scarce = scarceClasses(
      trainingTable(history, split.train, spec),
      spec.labelColumn,
      split.train,
      this.options.minClassRows
    );
    if (scarce.length > 0) {
      return this.conclude(
        {
          ...base,
          outcome: 'skipped',
          trainRows: 0,
          reason: `too few labels to learn ${scarce.map(([label, n]) => `${spec.labelColumn}=${label} (${n})`).join(', ')}: each class needs ${this.options.minClassRows} training rows`,
        },
        trigger
      );
    }
    let challengerVersion: string;
    let trainRows = 0;
    try {
      const halfLifeDays = await this.chooseHalfLife(entry, history, split.train);
      const table = trainingTable(history, split.train, spec, halfLifeDays);
      trainRows = table.rows.length;
      challengerVersion = await trainInWorker(entry.name, table, this.deps.registryDir, retrainingProvenance(trigger));
      await this.markChallenger(entry.name, challengerVersion, trigger);
    } catch (error) {
      if (!(error instanceof TrainInputError)) throw error;
      return this.conclude(
        { ...base, outcome: 'skipped', trainRows, reason: `no challenger: ${error.message}` },
        trigger
      );
    }
    return this.decide(entry.name, challengerVersion, split.holdout, trigger, trainRows);
  }

  /** The MTTR trees retrained on the history and the tickets people resolved before the fresh slice. */
  private async retrainMttr(
    entry: CatalogEntry,
    history: Table | undefined,
    split: { train: LabelledRow[]; holdout: LabelledRow[] },
    trigger: RetrainingTrigger
  ): Promise<RetrainingDecision> {
    const base = {
      model: entry.name,
      primaryMetric: entry.primaryMetric,
      segments: [],
      holdoutRows: split.holdout.length,
    };
    if (split.holdout.length < this.options.minHoldoutRows) {
      return this.conclude(
        {
          ...base,
          outcome: 'skipped',
          trainRows: 0,
          reason: `holdout of ${split.holdout.length} resolved tickets is under ${this.options.minHoldoutRows}: too small to decide`,
        },
        trigger
      );
    }
    const ids = new Set(split.train.map((row) => row.id));
    const rows = [
      ...(history?.rows ?? []).filter((row) => !ids.has(row.id ?? '')),
      ...split.train,
    ] as unknown as TicketHistoryRow[];
    const versions = await listVersions(this.deps.registryDir, entry.name);
    const next = `v${versions.reduce((max, v) => Math.max(max, Number(v.slice(1)) || 0), 0) + 1}`;
    let challengerVersion: string;
    try {
      challengerVersion = await trainMttrInWorker(
        entry.name,
        rows,
        next,
        this.deps.registryDir,
        retrainingProvenance(trigger)
      );
      await this.markChallenger(entry.name, challengerVersion, trigger);
    } catch (error) {
      if (!(error instanceof TrainInputError)) throw error;
      return this.conclude(
        { ...base, outcome: 'skipped', trainRows: rows.length, reason: `no challenger: ${error.message}` },
        trigger
      );
    }
    return this.decide(entry.name, challengerVersion, split.holdout, trigger, rows.length);
  }

  /**
   * The recency half-life whose model, trained on the older part of the training labels (and
   * the history), scores best on their newest part: time-ordered validation inside the training
   * part, never on the holdout. Too few labels to validate: no decay.
   */
  private async chooseHalfLife(
    entry: CatalogEntry,
    history: Table | undefined,
    train: readonly LabelledRow[]
  ): Promise<number> {
    const candidates = this.options.halfLivesDays;
    const spec = textSpecOf(entry)!;
    const inner = timeSlice(train, this.options.holdoutFraction, spec.timeColumn);
    if (candidates.length < 2 || inner.holdout.length < this.options.minHoldoutRows)
      return candidates[0] ?? Number.POSITIVE_INFINITY;
    const scratch = await mkdtemp(join(tmpdir(), 'nocai-retrain-'));
    try {
      let best = { halfLife: candidates[0], score: Number.NEGATIVE_INFINITY };
      for (const halfLife of candidates) {
        const table = trainingTable(history, inner.train, spec, halfLife);
        const version = await trainInWorker(entry.name, table, scratch);
        const evaluation = await evaluateVersion(scratch, entry.name, version, 'challenger', inner.holdout, spec, []);
        const score = evaluation.primary;
        this.deps.logger.debug({ model: entry.name, halfLifeDays: halfLife, score }, 'retraining: recency candidate');
        if (score > best.score + 1e-9) best = { halfLife, score };
      }
      this.deps.logger.info(
        { model: entry.name, halfLifeDays: best.halfLife, validation: best.score },
        'retraining: recency weight chosen'
      );
      return best.halfLife;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Scores the champion and `challengerVersion` of `model` on `holdout` and promotes the
   * challenger if it passes the gate. Public so that a challenger made elsewhere (an import, a
   * hand-trained version) goes through the same gate.
   */
  async decide(
    model: string,
    challengerVersion: string,
    holdout: readonly LabelledRow[],
    trigger: RetrainingTrigger,
    trainRows = 0
  ): Promise<RetrainingDecision> {
    const entry = this.catalog.find((e) => e.name === model);
    if (!entry?.retrain || entry.retrain.from === 'failure-history')
      throw new Error(`model ${model} is not retrained from labelled rows`);
    const spec = textSpecOf(entry);
    const base = { model, primaryMetric: entry.primaryMetric, holdoutRows: holdout.length, trainRows };
    const rows = spec ? holdout.filter((row) => (row[spec.labelColumn] ?? '') !== '') : holdout.filter(isMttrLabel);
    if (rows.length < this.options.minHoldoutRows) {
      return this.conclude(
        {
          ...base,
          outcome: 'skipped',
          segments: [],
          reason: `holdout of ${rows.length} labelled rows is under ${this.options.minHoldoutRows}: too small to decide`,
        },
        trigger
      );
    }
    const evaluate = (version: string, alias: 'champion' | 'challenger') =>
      spec
        ? evaluateVersion(
            this.deps.registryDir,
            model,
            version,
            alias,
            rows,
            spec,
            entry.segments,
            this.options.minSegmentRows
          )
        : evaluateMttrVersion(
            this.deps.registryDir,
            model,
            version,
            alias,
            rows,
            entry.segments,
            this.options.minSegmentRows
          );
    return this.gate(entry, challengerVersion, evaluate, rows.length, base, trigger);
  }

  /**
   * The gate itself, whatever the model: scores the challenger (and the champion, if any) with
   * `evaluate` on the same fresh rows, promotes or keeps, and concludes.
   */
  private async gate(
    entry: CatalogEntry,
    challengerVersion: string,
    evaluate: (version: string, alias: 'champion' | 'challenger') => Promise<ModelEvaluation>,
    holdoutRows: number,
    base: Pick<RetrainingDecision, 'model' | 'primaryMetric' | 'holdoutRows' | 'trainRows'>,
    trigger: RetrainingTrigger
  ): Promise<RetrainingDecision> {
    const model = entry.name;
    const championVersion = (await readAliases(this.deps.registryDir, model)).champion;
    const challenger = await evaluate(challengerVersion, 'challenger');
    if (!championVersion) {
      await this.promote(model, challengerVersion, undefined, trigger, 'no champion yet');
      return this.conclude(
        { ...base, outcome: 'promoted', challenger, segments: [], reason: 'there was no champion' },
        trigger
      );
    }
    const champion = await evaluate(championVersion, 'champion');
    const lower = entry.lowerIsBetter === true;
    const segments = compareSegments(champion, challenger, lower ? 'maeSeconds' : 'accuracy');
    // Gains and losses as fractions: of accuracy points for classifiers, relative to the champion's error for MAE.
    const gain = primaryGain(champion.primary, challenger.primary, lower);
    const lossOf = (s: SegmentComparison) => -primaryGain(s.champion, s.challenger, lower);
    const worst = segments.reduce<SegmentComparison | undefined>(
      (w, s) => (!w || lossOf(s) > lossOf(w) ? s : w),
      undefined
    );
    const show = (x: number) => (lower ? `${Math.round(x / 60)} min` : fixed(x));
    const figures = `${entry.primaryMetric} ${show(challenger.primary)} (${challengerVersion}) vs ${show(champion.primary)} (${championVersion}) on ${holdoutRows} fresh rows`;
    let outcome: RetrainingOutcome;
    let reason: string;
    if (gain < this.options.margin) {
      outcome = 'kept';
      reason = `challenger does not beat the champion by ${this.options.margin}${lower ? ' (relative)' : ''}: ${figures}`;
    } else if (worst && lossOf(worst) > this.options.maxSegmentLoss) {
      outcome = 'kept';
      reason = `challenger loses ${fixed(lossOf(worst))}${lower ? ' (relative MAE)' : ' accuracy'} on ${worst.segment} (more than ${this.options.maxSegmentLoss}): ${figures}`;
    } else {
      outcome = 'promoted';
      reason = `challenger beats the champion: ${figures}`;
    }
    if (outcome === 'promoted') await this.promote(model, challengerVersion, championVersion, trigger, reason);
    return this.conclude({ ...base, outcome, reason, champion, challenger, segments }, trigger);
  }

  /**
   * The PLC run-to-failure models (the failure classifier, the remaining-life regressor): rows from
   * the sensor history production recorded (read once per run), split by time; a challenger trained
   * on the rows before the fresh slice (or `given`, a version already in the registry) is gated on
   * the slice. Too few failures recorded: skipped, with the counts.
   */
  private async retrainRunToFailure(
    entry: CatalogEntry,
    target: RunToFailureTarget,
    sensors: { history: SensorHistory; split: FailureSplit } | undefined,
    trigger: RetrainingTrigger,
    given?: string
  ): Promise<RetrainingDecision> {
    const base = { model: entry.name, primaryMetric: entry.primaryMetric, segments: [], holdoutRows: 0, trainRows: 0 };
    if (!sensors) {
      return this.conclude(
        { ...base, outcome: 'skipped', reason: 'no sensor history is wired to the retraining' },
        trigger
      );
    }
    const { history, split } = sensors;
    const iso = (ms: number) => new Date(ms).toISOString();
    const column = labelColumnOf(target, this.failureLabels);
    const holdoutRows = holdoutOf(split, target, this.failureLabels).length;
    const sized = { ...base, holdoutRows, trainRows: split.train.filter((row) => row[column] !== '').length };
    const min = this.options.minFailures;
    if (split.halts.train < min || split.halts.holdout < 1) {
      return this.conclude(
        {
          ...sized,
          outcome: 'skipped',
          reason:
            `too few PLC failures recorded from ${iso(history.fromMs)} to ${iso(history.toMs)}: ` +
            `${split.halts.train} before the fresh slice (at least ${min} needed to learn) and ${split.halts.holdout} in it (at least 1 needed to judge)`,
        },
        trigger
      );
    }
    if (holdoutRows < this.options.minHoldoutRows) {
      return this.conclude(
        {
          ...sized,
          outcome: 'skipped',
          reason: `holdout of ${holdoutRows} labelled sensor rows is under ${this.options.minHoldoutRows}: too small to decide`,
        },
        trigger
      );
    }
    let challengerVersion = given;
    if (!challengerVersion) {
      try {
        challengerVersion = await trainRunToFailureInWorker(
          entry.name,
          target,
          split.train,
          this.deps.registryDir,
          this.failureLabels.horizonH,
          retrainingProvenance(trigger)
        );
        await this.markChallenger(entry.name, challengerVersion, trigger);
      } catch (error) {
        if (!(error instanceof TrainInputError)) throw error;
        return this.conclude({ ...sized, outcome: 'skipped', reason: `no challenger: ${error.message}` }, trigger);
      }
    }
    const evaluate = async (version: string, alias: 'champion' | 'challenger'): Promise<ModelEvaluation> => {
      const scored = await evaluateRunToFailureVersion(
        this.deps.registryDir,
        entry.name,
        version,
        target,
        split,
        entry.segments,
        this.options.minSegmentRows,
        this.failureLabels
      );
      const primary =
        entry.primaryMetric === 'mae_s'
          ? (scored.maeSeconds ?? 0)
          : entry.primaryMetric === 'accuracy'
            ? (scored.accuracy ?? 0)
            : (scored.f1 ?? 0);
      return {
        version,
        alias,
        rows: scored.rows,
        primary,
        accuracy: scored.accuracy,
        f1: scored.f1,
        maeSeconds: scored.maeSeconds,
        segmented: scored.segmented,
      };
    };
    return this.gate(entry, challengerVersion, evaluate, holdoutRows, sized, trigger);
  }

  /** The sensor history of the run and its run-to-failure split, read once for both PLC models. */
  private async sensorSplit(): Promise<{ history: SensorHistory; split: FailureSplit } | undefined> {
    const history = await this.deps.sources.sensorHistory?.();
    if (!history) return undefined;
    const split = failureSplit(history, this.options.holdoutFraction, this.failureLabels);
    this.deps.logger.info(
      { failures: split.halts, rows: split.all.length, cut: new Date(split.cutMs).toISOString() },
      'retraining: run-to-failure rows built from the sensor history'
    );
    return { history, split };
  }

  private async promote(
    model: string,
    version: string,
    previous: string | undefined,
    trigger: RetrainingTrigger,
    reason: string
  ): Promise<void> {
    // The one step that changes what serves: an atomic alias move under the registry's lock,
    // refused if someone moved the champion since it was evaluated.
    await promote(
      this.deps.registryDir,
      model,
      version,
      { expectedChampion: previous ?? null },
      { actor: trigger.actor, role: 'system', from: trigger.kind, reason },
      this.deps.audit
    );
    await this.deps.onPromoted?.(model, version);
  }

  private async markChallenger(model: string, version: string, trigger: RetrainingTrigger): Promise<void> {
    await setChallenger(
      this.deps.registryDir,
      model,
      version,
      { actor: trigger.actor, role: 'system', from: trigger.kind, reason: 'trained by the retraining' },
      this.deps.audit
    );
  }

  private async championOf(model: string): Promise<string | undefined> {
    return (await readAliases(this.deps.registryDir, model).catch(() => ({}) as Record<string, string | undefined>))
      .champion;
  }

  private async conclude(decision: RetrainingDecision, trigger: RetrainingTrigger): Promise<RetrainingDecision> {
    const timeUs = this.deps.nowMs() * 1000;
    const points: SeriesPoint[] = [];
    const primaryMetric = decision.primaryMetric;
    for (const evaluation of [decision.champion, decision.challenger]) {
      if (!evaluation) continue;
      const alias =
        evaluation.alias === 'challenger' && decision.outcome === 'promoted' ? 'champion' : evaluation.alias;
      points.push(
        ...holdoutPoints(
          {
            model: decision.model,
            version: evaluation.version,
            alias,
            primaryMetric,
            primaryValue: evaluation.primary,
          },
          evaluation.segmented,
          timeUs
        )
      );
    }
    if (decision.challenger || decision.outcome !== 'promoted') {
      points.push(
        decisionPoint(
          {
            model: decision.model,
            // A run that decided nothing is about the champion it kept.
            version:
              decision.challenger?.version ??
              decision.champion?.version ??
              (await this.championOf(decision.model)) ??
              'none',
            alias: decision.outcome === 'promoted' ? 'champion' : decision.challenger ? 'challenger' : 'none',
            // As GET /api/retraining says it: `skipped` (no challenger to judge) keeps the champion
            // too, but the annotation tells it from a challenger that lost.
            decision: decision.outcome,
            reason: decision.reason,
            primaryMetric,
            championVersion: decision.champion?.version,
            challengerVersion: decision.challenger?.version,
            championValue: decision.champion?.primary,
            challengerValue: decision.challenger?.primary,
          },
          timeUs
        )
      );
    }
    await this.deps.writePoints?.(points);
    if (decision.outcome !== 'promoted') {
      await this.deps.audit?.record({
        actor: trigger.actor,
        role: 'system',
        action: 'model.retrain',
        target: `model:${decision.model}${decision.challenger ? `@${decision.challenger.version}` : ''}`,
        after: {
          outcome: decision.outcome,
          challenger: decision.challenger?.version ?? null,
          champion: decision.champion?.version ?? null,
        },
        from: trigger.kind,
        reason: decision.reason,
      });
    }
    return decision;
  }
}

/** One version of `model` scored on `rows`: accuracy and macro-F1, overall and per segment group. */
export async function evaluateVersion(
  registryDir: string,
  model: string,
  version: string,
  alias: 'champion' | 'challenger',
  rows: readonly LabelledRow[],
  spec: TargetSpec,
  segmentColumns: readonly string[],
  minGroupRows = DEFAULT_RETRAINING_OPTIONS.minSegmentRows
): Promise<ModelEvaluation> {
  const stored = await loadModel<RegistryManifest>(registryDir, model, version);
  const classifier = await routingClassifierOf(model, stored);
  try {
    const predictions = await classifier.predict(rows.map((row) => classifier.inputOf(row)));
    const segmented = classificationBySegment(
      rows.map((row, i) => ({
        yTrue: row[spec.labelColumn] ?? '',
        yPred: predictions[i].label,
        segments: Object.fromEntries(segmentColumns.map((c) => [c, row[c] ?? ''])),
      })),
      { dimensions: segmentColumns, minGroupRows, primary: 'macro_f1' }
    );
    if (!segmented) throw new Error(`no rows to evaluate ${model}@${version} on`);
    const accuracy = segmented.overall.accuracy ?? 0;
    const f1 = segmented.overall.f1 ?? 0;
    const entry = MODEL_CATALOG.find((e) => e.name === model);
    return {
      version,
      alias,
      accuracy,
      f1,
      primary: entry?.primaryMetric === 'accuracy' ? accuracy : f1,
      rows: rows.length,
      segmented,
    };
  } finally {
    await classifier.close();
  }
}

/** Classes the operators' labels bring in with fewer than `min` training rows in all (history included), with their counts. */
function scarceClasses(
  table: Table,
  labelColumn: string,
  labelled: readonly LabelledRow[],
  min: number
): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const row of table.rows) counts.set(row[labelColumn], (counts.get(row[labelColumn]) ?? 0) + 1);
  const labelledClasses = new Set(labelled.map((row) => row[labelColumn]).filter(Boolean));
  return [...labelledClasses]
    .map((label) => [label, counts.get(label) ?? 0] as [string, number])
    .filter(([, n]) => n < min)
    .sort();
}

/** Champion and challenger figures (accuracy, or MAE) per segment group big enough to judge. */
function compareSegments(
  champion: ModelEvaluation,
  challenger: ModelEvaluation,
  figure: 'accuracy' | 'maeSeconds'
): SegmentComparison[] {
  const key = (dimension: string, group: string) => `${dimension}=${group}`;
  const theirs = new Map(challenger.segmented.segments.map((s) => [key(s.dimension, s.group), s.figures[figure] ?? 0]));
  return champion.segmented.segments
    .filter((s) => !s.tooSmall)
    .map((s) => ({
      segment: key(s.dimension, s.group),
      rows: s.figures.rows,
      champion: s.figures[figure] ?? 0,
      challenger: theirs.get(key(s.dimension, s.group)) ?? 0,
    }));
}

/** A resolved ticket whose time to resolve is a label: resolved by people, after it opened. */
function isMttrLabel(row: LabelledRow): boolean {
  const opened = Date.parse(row.opened_at ?? '');
  const resolved = Date.parse(row.resolved_at ?? '');
  return row.auto_resolved !== 'true' && Number.isFinite(opened) && Number.isFinite(resolved) && resolved >= opened;
}

/** A version of the MTTR trees scored on resolved tickets: MAE of the P50, overall and per segment group. */
export async function evaluateMttrVersion(
  registryDir: string,
  model: string,
  version: string,
  alias: 'champion' | 'challenger',
  rows: readonly LabelledRow[],
  segmentColumns: readonly string[],
  minGroupRows = DEFAULT_RETRAINING_OPTIONS.minSegmentRows
): Promise<ModelEvaluation> {
  const mttr = await OnnxMttrModel.load(join(registryDir, model, version));
  try {
    const tickets = rows as unknown as TicketHistoryRow[];
    const predictions = await mttr.predict(tickets.map(mttrInputOf));
    const segmented = regressionBySegment(
      tickets.map((row, i) => ({
        yTrue: mttrSecondsOfRow(row),
        yPred: predictions[i].p50Seconds,
        segments: Object.fromEntries(
          segmentColumns.map((c) => [c, (row as unknown as Record<string, string>)[c] ?? ''])
        ),
      })),
      { dimensions: segmentColumns, minGroupRows }
    );
    if (!segmented) throw new Error(`no resolved tickets to evaluate ${model}@${version} on`);
    const maeSeconds = segmented.overall.maeSeconds ?? 0;
    return { version, alias, rows: rows.length, primary: maeSeconds, maeSeconds, segmented };
  } finally {
    await mttr.release();
  }
}
