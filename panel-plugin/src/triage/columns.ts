/** Columns an operator can choose in the panel options. The expand and feedback controls are always there. */
export const TRIAGE_COLUMNS = [
  'priority',
  'age',
  'review',
  'ticket',
  'summary',
  'class',
  'department',
  'site',
  'host',
  'status',
  'assignee',
  'mttr',
  'confidence',
  'rootCause',
  'feedback',
] as const;
export type TriageColumn = (typeof TRIAGE_COLUMNS)[number];

export const COLUMN_LABELS: Record<TriageColumn, string> = {
  priority: 'Priority',
  age: 'Age',
  review: 'Review',
  ticket: 'Ticket',
  summary: 'Summary',
  class: 'Class',
  department: 'Department',
  site: 'Site',
  host: 'Device',
  status: 'Status',
  assignee: 'Assignee',
  mttr: 'MTTR p50 / p90',
  confidence: 'Confidence',
  rootCause: 'Root cause',
  feedback: 'Feedback',
};

export function isTriageColumn(value: unknown): value is TriageColumn {
  return typeof value === 'string' && (TRIAGE_COLUMNS as readonly string[]).includes(value);
}
