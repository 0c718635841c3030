import type { TriageSort } from './triage/rows';

export interface TriageOptions {
  /** Rows per page of the triage table. */
  pageSize: number;
  /** Order of the rows in the table. */
  defaultSort: TriageSort;
}

/** The only place option defaults live: the options builder and the panel both read them from here. */
export const DEFAULT_TRIAGE_OPTIONS: TriageOptions = {
  pageSize: 25,
  defaultSort: 'priority',
};
