import { evaluateClassification } from './metrics';

/**
 * Per-segment figures in the terms of Fairlearn's `MetricFrame`: a metric computed over all rows
 * (`overall`) and over the rows of each group of a segment dimension (`by_group`), with the
 * spread between groups (`difference()`/`ratio()`, "between_groups") and from the overall figure
 * ("to_overall"). Used by the holdout evaluation, production accuracy and the promotion gate, so
 * the three compare groups the same way.
 *
 * Groups with fewer rows than `minGroupRows` are reported (with `tooSmall`) but left out of every
 * difference and ratio: three tickets of a rare device kind say nothing about the model, and
 * would otherwise decide the worst gap on their own.
 */

export type ClassificationMetric = 'accuracy' | 'macro_f1' | 'precision' | 'recall';
export type RegressionMetric = 'mae';
export type FairnessMetric = ClassificationMetric | RegressionMetric;

/** One evaluated row: the truth, the prediction, an optional weight and its group per dimension. */
export interface EvaluationRow<Y extends string | number> {
  yTrue: Y;
  yPred: Y;
  /** Sample weight (Fairlearn's `sample_params`); 1 when absent. */
  weight?: number;
  /** Group of the row per dimension (`site_kind` → `hospital`); an empty or absent value leaves it out of that dimension. */
  segments: Readonly<Record<string, string>>;
}

export interface GroupFigure {
  group: string;
  value: number;
  /** Rows of the group (unweighted). */
  rows: number;
  tooSmall: boolean;
}

export interface DimensionFrame {
  dimension: string;
  groups: GroupFigure[];
  /** max − min over the groups large enough; undefined when there is none. */
  differenceBetweenGroups?: number;
  /** min ÷ max over the groups large enough (1 when max is 0: the groups agree). */
  ratioBetweenGroups?: number;
  /** The largest |group − overall|. */
  differenceToOverall?: number;
  /** The smallest of group ÷ overall and overall ÷ group, so always in [0, 1]. */
  ratioToOverall?: number;
}

export interface MetricFrame {
  metric: FairnessMetric;
  overall: number;
  rows: number;
  dimensions: DimensionFrame[];
}

export interface MetricFrameOptions {
  /** Segment dimensions to group by, in report order. */
  dimensions: readonly string[];
  /** Groups with fewer rows are flagged `tooSmall` and left out of differences and ratios. */
  minGroupRows: number;
  /** The positive class of `precision` and `recall`. */
  positiveLabel?: string;
}

/** A metric over all rows and per group of each dimension; undefined when there are no rows. */
export function metricFrame(
  rows: readonly EvaluationRow<string>[],
  metric: ClassificationMetric,
  options: MetricFrameOptions
): MetricFrame | undefined;
export function metricFrame(
  rows: readonly EvaluationRow<number>[],
  metric: RegressionMetric,
  options: MetricFrameOptions
): MetricFrame | undefined;
export function metricFrame(
  rows: readonly EvaluationRow<string | number>[],
  metric: FairnessMetric,
  options: MetricFrameOptions
): MetricFrame | undefined {
  if (rows.length === 0) return undefined;
  const score = (subset: readonly EvaluationRow<string | number>[]) =>
    computeMetric(subset, metric, options.positiveLabel);
  const overall = score(rows);
  const dimensions = options.dimensions.map((dimension) => {
    const byGroup = new Map<string, EvaluationRow<string | number>[]>();
    for (const row of rows) {
      const group = row.segments[dimension];
      if (!group) continue;
      const members = byGroup.get(group);
      if (members) members.push(row);
      else byGroup.set(group, [row]);
    }
    const groups = [...byGroup.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([group, members]) => ({
        group,
        value: score(members),
        rows: members.length,
        tooSmall: members.length < options.minGroupRows,
      }));
    return { dimension, groups, ...spread(groups, overall) };
  });
  return { metric, overall, rows: rows.length, dimensions };
}

/** Across dimensions: the largest gap and the smallest ratio between a group and the overall figure. */
export function worstToOverall(frame: MetricFrame): { gap?: number; ratio?: number } {
  const gaps = frame.dimensions.flatMap((d) => (d.differenceToOverall === undefined ? [] : [d.differenceToOverall]));
  const ratios = frame.dimensions.flatMap((d) => (d.ratioToOverall === undefined ? [] : [d.ratioToOverall]));
  return {
    gap: gaps.length ? Math.max(...gaps) : undefined,
    ratio: ratios.length ? Math.min(...ratios) : undefined,
  };
}

function spread(groups: readonly GroupFigure[], overall: number): Omit<DimensionFrame, 'dimension' | 'groups'> {
  const values = groups.filter((g) => !g.tooSmall).map((g) => g.value);
  if (values.length === 0) return {};
  const max = Math.max(...values);
  const min = Math.min(...values);
  return {
    differenceBetweenGroups: max - min,
    ratioBetweenGroups: safeRatio(min, max),
    differenceToOverall: Math.max(...values.map((v) => Math.abs(v - overall))),
    // Fairlearn's to_overall ratio: group/overall, inverted when above 1, then the smallest.
    ratioToOverall: Math.min(
      ...values.map((v) => {
        const r = safeRatio(v, overall);
        return r > 1 ? 1 / r : r;
      })
    ),
  };
}

/** a ÷ b where 0 ÷ 0 is 1 (both figures agree) and a ÷ 0 is 0 (as far apart as a ratio says). */
function safeRatio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : 0;
  return a / b;
}

function computeMetric(
  rows: readonly EvaluationRow<string | number>[],
  metric: FairnessMetric,
  positiveLabel?: string
): number {
  const weights = rows.map((r) => r.weight ?? 1);
  if (metric === 'mae') {
    const total = weights.reduce((a, b) => a + b, 0);
    const error = rows.reduce((sum, r, i) => sum + weights[i] * Math.abs(Number(r.yTrue) - Number(r.yPred)), 0);
    return total > 0 ? error / total : 0;
  }
  const report = evaluateClassification(
    [],
    rows.map((r) => String(r.yTrue)),
    rows.map((r) => String(r.yPred)),
    weights
  );
  if (metric === 'accuracy') return report.accuracy;
  if (metric === 'macro_f1') return report.macroF1;
  if (positiveLabel === undefined) throw new Error(`${metric} needs the positive class (positiveLabel)`);
  // A positive class no row has or predicts scores 0, as scikit-learn's zero_division=0 does.
  const positive = report.perClass.find((c) => c.label === positiveLabel);
  return positive ? positive[metric] : 0;
}

/**
 * The figures of one set of rows in `aiops_models`' terms (`f1` is macro-F1, `maeSeconds` the MAE
 * of a duration model); a figure the model kind has no use for is absent.
 */
export interface ModelFigures {
  accuracy?: number;
  f1?: number;
  precision?: number;
  recall?: number;
  maeSeconds?: number;
  rows: number;
}

export interface SegmentFigures {
  dimension: string;
  group: string;
  tooSmall: boolean;
  figures: ModelFigures;
}

/** Figures overall and per group, with the worst group of the primary metric against the overall one. */
export interface SegmentedEvaluation {
  overall: ModelFigures;
  segments: SegmentFigures[];
  worstSegmentGap?: number;
  worstSegmentRatio?: number;
}

const FIGURE_OF: Record<FairnessMetric, Exclude<keyof ModelFigures, 'rows'>> = {
  accuracy: 'accuracy',
  macro_f1: 'f1',
  precision: 'precision',
  recall: 'recall',
  mae: 'maeSeconds',
};

/**
 * A classifier's accuracy and macro-F1 (and precision/recall of `positiveLabel` when given),
 * overall and per group; the worst gap and ratio are those of `primary`. Undefined without rows.
 */
export function classificationBySegment(
  rows: readonly EvaluationRow<string>[],
  options: MetricFrameOptions & { primary: ClassificationMetric }
): SegmentedEvaluation | undefined {
  const metrics: ClassificationMetric[] = ['accuracy', 'macro_f1'];
  if (options.positiveLabel !== undefined) metrics.push('precision', 'recall');
  if (!metrics.includes(options.primary)) metrics.push(options.primary);
  const frames = metrics.map((metric) => metricFrame(rows, metric, options));
  return assemble(frames, options.primary);
}

/** A regression model's MAE overall and per group, with its worst gap and ratio. Undefined without rows. */
export function regressionBySegment(
  rows: readonly EvaluationRow<number>[],
  options: MetricFrameOptions
): SegmentedEvaluation | undefined {
  return assemble([metricFrame(rows, 'mae', options)], 'mae');
}

function assemble(frames: Array<MetricFrame | undefined>, primary: FairnessMetric): SegmentedEvaluation | undefined {
  const present = frames.filter((f): f is MetricFrame => f !== undefined);
  if (present.length === 0) return undefined;
  const overall: ModelFigures = { rows: present[0].rows };
  for (const frame of present) overall[FIGURE_OF[frame.metric]] = frame.overall;
  const segments: SegmentFigures[] = present[0].dimensions.flatMap((dimension, d) =>
    dimension.groups.map((group, g) => {
      const figures: ModelFigures = { rows: group.rows };
      for (const frame of present) figures[FIGURE_OF[frame.metric]] = frame.dimensions[d].groups[g].value;
      return { dimension: dimension.dimension, group: group.group, tooSmall: group.tooSmall, figures };
    })
  );
  const primaryFrame = present.find((f) => f.metric === primary);
  const worst = primaryFrame ? worstToOverall(primaryFrame) : {};
  return { overall, segments, worstSegmentGap: worst.gap, worstSegmentRatio: worst.ratio };
}
