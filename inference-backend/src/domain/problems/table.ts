import { timeOrderedFolds, groupKFold } from '../mlops/methodology';
import { isMissingCell, numberOf } from '../mlops/tabularFeatures';
import type { Fold } from '../mlops/methodology';
import { featureNames, forwardFilled, rowFeatures } from './dataset';
import type { ProblemRows } from './dataset';
import type { ProblemReport, ProblemCvKind } from './automl';
import type { PlattCalibration, ProblemLearnerSpec } from './learners';

/**
 * A predictive alert problem given as a table instead of InfluxDB series (issue 12, `nocai problems
 * train-file`): one row per entity and time, a 0/1 label column (the event within the horizon,
 * computed by whoever made the file), numeric input columns. The rows become `ProblemRows` with the
 * same features as a problem on series: each input's last value and, per window of `w` rows of the
 * same entity, mean, min, max, std and slope (`rowFeatures`), reading that entity's earlier rows
 * only, so a row never sees its future.
 */

export interface TableProblemSpec {
  label: string;
  /** Numeric input columns, in feature order. */
  features: string[];
  /** The order of an entity's rows: numbers (cycles) or ISO 8601 times. Absent: file order. */
  time?: string;
  /** The entity of a row (an engine, a host). Absent: one entity. */
  group?: string;
  /** Rolling windows in rows, ascending; empty: the inputs' values only. */
  windows: number[];
}

/** Bad content of the table (a label that is not 0/1, a number that is not one): one sentence. */
export class TableProblemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableProblemError';
  }
}

type Cells = Record<string, string>;

/** One entity's rows in time order: the table's row indices, values per feature, labels, times. */
export interface TableEntity {
  entity: string;
  rows: number[];
  values: Float64Array[];
  labels: Uint8Array;
  times: Float64Array;
}

/** A time cell as a number: the number itself, or epoch ms of an ISO 8601 time. */
export function parseTimeCell(text: string): number {
  const trimmed = text.trim();
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(trimmed.replace(' ', 'T')) : NaN;
  return ms;
}

/**
 * The unit of the table's times, for lead times: minutes when the time column holds ISO 8601
 * times (epoch ms), the column's own unit when it holds numbers (cycles, steps), rows without one.
 */
export function tableTimeUnit(
  rows: readonly Cells[],
  spec: Pick<TableProblemSpec, 'time'>
): { name: string; size: number } {
  if (spec.time === undefined) return { name: 'rows', size: 1 };
  const column = spec.time;
  const first = rows.find((row) => (row[column] ?? '').trim() !== '');
  const text = first === undefined ? '' : (first[column] ?? '').trim();
  return Number.isFinite(Number(text)) ? { name: `${column} units`, size: 1 } : { name: 'minutes', size: 60_000 };
}

const LABEL_WORDS: Record<string, number> = { false: 0, true: 1, no: 0, yes: 1 };

/** A label cell as 0 or 1: a number equal to one of them (`1`, `1.0`), true/false or yes/no in any case. */
function labelOf(cell: string): number | undefined {
  const word = LABEL_WORDS[cell.trim().toLowerCase()];
  if (word !== undefined) return word;
  const value = numberOf(cell);
  return value === 0 || value === 1 ? value : undefined;
}

/**
 * The table's rows grouped by entity and ordered by time (ties keep the file's order). `withLabels`
 * false reads no label (prediction). Missing feature cells (empty, NA, N/A, NaN, null, None in any
 * case) are missing values (carried forward); anything else that is not a number is refused,
 * naming the row and column.
 */
export function tableEntities(rows: readonly Cells[], spec: TableProblemSpec, withLabels = true): TableEntity[] {
  const byEntity = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = spec.group === undefined ? '' : (row[spec.group] ?? '');
    const list = byEntity.get(key);
    if (list) list.push(i);
    else byEntity.set(key, [i]);
  });
  const times = new Float64Array(rows.length);
  if (spec.time !== undefined) {
    const column = spec.time;
    rows.forEach((row, i) => {
      times[i] = parseTimeCell(row[column] ?? '');
      if (Number.isNaN(times[i])) {
        throw new TableProblemError(
          `row ${i + 1} has "${row[column]}" in the time column "${column}", which is neither a number nor an ISO 8601 time`
        );
      }
    });
  } else rows.forEach((_, i) => (times[i] = i));
  const entities: TableEntity[] = [];
  for (const [entity, members] of byEntity) {
    const order = [...members].sort((a, b) => times[a] - times[b] || a - b);
    const values = spec.features.map((column) =>
      Float64Array.from(order, (i) => {
        const cell = (rows[i][column] ?? '').trim();
        if (isMissingCell(cell)) return NaN;
        const x = Number(cell);
        if (!Number.isFinite(x)) {
          throw new TableProblemError(
            `row ${i + 1} has "${cell}" in the input column "${column}", which is not a number`
          );
        }
        return x;
      })
    );
    const labels = Uint8Array.from(order, (i) => {
      if (!withLabels) return 0;
      const label = labelOf(rows[i][spec.label] ?? '');
      if (label === undefined) {
        throw new TableProblemError(
          `row ${i + 1} has "${rows[i][spec.label]}" in the label column "${spec.label}", which must be 0 or 1 (or false/true, no/yes)`
        );
      }
      return label;
    });
    entities.push({ entity, rows: order, values, labels, times: Float64Array.from(order, (i) => times[i]) });
  }
  return entities;
}

/**
 * Refuses, for training, an input column with no value in any row and a label that is the same in
 * every row, naming them: neither leaves anything to learn.
 */
export function checkLearnable(entities: readonly TableEntity[], spec: TableProblemSpec): void {
  spec.features.forEach((column, f) => {
    if (entities.every((e) => e.values[f].every((x) => Number.isNaN(x)))) {
      throw new TableProblemError(
        `the input column "${column}" is empty in every row; leave it out of --features or fill it in`
      );
    }
  });
  const rows = entities.reduce((n, e) => n + e.labels.length, 0);
  const positive = entities.reduce((n, e) => n + e.labels.reduce((m, l) => m + l, 0), 0);
  if (rows > 0 && (positive === 0 || positive === rows)) {
    throw new TableProblemError(
      `the label column "${spec.label}" is ${positive === 0 ? 0 : 1} in every row, so there is nothing to tell apart: ` +
        'the model needs rows of both 1 (the event follows) and 0'
    );
  }
}

/** Features of every row (NaN-free rows only) with the table's row index of each. */
export interface TableFeatures {
  rows: ProblemRows;
  /** The table's row index of each matrix row. */
  tableRow: Int32Array;
}

/**
 * The matrix rows of the table rows that `keep` selects (by entity and position in the entity's
 * order). The windows read all of the entity's earlier rows, kept or not: a validation row may
 * read the training rows before it, never a row after it. Rows where an input has no value yet
 * are left out.
 */
export function tableRows(
  entities: readonly TableEntity[],
  spec: TableProblemSpec,
  keep: (entity: TableEntity, position: number) => boolean = () => true
): TableFeatures {
  const width = featureNames({ variables: spec.features, windowSteps: spec.windows }).length;
  const chunks: Float32Array[] = [];
  const labels: number[] = [];
  const times: number[] = [];
  const entityOf: number[] = [];
  const bucketOf: number[] = [];
  const tableRow: number[] = [];
  const row = new Float32Array(width);
  const step = tableStep(entities);
  const onsetTimesMs: number[][] = [];
  // Only the entities with a kept row are the rows' entities (a validation part names no training engine).
  const named: string[] = [];
  entities.forEach((e) => {
    const onsets: number[] = [];
    const index = named.length;
    const filled = e.values.map(forwardFilled);
    // Whether a row of the current run of positive rows is among the rows kept.
    let runKept = false;
    for (let k = 0; k < e.rows.length; k++) {
      if (keep(e, k) && rowFeatures(filled, k, spec.windows, row, 0)) {
        chunks.push(row.slice());
        labels.push(e.labels[k]);
        times.push(e.times[k]);
        entityOf.push(index);
        bucketOf.push(k);
        tableRow.push(e.rows[k]);
        if (e.labels[k]) runKept = true;
      }
      // A run of positive rows ends where the event starts: one step after its last row. It counts
      // in these rows when any of its rows is kept, its last one or not: a time cut purges the rows
      // whose label looks past the cut, so a run ending just before the cut trains on its first rows.
      if (e.labels[k] && (k + 1 === e.rows.length || !e.labels[k + 1])) {
        if (runKept) onsets.push(e.times[k] + step);
        runKept = false;
      }
    }
    if (entityOf.length > 0 && entityOf[entityOf.length - 1] === index) {
      named.push(e.entity);
      onsetTimesMs.push(onsets);
    }
  });
  const values = new Float32Array(chunks.length * width);
  chunks.forEach((c, i) => values.set(c, i * width));
  return {
    rows: {
      matrix: { rowCount: chunks.length, featureCount: width, values },
      labels: Uint8Array.from(labels),
      timesMs: Float64Array.from(times),
      entityOf: Int32Array.from(entityOf),
      bucketOf: Int32Array.from(bucketOf),
      entities: named,
      onsetTimesMs,
    },
    tableRow: Int32Array.from(tableRow),
  };
}

/** The rows' time step: the median gap between an entity's consecutive rows (1 without any). */
export function tableStep(entities: readonly TableEntity[]): number {
  const gaps: number[] = [];
  for (const e of entities) for (let k = 1; k < e.times.length; k++) gaps.push(e.times[k] - e.times[k - 1]);
  if (gaps.length === 0) return 1;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] || 1;
}

/**
 * How far a table's label looks ahead when no horizon is given: the longest run of positive rows,
 * from its first row to the start of its event (one step after its last row), in the time
 * column's unit. 0 when no row is positive.
 */
export function labelledHorizon(entities: readonly TableEntity[]): number {
  const step = tableStep(entities);
  let longest = 0;
  for (const e of entities) {
    let first = -1;
    for (let k = 0; k < e.labels.length; k++) {
      if (!e.labels[k]) {
        first = -1;
        continue;
      }
      if (first < 0) first = k;
      if (k + 1 === e.labels.length || !e.labels[k + 1])
        longest = Math.max(longest, e.times[k] + step - e.times[first]);
    }
  }
  return longest;
}

/**
 * The training rows' CV folds: by entity when the table has several (each keeps its own clock),
 * otherwise rolling-origin over time with the training rows whose label looks into the fold's
 * validation block left out.
 */
export function tableFolds(
  train: ProblemRows,
  k: number,
  horizon: number,
  byEntity: boolean,
  seed: number
): { folds: Fold[]; kind: ProblemCvKind } {
  if (byEntity) {
    const groups = Array.from(train.entityOf, (e) => train.entities[e]);
    return { folds: groupKFold(groups, k, seed), kind: 'group k-fold by entity' };
  }
  const folds = timeOrderedFolds(Array.from(train.timesMs), k).map((fold) => {
    const start = Math.min(...fold.validation.map((r) => train.timesMs[r]));
    return { train: fold.train.filter((r) => train.timesMs[r] + horizon <= start), validation: fold.validation };
  });
  return { folds, kind: 'rolling-origin, purged by the horizon' };
}

export const TABLE_PROBLEM_KIND = 'problem_table_classifier';

/**
 * `manifest.json` of a model trained from a table, beside its `model.onnx` (input `features`
 * float32 [N, F], output `probability` [N, 1], the graph of `exportProblemOnnx`) and `report.json`.
 * Enough for `nocai problems predict-file` to rebuild the rows of another table.
 */
export interface TableProblemManifest {
  format: 1;
  kind: typeof TABLE_PROBLEM_KIND;
  name: string;
  createdAt: string;
  source: string;
  table: TableProblemSpec;
  featureNames: string[];
  learner: { candidate: string; spec: ProblemLearnerSpec };
  calibration: PlattCalibration;
  /** Alert when the probability is at least this (chosen on the validation rows by the policy). */
  threshold: number;
  split: { kind: 'column' | 'time'; column?: string; trainUntil?: string; horizon: number };
  dataHash: string;
  metrics: ProblemReport;
}

export function isTableProblemManifest(value: unknown): value is TableProblemManifest {
  const m = value as Partial<TableProblemManifest> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.kind === TABLE_PROBLEM_KIND &&
    Array.isArray(m.featureNames) &&
    typeof m.threshold === 'number' &&
    typeof m.table === 'object' &&
    m.table !== null &&
    Array.isArray(m.table.features) &&
    Array.isArray(m.table.windows)
  );
}
