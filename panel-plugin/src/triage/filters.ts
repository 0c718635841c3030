import type { TriageRow } from './rows';

/** The panel's own filters, on top of whatever the query already filtered. Unset means "any". */
export interface TriageFilters {
  priority?: string;
  department?: string;
  status?: string;
}

export const FILTER_KEYS = ['priority', 'department', 'status'] as const satisfies ReadonlyArray<keyof TriageFilters>;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function filterRows<R extends TriageRow>(rows: readonly R[], filters: TriageFilters): R[] {
  return rows.filter((row) => FILTER_KEYS.every((key) => !filters[key] || row[key] === filters[key]));
}

/**
 * Values each filter can take: those present in the rows (so the choice never leads to an empty table
 * by itself), plus the current selection even when a refresh removed its last row, so it stays visible and
 * can be cleared. Priorities sort P1 first, the others alphabetically.
 */
export function filterChoices(rows: readonly TriageRow[], filters: TriageFilters): Record<FilterKey, string[]> {
  const choices = (key: FilterKey) => {
    const values = new Set(rows.flatMap((row) => (row[key] === undefined ? [] : [row[key]])));
    const selected = filters[key];
    if (selected) {
      values.add(selected);
    }
    return Array.from(values).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  };
  return { priority: choices('priority'), department: choices('department'), status: choices('status') };
}
