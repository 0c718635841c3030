import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from '../adapters/files/csv';
import { decisionPoint, holdoutPoints } from '../adapters/influx/modelMetricsWriter';
import type { Logger } from '../adapters/logger';
import { promote, setChallenger } from '../adapters/registry/lifecycle';
import { loadModel, readAliases } from '../adapters/registry/modelRegistry';
import { TrainInputError, type TargetSpec } from '../commands/train';
import type { AuditSink } from '../domain/audit/audit';
import { classificationBySegment, type SegmentedEvaluation } from '../domain/mlops/fairness';
import type { RegistryManifest } from '../domain/mlops/manifest';
import { routingClassifierOf } from './onnxModels';
import type { SeriesPoint } from '../domain/series';
import { DEFAULT_RETRAINING_OPTIONS, type RetrainingOptions } from '../domain/mlops/promotionGate';
import { MODEL_CATALOG, type CatalogEntry } from './modelCatalog';
import { timeSlice, trainingTable, type LabelledRow } from './trainingTable';
import { trainInWorker } from './trainWorker';

export { timeSlice, trainingTable, type LabelledRow };

/**
 * The scheduled retraining of the models whose labels production makes (the ticket routers):
 * the ticket history plus operators' verdicts and corrections become a training set, a
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
  accuracy: number;
  f1: number;
  rows: number;
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

/** A request the retraining cannot take (an unknown model to judge): the caller's mistake. */
export class RetrainingRequestError extends Error {}

export function retrainedModels(): string[] {
  return MODEL_CATALOG.filter((e) => e.retrain).map((e) => e.name);
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
}

const fixed = (x: number) => x.toFixed(3);

export class RetrainingJob {
  private readonly options: RetrainingOptions;
  private running: Promise<RetrainingRun> | undefined;

  constructor(private readonly deps: RetrainingDeps) {
    this.options = { ...DEFAULT_RETRAINING_OPTIONS, ...deps.options };
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

  private async runOnce(trigger: RetrainingTrigger, challengers: Readonly<Record<string, string>>): Promise<RetrainingRun> {
    const startedAtMs = this.deps.nowMs();
    for (const name of Object.keys(challengers)) {
      if (!MODEL_CATALOG.some((e) => e.name === name && e.retrain)) {
        throw new RetrainingRequestError(`model ${name} is not one the retraining judges from labels: use one of ${retrainedModels().join(', ')}`);
      }
    }
    const named = Object.keys(challengers);
    const entries = MODEL_CATALOG.filter((e) => e.retrain && (named.length === 0 || named.includes(e.name)));
    this.deps.logger.info({ trigger: trigger.kind, models: entries.map((e) => e.name) }, 'retraining: started');
    const [history, labels] = await Promise.all([this.deps.sources.history(), this.deps.sources.labels()]);
    const routingLabels = labels.filter((row) => row.verdict !== 'invalid');
    const split = timeSlice(routingLabels, this.options.holdoutFraction);
    const decisions: RetrainingDecision[] = [];
    for (const entry of entries) {
      this.deps.logger.info({ model: entry.name, labels: routingLabels.length }, 'retraining: training a challenger');
      const given = challengers[entry.name];
      const decision = given
        ? await this.decide(entry.name, given, split.holdout, trigger)
        : await this.retrainOne(entry, history, split, trigger);
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
    const spec = entry.retrain!.textSpec;
    const base = { model: entry.name, primaryMetric: entry.primaryMetric, segments: [], holdoutRows: split.holdout.length };
    if (split.holdout.length < this.options.minHoldoutRows) {
      return this.conclude(
        {
          ...base,
          outcome: 'skipped',
          trainRows: 0,
          reason: `holdout of ${split.holdout.length} labelled tickets is under ${this.options.minHoldoutRows}: too small to decide`,
        },
        trigger
      );
    }
    const scarce = scarceClasses(trainingTable(history, split.train, spec), spec.labelColumn, split.train, this.options.minClassRows);
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
      challengerVersion = await trainInWorker(entry.name, table, this.deps.registryDir);
      await setChallenger(
        this.deps.registryDir,
        entry.name,
        challengerVersion,
        { actor: trigger.actor, role: 'system', from: trigger.kind, reason: 'trained by the retraining' },
        this.deps.audit
      );
    } catch (error) {
      if (!(error instanceof TrainInputError)) throw error;
      return this.conclude(
        { ...base, outcome: 'skipped', trainRows, reason: `no challenger: ${error.message}` },
        trigger
      );
    }
    return this.decide(entry.name, challengerVersion, split.holdout, trigger, trainRows);
  }

  /**
   * The recency half-life whose model, trained on the older part of the training labels (and
   * the history), scores best on their newest part: time-ordered validation inside the training
   * part, never on the holdout. Too few labels to validate: no decay.
   */
  private async chooseHalfLife(entry: CatalogEntry, history: Table | undefined, train: readonly LabelledRow[]): Promise<number> {
    const candidates = this.options.halfLivesDays;
    const inner = timeSlice(train, this.options.holdoutFraction);
    if (candidates.length < 2 || inner.holdout.length < this.options.minHoldoutRows) return candidates[0] ?? Number.POSITIVE_INFINITY;
    const spec = entry.retrain!.textSpec;
    const scratch = await mkdtemp(join(tmpdir(), 'nocai-retrain-'));
    try {
      let best = { halfLife: candidates[0], score: Number.NEGATIVE_INFINITY };
      for (const halfLife of candidates) {
        const table = trainingTable(history, inner.train, spec, halfLife);
        const version = await trainInWorker(entry.name, table, scratch);
        const evaluation = await evaluateVersion(scratch, entry.name, version, 'challenger', inner.holdout, spec, []);
        const score = primaryOf(entry, evaluation);
        this.deps.logger.debug({ model: entry.name, halfLifeDays: halfLife, score }, 'retraining: recency candidate');
        if (score > best.score + 1e-9) best = { halfLife, score };
      }
      this.deps.logger.info({ model: entry.name, halfLifeDays: best.halfLife, validation: best.score }, 'retraining: recency weight chosen');
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
    const entry = MODEL_CATALOG.find((e) => e.name === model);
    if (!entry?.retrain) throw new Error(`model ${model} is not retrained from labels`);
    const spec = entry.retrain.textSpec;
    const base = { model, primaryMetric: entry.primaryMetric, holdoutRows: holdout.length, trainRows };
    const rows = holdout.filter((row) => (row[spec.labelColumn] ?? '') !== '');
    if (rows.length < this.options.minHoldoutRows) {
      return this.conclude(
        { ...base, outcome: 'skipped', segments: [], reason: `holdout of ${rows.length} labelled rows is under ${this.options.minHoldoutRows}: too small to decide` },
        trigger
      );
    }
    const championVersion = (await readAliases(this.deps.registryDir, model)).champion;
    const challenger = await evaluateVersion(this.deps.registryDir, model, challengerVersion, 'challenger', rows, spec, entry.segments, this.options.minSegmentRows);
    if (!championVersion) {
      await this.promote(model, challengerVersion, undefined, trigger, 'no champion yet');
      return this.conclude(
        { ...base, outcome: 'promoted', challenger, segments: [], reason: 'there was no champion' },
        trigger
      );
    }
    const champion = await evaluateVersion(this.deps.registryDir, model, championVersion, 'champion', rows, spec, entry.segments, this.options.minSegmentRows);
    const segments = compareSegments(champion, challenger);
    const primary = (e: ModelEvaluation) => primaryOf(entry, e);
    const gain = primary(challenger) - primary(champion);
    const worst = segments.reduce<SegmentComparison | undefined>(
      (w, s) => (!w || s.challenger - s.champion < w.challenger - w.champion ? s : w),
      undefined
    );
    const figures = `${entry.primaryMetric} ${fixed(primary(challenger))} (${challengerVersion}) vs ${fixed(primary(champion))} (${championVersion}) on ${rows.length} fresh rows`;
    let outcome: RetrainingOutcome;
    let reason: string;
    if (gain < this.options.margin) {
      outcome = 'kept';
      reason = `challenger does not beat the champion by ${this.options.margin}: ${figures}`;
    } else if (worst && worst.champion - worst.challenger > this.options.maxSegmentLoss) {
      outcome = 'kept';
      reason = `challenger loses ${fixed(worst.champion - worst.challenger)} accuracy on ${worst.segment} (more than ${this.options.maxSegmentLoss}): ${figures}`;
    } else {
      outcome = 'promoted';
      reason = `challenger beats the champion: ${figures}`;
    }
    if (outcome === 'promoted') await this.promote(model, challengerVersion, championVersion, trigger, reason);
    return this.conclude({ ...base, outcome, reason, champion, challenger, segments }, trigger);
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

  private async conclude(decision: RetrainingDecision, trigger: RetrainingTrigger): Promise<RetrainingDecision> {
    const timeUs = this.deps.nowMs() * 1000;
    const points: SeriesPoint[] = [];
    const primaryMetric = decision.primaryMetric;
    for (const evaluation of [decision.champion, decision.challenger]) {
      if (!evaluation) continue;
      const alias = evaluation.alias === 'challenger' && decision.outcome === 'promoted' ? 'champion' : evaluation.alias;
      points.push(
        ...holdoutPoints(
          { model: decision.model, version: evaluation.version, alias, primaryMetric, primaryValue: primaryMetric === 'accuracy' ? evaluation.accuracy : evaluation.f1 },
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
            version: decision.challenger?.version ?? decision.champion?.version ?? 'none',
            alias: decision.outcome === 'promoted' ? 'champion' : decision.challenger ? 'challenger' : 'none',
            // A run that could not decide keeps the champion: written as `kept` with its reason.
            decision: decision.outcome === 'promoted' ? 'promoted' : 'kept',
            reason: decision.reason,
            primaryMetric,
            championVersion: decision.champion?.version,
            challengerVersion: decision.challenger?.version,
            championValue: decision.champion ? (primaryMetric === 'accuracy' ? decision.champion.accuracy : decision.champion.f1) : undefined,
            challengerValue: decision.challenger ? (primaryMetric === 'accuracy' ? decision.challenger.accuracy : decision.challenger.f1) : undefined,
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
        after: { outcome: decision.outcome, challenger: decision.challenger?.version ?? null, champion: decision.champion?.version ?? null },
        from: trigger.kind,
        reason: decision.reason,
      });
    }
    return decision;
  }
}

function primaryOf(entry: CatalogEntry, evaluation: ModelEvaluation): number {
  return entry.primaryMetric === 'accuracy' ? evaluation.accuracy : evaluation.f1;
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
    return {
      version,
      alias,
      accuracy: segmented.overall.accuracy ?? 0,
      f1: segmented.overall.f1 ?? 0,
      rows: rows.length,
      segmented,
    };
  } finally {
    await classifier.close();
  }
}

/** Classes the operators' labels bring in with fewer than `min` training rows in all (history included), with their counts. */
function scarceClasses(table: Table, labelColumn: string, labelled: readonly LabelledRow[], min: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const row of table.rows) counts.set(row[labelColumn], (counts.get(row[labelColumn]) ?? 0) + 1);
  const labelledClasses = new Set(labelled.map((row) => row[labelColumn]).filter(Boolean));
  return [...labelledClasses].map((label) => [label, counts.get(label) ?? 0] as [string, number]).filter(([, n]) => n < min).sort();
}

/** Champion and challenger accuracy per segment group big enough to judge. */
function compareSegments(champion: ModelEvaluation, challenger: ModelEvaluation): SegmentComparison[] {
  const key = (dimension: string, group: string) => `${dimension}=${group}`;
  const theirs = new Map(challenger.segmented.segments.map((s) => [key(s.dimension, s.group), s.figures.accuracy ?? 0]));
  return champion.segmented.segments
    .filter((s) => !s.tooSmall)
    .map((s) => ({
      segment: key(s.dimension, s.group),
      rows: s.figures.rows,
      champion: s.figures.accuracy ?? 0,
      challenger: theirs.get(key(s.dimension, s.group)) ?? 0,
    }));
}
