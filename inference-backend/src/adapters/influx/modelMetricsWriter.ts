import { MODEL_METRICS_SERIES, type ModelMetricSource } from '@nocai/contract';
import type { ModelFigures, SegmentedEvaluation } from '../../domain/mlops/fairness';
import type { ProductionAccuracy } from '../../domain/mlops/productionAccuracy';
import type { FieldValue, SeriesPoint } from '../../domain/series';

/**
 * The one place evaluations become `aiops_models` points (see MODEL_METRICS_SERIES for the
 * shapes): holdout evaluations (training, and the retraining job's champion and challenger on the
 * same fresh holdout), production accuracy, and promotion decisions. Every number is a float field,
 * counts included, so that every writer of the measurement gives each field the same type
 * (InfluxDB refuses a field whose type changes within a shard).
 *
 * An evaluation is one `segment=all` point carrying the overall figures, the primary metric and
 * the worst segment gap/ratio, plus one point per group (`segment=<dimension>=<value>`) with that
 * group's figures and its rows in `holdout_size`: a group too small to judge is written all the
 * same, its `holdout_size` says so.
 */

const M = MODEL_METRICS_SERIES;
const ALL = 'all';

/** The registry alias of the version when it was evaluated. */
export type ModelAliasTag = 'champion' | 'challenger' | 'none';

export interface EvaluatedVersion {
  model: string;
  version: string;
  alias: ModelAliasTag;
  /** The figure the promotion gate compares for this model (`f1`, `mae_s`…), and its value. */
  primaryMetric?: string;
  primaryValue?: number;
}

/** A holdout evaluation (`source=holdout`): the figures overall and per segment group. */
export function holdoutPoints(
  subject: EvaluatedVersion,
  evaluation: SegmentedEvaluation,
  timeUs: number
): SeriesPoint[] {
  return evaluationPoints('holdout', subject, evaluation, {}, timeUs);
}

/** Production accuracy of one model version over the rolling window (`source=production`), with its verdict counts. */
export function productionPoints(accuracy: ProductionAccuracy, alias: ModelAliasTag, timeUs: number): SeriesPoint[] {
  const { counts } = accuracy;
  return evaluationPoints(
    'production',
    {
      model: accuracy.model,
      version: accuracy.version,
      alias,
      primaryMetric: accuracy.primaryMetric,
      primaryValue: accuracy.primaryValue,
    },
    accuracy,
    {
      [M.fields.validCount]: counts.valid,
      [M.fields.invalidCount]: counts.invalid,
      [M.fields.avoidedCount]: counts.avoided,
      [M.fields.correctedCount]: counts.corrected,
    },
    timeUs
  );
}

export type ModelDecision = 'promoted' | 'kept' | 'skipped' | 'rolled_back' | 'imported';

export interface DecisionRecord {
  model: string;
  /** The version the decision is about (the challenger judged, the version rolled back to, the one imported). */
  version: string;
  /** Its alias after the decision. */
  alias: ModelAliasTag;
  decision: ModelDecision;
  reason: string;
  primaryMetric?: string;
  championVersion?: string;
  challengerVersion?: string;
  championValue?: number;
  challengerValue?: number;
}

/** A promotion decision (`source=decision`), one point, what the Model health dashboard annotates. */
export function decisionPoint(record: DecisionRecord, timeUs: number): SeriesPoint {
  const fields: Record<string, FieldValue> = {
    [M.fields.decision]: record.decision,
    [M.fields.reason]: record.reason,
  };
  const optional: Array<[string, FieldValue | undefined]> = [
    [M.fields.primaryMetric, record.primaryMetric],
    [M.fields.championVersion, record.championVersion],
    [M.fields.challengerVersion, record.challengerVersion],
    [M.fields.championValue, record.championValue],
    [M.fields.challengerValue, record.challengerValue],
  ];
  for (const [key, value] of optional) if (isWritable(value)) fields[key] = value;
  return { measurement: M.measurement, tags: tags('decision', record, ALL), fields, timeUs };
}

function evaluationPoints(
  source: ModelMetricSource,
  subject: EvaluatedVersion,
  evaluation: SegmentedEvaluation,
  extra: Record<string, FieldValue>,
  timeUs: number
): SeriesPoint[] {
  const overall: Record<string, FieldValue> = { ...figureFields(evaluation.overall), ...extra };
  const optional: Array<[string, FieldValue | undefined]> = [
    [M.fields.primaryMetric, subject.primaryMetric],
    [M.fields.primaryValue, subject.primaryValue],
    [M.fields.worstSegmentGap, evaluation.worstSegmentGap],
    [M.fields.worstSegmentRatio, evaluation.worstSegmentRatio],
  ];
  for (const [key, value] of optional) if (isWritable(value)) overall[key] = value;
  return [
    { measurement: M.measurement, tags: tags(source, subject, ALL), fields: overall, timeUs },
    ...evaluation.segments.map((s) => ({
      measurement: M.measurement,
      tags: tags(source, subject, `${s.dimension}=${s.group}`),
      fields: figureFields(s.figures),
      timeUs,
    })),
  ];
}

function figureFields(figures: ModelFigures): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = { [M.fields.holdoutSize]: figures.rows };
  const optional: Array<[string, number | undefined]> = [
    [M.fields.accuracy, figures.accuracy],
    [M.fields.f1, figures.f1],
    [M.fields.precision, figures.precision],
    [M.fields.recall, figures.recall],
    [M.fields.maeSeconds, figures.maeSeconds],
  ];
  for (const [key, value] of optional) if (isWritable(value)) fields[key] = value;
  return fields;
}

function tags(
  source: ModelMetricSource,
  subject: { model: string; version: string; alias: ModelAliasTag },
  segment: string
) {
  return {
    [M.tags.model]: subject.model,
    [M.tags.version]: subject.version,
    [M.tags.alias]: subject.alias,
    [M.tags.source]: source,
    [M.tags.segment]: segment,
  };
}

/** Line protocol has no NaN or infinity: such a figure is left out rather than written as a lie. */
function isWritable(value: FieldValue | undefined): value is FieldValue {
  return value !== undefined && (typeof value !== 'number' || Number.isFinite(value));
}
