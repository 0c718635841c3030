import { FEEDBACK_VERDICTS, MODEL_METRICS_SERIES, type FeedbackVerdict } from '@nocai/contract';

/**
 * The periodic performance report as data: what `renderReportHtml` draws and what the report API
 * could serve as JSON. Every figure is a value read from InfluxDB (aiops_models, aiops_drift,
 * aiops_tickets, aiops_feedback) and carried unchanged, so the report and the Model health dashboard
 * cannot disagree; the few figures computed here (a segment's gap and ratio to the overall figure,
 * alert precision, the champion) say how they are computed where they are declared.
 */

/** A half-open range `[fromMs, toMs)` of epoch milliseconds. */
export interface ReportRange {
  fromMs: number;
  toMs: number;
}

const F = MODEL_METRICS_SERIES.fields;

/** The numeric fields of an aiops_models evaluation point, by their contract key. */
export const EVALUATION_METRICS = [
  'accuracy',
  'f1',
  'precision',
  'recall',
  'maeSeconds',
  'primaryValue',
  'holdoutSize',
  'worstSegmentGap',
  'worstSegmentRatio',
  'validCount',
  'invalidCount',
  'avoidedCount',
  'correctedCount',
] as const satisfies ReadonlyArray<keyof typeof F>;
export type EvaluationMetric = (typeof EVALUATION_METRICS)[number];
export type EvaluationMetrics = Partial<Record<EvaluationMetric, number>>;

/** The metrics a model's quality is judged by (the others are counts and summaries). */
export const QUALITY_METRICS = [
  'accuracy',
  'f1',
  'precision',
  'recall',
  'maeSeconds',
] as const satisfies readonly EvaluationMetric[];
export type QualityMetric = (typeof QUALITY_METRICS)[number];

/** The retraining job's decision fields (aiops_models, source `decision`). */
export interface DecisionFields {
  decision: string;
  reason: string;
  championVersion: string;
  challengerVersion: string;
  championValue?: number;
  challengerValue?: number;
}

/** One aiops_models point as read: tags, numeric fields, and the decision fields of a decision point. */
export interface ModelPointRecord {
  timeUs: number;
  model: string;
  version: string;
  alias: string;
  source: string;
  segment: string;
  metrics: EvaluationMetrics;
  /** The InfluxDB field name the promotion gate compares (`f1`, `mae_s`…), as written. */
  primaryMetric?: string;
  decision?: DecisionFields;
}

/** One (model, feature) of aiops_drift: its latest point in the range and figures over the range. */
export interface DriftRecord {
  model: string;
  feature: string;
  kind: string;
  timeUs: number;
  psi?: number;
  method?: string;
  statistic?: number;
  pValue?: number;
  sampleSize?: number;
  unseenShare?: number;
  driftDetected: boolean;
  modelVersion?: string;
  /** Highest psi of the range. */
  maxPsi?: number;
  /** Evaluations in the range, and how many of them detected drift. */
  evaluations: number;
  detections: number;
}

/** An operator's verdict (aiops_feedback). */
export interface VerdictRecord {
  timeUs: number;
  ticketId: string;
  verdict: string;
  eventClass: string;
}

/**
 * One prediction explained by exact SHAP values, as its writer stored it: a problem's alert
 * (aiops_problems `explanation`), a failure alarm (aiops_maintenance `top_factors`) or a ticket's
 * time to resolve (aiops_tickets `mttr_factors`). `factors` are the stored top factors, each with
 * its contribution (`weight`) to the model's raw output.
 */
export interface ExplainedPrediction {
  timeUs: number;
  model: string;
  version: string;
  kind: ExplainedKind;
  factors: Array<{ feature: string; weight: number; value?: number }>;
}

/** What was explained: a problem's alert, a failure alarm, a ticket's time to resolve. */
export type ExplainedKind = 'alert' | 'alarm' | 'ticket';

/** What the report is made of, as read from InfluxDB for one range. */
export interface ReportInputs {
  /** aiops_models points with segment `all`, and every decision point, in the range. */
  overall: ModelPointRecord[];
  /** The newest point of each (model, source, version, segment ≠ all) series in the range. */
  segments: ModelPointRecord[];
  drift: DriftRecord[];
  /** aiops_tickets points with change `opened` in the range, per class. */
  openedByClass: Record<string, number>;
  /** aiops_feedback points in the range, any order. */
  verdicts: VerdictRecord[];
  /** Explained predictions in the range, any order (the newest `EXPLAINED_READ_LIMIT` of each kind). */
  explained: ExplainedPrediction[];
  /** The kinds whose read hit `EXPLAINED_READ_LIMIT`: their summary covers the newest predictions only. */
  explainedTruncated?: ExplainedKind[];
}

/** The most explained predictions of one kind the report reads for a range (the newest ones). */
export const EXPLAINED_READ_LIMIT = 5000;

/** One input in a model's explanation summary. */
export interface FactorSummary {
  feature: string;
  /** Explained predictions that listed it among their top factors. */
  count: number;
  /** Of those, the ones where it was the strongest factor. */
  firstCount: number;
  /** Of those, the ones where it raised the output (a positive contribution). */
  raisedCount: number;
  /** Mean signed contribution over the predictions that listed it. */
  meanContribution: number;
  /** Mean absolute contribution over the predictions that listed it. */
  meanAbsContribution: number;
  /**
   * Its share of all the absolute contributions listed in the range: how much of what the
   * explanations attribute goes to it (the ranking key, as in a SHAP summary bar chart).
   */
  share: number;
}

/** What drove a model's explained predictions in the range: the top factors of every one, aggregated. */
export interface ExplanationSummary {
  kind: ExplainedKind;
  /** Predictions explained in the range (read). */
  predictions: number;
  /** Versions that made them, oldest first. */
  versions: string[];
  firstUs: number;
  lastUs: number;
  /** Inputs by share, largest first, at most `FACTORS_SHOWN`. */
  factors: FactorSummary[];
  /** Distinct inputs named in the range (more than `factors` when some are left out). */
  distinctFactors: number;
  /** The read stopped at `EXPLAINED_READ_LIMIT`: the newest predictions only. */
  truncated: boolean;
}

/** The inputs a model's explanation summary lists. */
export const FACTORS_SHOWN = 10;

export type EvaluationSource = 'holdout' | 'production';
const EVALUATION_SOURCES: readonly string[] = ['holdout', 'production'] satisfies EvaluationSource[];

/** One evaluation of a model version on its overall population (segment `all`). */
export interface Evaluation {
  timeUs: number;
  version: string;
  alias: string;
  source: EvaluationSource;
  metrics: EvaluationMetrics;
  primaryMetric?: string;
}

export interface Decision extends DecisionFields {
  timeUs: number;
  /** The version the decision is about (the challenger judged, the version rolled back to) and its alias after it. */
  version: string;
  alias: string;
  primaryMetric?: string;
}

export interface VersionSummary {
  version: string;
  /** First and last evaluation of the version in the range (undefined: only named by decisions). */
  firstSeenUs?: number;
  lastSeenUs?: number;
  /** Aliases its evaluations carried in the range (`champion`, `challenger`), in order of first appearance. */
  aliases: string[];
  latestHoldout?: Evaluation;
  latestProduction?: Evaluation;
  /** When a decision of the range made it champion (the latest such decision). */
  madeChampionAtUs?: number;
}

export interface SegmentRow {
  /** `<dimension>=<value>` as written. */
  segment: string;
  metrics: EvaluationMetrics;
  /** The group's compared metric minus the overall one, and divided by it (Fairlearn's difference and ratio to overall). */
  gap?: number;
  ratio?: number;
}

/** The groups of one evaluation (the newest of a version and source), with the overall figure they are compared to. */
export interface SegmentTable {
  source: EvaluationSource;
  version: string;
  alias: string;
  timeUs: number;
  comparedMetric: QualityMetric;
  overall?: number;
  rows: SegmentRow[];
}

export interface ModelSection {
  model: string;
  /**
   * The champion at the end of the range: the version named by the newest of the evaluations tagged
   * `champion` and the decisions that made a version champion (a promotion, a rollback). Undefined
   * when the range has neither.
   */
  champion?: string;
  /** Every version seen in the range, oldest first. */
  versions: VersionSummary[];
  /** Overall evaluations (holdout and production), oldest first. */
  evaluations: Evaluation[];
  decisions: Decision[];
  segments: SegmentTable[];
  drift: DriftRecord[];
  /** The metric the accuracy chart plots: accuracy for classifiers, MAE for regressors. */
  chartMetric: QualityMetric;
  /** Its explained predictions in the range, summarised; undefined when it explained none. */
  explanations?: ExplanationSummary;
}

export interface AlertCounts {
  eventClass: string;
  raised: number;
  validated: number;
  invalidated: number;
  avoided: number;
  /** (validated + avoided) / (all three): `avoided` counts as a true positive. Undefined without verdicts. */
  precision?: number;
}

export interface PerformanceReport {
  range: ReportRange;
  generatedAtMs: number;
  /** The InfluxDB database the figures come from. */
  database: string;
  models: ModelSection[];
  alerts: { byClass: AlertCounts[]; total: AlertCounts };
}

/** A segment point belongs to an evaluation written within this of the overall point (same batch). */
const SAME_EVALUATION_US = 1_000_000;

/** The report of `range` from what InfluxDB holds for it. Pure: the same inputs give the same report. */
export function assembleReport(
  inputs: ReportInputs,
  range: ReportRange,
  generatedAtMs: number,
  database: string
): PerformanceReport {
  const names = new Set<string>();
  for (const record of [...inputs.overall, ...inputs.segments, ...inputs.drift, ...inputs.explained]) {
    names.add(record.model);
  }
  const models = [...names].sort().map((model) => modelSection(model, inputs));
  return { range, generatedAtMs, database, models, alerts: alertCounts(inputs) };
}

function modelSection(model: string, inputs: ReportInputs): ModelSection {
  const points = inputs.overall.filter((p) => p.model === model).sort((a, b) => a.timeUs - b.timeUs);
  const evaluations: Evaluation[] = points
    .filter((p) => EVALUATION_SOURCES.includes(p.source))
    .map((p) => ({
      timeUs: p.timeUs,
      version: p.version,
      alias: p.alias,
      source: p.source as EvaluationSource,
      metrics: p.metrics,
      primaryMetric: p.primaryMetric,
    }));
  const decisions: Decision[] = points
    .filter((p): p is ModelPointRecord & { decision: DecisionFields } => p.source === 'decision' && !!p.decision)
    .map((p) => ({
      timeUs: p.timeUs,
      version: p.version,
      alias: p.alias,
      primaryMetric: p.primaryMetric,
      ...p.decision,
    }));
  const segments = segmentTables(
    evaluations,
    inputs.segments.filter((p) => p.model === model)
  );
  const drift = inputs.drift.filter((d) => d.model === model).sort((a, b) => a.feature.localeCompare(b.feature));
  const chartMetric: QualityMetric = evaluations.some((e) => e.metrics.accuracy !== undefined)
    ? 'accuracy'
    : evaluations.some((e) => e.metrics.maeSeconds !== undefined)
      ? 'maeSeconds'
      : 'f1';
  const explanations = explanationSummary(
    inputs.explained.filter((e) => e.model === model),
    inputs.explainedTruncated ?? []
  );
  return {
    model,
    champion: championOf(evaluations, decisions),
    versions: versionSummaries(evaluations, decisions),
    evaluations,
    decisions,
    segments,
    drift,
    chartMetric,
    ...(explanations ? { explanations } : {}),
  };
}

/**
 * A model's explained predictions aggregated per input, as a SHAP summary does: how often each input
 * was among the top factors and the strongest one, how often it raised the output, its mean signed
 * and absolute contribution, and its share of all the absolute contributions listed. Only the stored
 * top factors count (an input outside a prediction's top factors counts zero there), so the shares
 * describe what operators were shown. Undefined without explained predictions.
 */
export function explanationSummary(
  explained: readonly ExplainedPrediction[],
  truncatedKinds: readonly ExplainedKind[] = []
): ExplanationSummary | undefined {
  if (explained.length === 0) return undefined;
  const sorted = [...explained].sort((a, b) => a.timeUs - b.timeUs);
  const byFeature = new Map<string, { count: number; first: number; raised: number; sum: number; sumAbs: number }>();
  let total = 0;
  for (const prediction of sorted) {
    prediction.factors.forEach((factor, rank) => {
      if (!Number.isFinite(factor.weight)) return;
      let entry = byFeature.get(factor.feature);
      if (!entry) {
        entry = { count: 0, first: 0, raised: 0, sum: 0, sumAbs: 0 };
        byFeature.set(factor.feature, entry);
      }
      entry.count += 1;
      if (rank === 0) entry.first += 1;
      if (factor.weight > 0) entry.raised += 1;
      entry.sum += factor.weight;
      entry.sumAbs += Math.abs(factor.weight);
      total += Math.abs(factor.weight);
    });
  }
  const factors = [...byFeature]
    .map(([feature, e]): FactorSummary => ({
      feature,
      count: e.count,
      firstCount: e.first,
      raisedCount: e.raised,
      meanContribution: e.sum / e.count,
      meanAbsContribution: e.sumAbs / e.count,
      share: total > 0 ? e.sumAbs / total : 0,
    }))
    .sort((a, b) => b.share - a.share || b.count - a.count || a.feature.localeCompare(b.feature));
  const versions: string[] = [];
  for (const p of sorted) if (p.version && !versions.includes(p.version)) versions.push(p.version);
  // One model explains one kind of prediction; the newest decides if a name were ever reused.
  const kind = sorted[sorted.length - 1].kind;
  return {
    kind,
    predictions: sorted.length,
    versions,
    firstUs: sorted[0].timeUs,
    lastUs: sorted[sorted.length - 1].timeUs,
    factors: factors.slice(0, FACTORS_SHOWN),
    distinctFactors: factors.length,
    truncated: truncatedKinds.includes(kind),
  };
}

/** `problem-freezer@3` → model and version; the text after the last `@` is the version. */
export function splitModelVersion(text: string): { model: string; version: string } {
  const at = text.lastIndexOf('@');
  return at > 0 ? { model: text.slice(0, at), version: text.slice(at + 1) } : { model: text, version: '' };
}

function championOf(evaluations: readonly Evaluation[], decisions: readonly Decision[]): string | undefined {
  const named = [
    ...evaluations.filter((e) => e.alias === 'champion').map((e) => ({ timeUs: e.timeUs, version: e.version })),
    ...decisions.flatMap((d) => {
      const version = madeChampion(d);
      return version ? [{ timeUs: d.timeUs, version }] : [];
    }),
  ];
  // On a tie the decision (listed last) wins: a promotion and the evaluation that led to it share a batch.
  return named.reduce<{ timeUs: number; version: string } | undefined>(
    (latest, next) => (latest === undefined || next.timeUs >= latest.timeUs ? next : latest),
    undefined
  )?.version;
}

/**
 * The version a decision made champion: the decision point's own version when its alias after the
 * decision is `champion` (a promotion, a rollback, an import as champion), else the challenger of
 * a `promoted` decision written without that alias.
 */
function madeChampion(d: Decision): string | undefined {
  if (d.alias === 'champion' && d.version) return d.version;
  return d.decision === 'promoted' && d.challengerVersion ? d.challengerVersion : undefined;
}

function versionSummaries(evaluations: readonly Evaluation[], decisions: readonly Decision[]): VersionSummary[] {
  const byVersion = new Map<string, VersionSummary>();
  const summary = (version: string) => {
    let found = byVersion.get(version);
    if (!found) {
      found = { version, aliases: [] };
      byVersion.set(version, found);
    }
    return found;
  };
  for (const e of evaluations) {
    const s = summary(e.version);
    s.firstSeenUs ??= e.timeUs;
    s.lastSeenUs = e.timeUs;
    if (e.alias && e.alias !== 'none' && !s.aliases.includes(e.alias)) s.aliases.push(e.alias);
    if (e.source === 'holdout') s.latestHoldout = e;
    else s.latestProduction = e;
  }
  for (const d of decisions) {
    for (const version of [d.version, d.championVersion, d.challengerVersion]) if (version) summary(version);
    const champion = madeChampion(d);
    if (champion) summary(champion).madeChampionAtUs = d.timeUs;
  }
  const first = (s: VersionSummary) =>
    s.firstSeenUs ??
    decisions.find((d) => d.championVersion === s.version || d.challengerVersion === s.version)?.timeUs ??
    0;
  return [...byVersion.values()].sort((a, b) => first(a) - first(b) || a.version.localeCompare(b.version));
}

/** The InfluxDB field name of each metric key, and back. */
const FIELD_OF: Record<EvaluationMetric, string> = Object.fromEntries(
  EVALUATION_METRICS.map((key) => [key, F[key]])
) as Record<EvaluationMetric, string>;

/** The quality metric an evaluation's `primary_metric` names, if it is one. */
export function qualityMetricNamed(field: string | undefined): QualityMetric | undefined {
  return QUALITY_METRICS.find((key) => FIELD_OF[key] === field);
}

function segmentTables(evaluations: readonly Evaluation[], segmentPoints: readonly ModelPointRecord[]): SegmentTable[] {
  // The newest overall evaluation per (source, version): the one whose groups the report shows.
  const newest = new Map<string, Evaluation>();
  for (const e of evaluations) newest.set(`${e.source}\u0000${e.version}`, e);
  const tables: SegmentTable[] = [];
  for (const overall of newest.values()) {
    const points = segmentPoints.filter(
      (p) =>
        p.source === overall.source &&
        p.version === overall.version &&
        p.segment !== '' &&
        Math.abs(p.timeUs - overall.timeUs) <= SAME_EVALUATION_US
    );
    if (points.length === 0) continue;
    const compared = comparedMetric(overall, points);
    const overallValue = overall.metrics[compared];
    const rows = points
      .map((p): SegmentRow => {
        const value = p.metrics[compared];
        const row: SegmentRow = { segment: p.segment, metrics: p.metrics };
        if (value !== undefined && overallValue !== undefined) {
          row.gap = value - overallValue;
          if (overallValue !== 0) row.ratio = value / overallValue;
        }
        return row;
      })
      .sort((a, b) => a.segment.localeCompare(b.segment));
    tables.push({
      source: overall.source,
      version: overall.version,
      alias: overall.alias,
      timeUs: overall.timeUs,
      comparedMetric: compared,
      overall: overallValue,
      rows,
    });
  }
  return tables.sort((a, b) => a.source.localeCompare(b.source) || b.timeUs - a.timeUs);
}

/** The evaluation's primary metric when its groups have it, else the first quality metric they have. */
function comparedMetric(overall: Evaluation, points: readonly ModelPointRecord[]): QualityMetric {
  const has = (key: QualityMetric) =>
    overall.metrics[key] !== undefined && points.some((p) => p.metrics[key] !== undefined);
  const primary = qualityMetricNamed(overall.primaryMetric);
  if (primary && has(primary)) return primary;
  return QUALITY_METRICS.find(has) ?? primary ?? 'accuracy';
}

function alertCounts(inputs: ReportInputs): PerformanceReport['alerts'] {
  // The last verdict an operator gave a ticket in the range is the one that counts.
  const latest = new Map<string, VerdictRecord>();
  for (const v of [...inputs.verdicts].sort((a, b) => a.timeUs - b.timeUs)) {
    if (v.ticketId && (FEEDBACK_VERDICTS as readonly string[]).includes(v.verdict)) latest.set(v.ticketId, v);
  }
  const byClass = new Map<string, AlertCounts>();
  const counts = (eventClass: string) => {
    let found = byClass.get(eventClass);
    if (!found) {
      found = { eventClass, raised: 0, validated: 0, invalidated: 0, avoided: 0 };
      byClass.set(eventClass, found);
    }
    return found;
  };
  for (const [eventClass, n] of Object.entries(inputs.openedByClass)) counts(eventClass).raised += n;
  const field: Record<FeedbackVerdict, 'validated' | 'invalidated' | 'avoided'> = {
    valid: 'validated',
    invalid: 'invalidated',
    avoided: 'avoided',
  };
  for (const v of latest.values()) counts(v.eventClass)[field[v.verdict as FeedbackVerdict]] += 1;
  const rows = [...byClass.values()].sort((a, b) => a.eventClass.localeCompare(b.eventClass));
  const total: AlertCounts = { eventClass: 'all', raised: 0, validated: 0, invalidated: 0, avoided: 0 };
  for (const row of rows) {
    total.raised += row.raised;
    total.validated += row.validated;
    total.invalidated += row.invalidated;
    total.avoided += row.avoided;
  }
  return { byClass: rows.map(withPrecision), total: withPrecision(total) };
}

function withPrecision(counts: AlertCounts): AlertCounts {
  const judged = counts.validated + counts.avoided + counts.invalidated;
  return judged > 0 ? { ...counts, precision: (counts.validated + counts.avoided) / judged } : counts;
}
