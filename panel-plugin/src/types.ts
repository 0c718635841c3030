import { TRIAGE_COLUMNS, type TriageColumn } from './triage/columns';
import type { TriageSort } from './triage/rows';

export interface TriageOptions {
  /**
   * uid of the NOC AI data source that receives Validate / Invalidate / Avoided. Empty: the data source
   * that produced the ticket frames, when it is a NOC AI one.
   */
  feedbackDatasourceUid?: string;
  /** Columns shown, among those that have data. */
  columns: TriageColumn[];
  /** Rows per page of the triage table. */
  pageSize: number;
  /** Order of the rows in the table. */
  defaultSort: TriageSort;
}

/** The only place option defaults live: the options builder and the panel both read them from here. */
export const DEFAULT_TRIAGE_OPTIONS: TriageOptions = {
  // The ticket id is long and says nothing at a glance: it is in the expanded row, and a column on request.
  columns: TRIAGE_COLUMNS.filter((column) => column !== 'ticket'),
  pageSize: 25,
  defaultSort: 'priority',
};
