import { createDataFrame, type DataFrame, type FieldConfig, FieldType } from '@grafana/data';
import type { Ticket } from '@nocai/contract';
import { TICKET_SERIES } from '@nocai/contract/dist/series';

import { TICKET_COUNT_FIELD } from './types';

/**
 * Marks frames this data source built, in `meta.custom`. The triage panel offers feedback buttons only on
 * such frames (ticket frames read straight from InfluxDB are read-only there) and, when its options name no
 * feedback data source, posts feedback to `datasourceUid`.
 */
export interface NocaiFrameMeta {
  source: 'nocai-inference-datasource';
  datasourceUid: string;
}

const NAMES = TICKET_SERIES.fields;
const TAGS = TICKET_SERIES.tags;

type Column = {
  name: string;
  type: FieldType;
  config?: FieldConfig;
  value: (ticket: Ticket) => string | number | boolean | null;
};

/**
 * Field names are the `aiops_tickets` names of the contract (snake_case), so that the triage panel and any
 * table read the same columns whether the frame comes from here or from InfluxDB. Column order: what an
 * operator reads first comes first.
 */
const COLUMNS: readonly Column[] = [
  // The ticket's age counts from when it opened, not from its last state change.
  { name: 'time', type: FieldType.time, value: (ticket) => ticket.openedAtMs },
  { name: NAMES.ticketId, type: FieldType.string, value: (ticket) => ticket.id },
  { name: TAGS.priority, type: FieldType.string, value: (ticket) => ticket.priority },
  { name: NAMES.title, type: FieldType.string, value: (ticket) => ticket.title },
  { name: TAGS.eventClass, type: FieldType.string, value: (ticket) => ticket.eventClass },
  { name: TAGS.department, type: FieldType.string, value: (ticket) => ticket.department },
  { name: TAGS.site, type: FieldType.string, value: (ticket) => ticket.site },
  { name: NAMES.host, type: FieldType.string, value: (ticket) => ticket.host },
  { name: NAMES.deviceKind, type: FieldType.string, value: (ticket) => ticket.deviceKind },
  { name: TAGS.status, type: FieldType.string, value: (ticket) => ticket.status },
  {
    name: NAMES.confidence,
    type: FieldType.number,
    // A probability: shown as a percentage, bounded so colour scales do not stretch to the data.
    config: { unit: 'percentunit', min: 0, max: 1 },
    value: (ticket) => ticket.confidence,
  },
  { name: NAMES.mttrP50S, type: FieldType.number, config: { unit: 's' }, value: (ticket) => ticket.mttrP50Seconds },
  { name: NAMES.mttrP90S, type: FieldType.number, config: { unit: 's' }, value: (ticket) => ticket.mttrP90Seconds },
  { name: NAMES.rootCause, type: FieldType.string, value: (ticket) => ticket.rootCause?.description ?? null },
  { name: NAMES.needsReview, type: FieldType.boolean, value: (ticket) => ticket.needsReview },
  { name: NAMES.relatedAlerts, type: FieldType.number, value: (ticket) => ticket.relatedAlertCount },
  // JSON text, exactly as aiops_tickets stores it, so one parser in the panel serves both sources.
  { name: NAMES.explanation, type: FieldType.string, value: (ticket) => JSON.stringify(ticket.explanation) },
  { name: NAMES.similar, type: FieldType.string, value: (ticket) => JSON.stringify(ticket.similarTickets) },
  { name: NAMES.feedbackVerdict, type: FieldType.string, value: (ticket) => ticket.feedback?.verdict ?? null },
  { name: NAMES.feedbackComment, type: FieldType.string, value: (ticket) => ticket.feedback?.comment ?? null },
  {
    name: NAMES.resolvedAtMs,
    type: FieldType.number,
    config: { unit: 'dateTimeAsIso' },
    value: (ticket) => ticket.resolvedAtMs ?? null,
  },
  { name: NAMES.modelVersion, type: FieldType.string, value: (ticket) => ticket.modelVersion },
  // The workflow: the version a change must be made against, who has it, what was said and changed last.
  { name: NAMES.version, type: FieldType.number, value: (ticket) => ticket.version ?? 0 },
  { name: NAMES.assignee, type: FieldType.string, value: (ticket) => ticket.assignee ?? null },
  { name: NAMES.comments, type: FieldType.string, value: (ticket) => JSON.stringify(ticket.comments ?? []) },
  {
    name: NAMES.predicted,
    type: FieldType.string,
    value: (ticket) => (ticket.predicted ? JSON.stringify(ticket.predicted) : null),
  },
  // The routing fields a person set (JSON array text): the panel names them even where the models now agree.
  {
    name: NAMES.corrected,
    type: FieldType.string,
    value: (ticket) => (ticket.corrected?.length ? JSON.stringify(ticket.corrected) : null),
  },
  { name: NAMES.changedBy, type: FieldType.string, value: (ticket) => ticket.change?.by ?? null },
  { name: NAMES.changeSummary, type: FieldType.string, value: (ticket) => ticket.change?.summary ?? null },
  { name: NAMES.mttrNote, type: FieldType.string, value: (ticket) => ticket.mttrNote ?? null },
  // Why the time to resolve is what it is (issue 12): JSON text like `explanation`; empty for a baseline's estimate.
  {
    name: NAMES.mttrFactors,
    type: FieldType.string,
    value: (ticket) => (ticket.mttrFactors?.length ? JSON.stringify(ticket.mttrFactors) : null),
  },
  // Predicted problems (issue 12): which problem raised the ticket, and what would have avoided it.
  { name: NAMES.problem, type: FieldType.string, value: (ticket) => ticket.problem ?? null },
  { name: NAMES.recommendation, type: FieldType.string, value: (ticket) => ticket.recommendation ?? null },
];

/** One row per ticket, in the order the backend listed them. */
export function ticketsToFrame(tickets: readonly Ticket[], refId: string, datasourceUid: string): DataFrame {
  const custom: NocaiFrameMeta = { source: 'nocai-inference-datasource', datasourceUid };
  return createDataFrame({
    refId,
    name: 'tickets',
    meta: { preferredVisualisationType: 'table', custom },
    fields: COLUMNS.map(({ name, type, config, value }) => ({
      name,
      type,
      config: config ?? {},
      values: tickets.map(value),
    })),
  });
}

/** How many tickets match, as one row: `total` of the backend's page, not the length of the page. */
export function ticketCountToFrame(total: number, refId: string): DataFrame {
  return createDataFrame({
    refId,
    name: 'tickets',
    fields: [{ name: TICKET_COUNT_FIELD, type: FieldType.number, config: {}, values: [total] }],
  });
}
