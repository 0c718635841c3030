import type { Table } from '../adapters/files/csv';
import type { TargetSpec } from '../commands/train';

/** A ticket operators judged or corrected, in the ticket history's columns (see `labelRows`). */
export type LabelledRow = Record<string, string>;

/** The newest `fraction` of the labelled rows (by `timeColumn`, ISO 8601: a ticket's opening time by default) is the fresh holdout. */
export function timeSlice(
  rows: readonly LabelledRow[],
  fraction: number,
  timeColumn = 'opened_at'
): { train: LabelledRow[]; holdout: LabelledRow[] } {
  const at = (row: LabelledRow) => row[timeColumn] ?? '';
  const sorted = [...rows].sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
  const cut = Math.floor(sorted.length * (1 - fraction));
  return { train: sorted.slice(0, cut), holdout: sorted.slice(cut) };
}

export const WEIGHT_COLUMN = 'weight';
const DAY_MS = 86_400_000;

/**
 * The history's rows and the labelled rows in the spec's columns (a labelled ticket replaces a
 * history row of the same id), each weighted by recency: 0.5^(age / half-life), the age counted
 * from the newest row by the spec's time column.
 */
export function trainingTable(
  history: Table | undefined,
  labelled: readonly LabelledRow[],
  spec: TargetSpec,
  halfLifeDays = Number.POSITIVE_INFINITY
): Table {
  const columns = [
    spec.labelColumn,
    ...spec.textColumns,
    ...spec.contextColumns,
    ...(spec.timeColumn ? [spec.timeColumn] : []),
  ];
  const labelledIds = new Set(labelled.map((row) => row.id).filter(Boolean));
  const rows = [...(history?.rows ?? []).filter((row) => !labelledIds.has(row.id ?? '')), ...labelled];
  // The spec's time column (a ticket's opening, a line's time); the history and the labels share it.
  const timeColumn = spec.timeColumn ?? 'opened_at';
  const timeOf = (row: Record<string, string>) => Date.parse(row[timeColumn] ?? '');
  const newest = rows.reduce(
    (max, row) => (Number.isFinite(timeOf(row)) ? Math.max(max, timeOf(row)) : max),
    Number.NEGATIVE_INFINITY
  );
  return {
    columns: [...columns, WEIGHT_COLUMN],
    rows: rows.map((row) => {
      const age = Number.isFinite(timeOf(row)) && Number.isFinite(newest) ? (newest - timeOf(row)) / DAY_MS : 0;
      const weight = Number.isFinite(halfLifeDays) ? Math.max(0.5 ** (age / halfLifeDays), 1e-6) : 1;
      return { ...Object.fromEntries(columns.map((c) => [c, row[c] ?? ''])), [WEIGHT_COLUMN]: String(weight) };
    }),
  };
}
