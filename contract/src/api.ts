import type { RefusedAlert, Ticket, TicketHistoryEntry } from './tickets';
import type { Decision, EventClass, PlaceTag } from './vocabulary';

/** GET /healthz and /readyz bodies. */
export interface HealthResponse {
  status: 'ok' | 'unavailable';
  checks?: Record<string, { ok: boolean; message?: string }>;
}

/** Error body of every 4xx/5xx the backend returns. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** POST /api/alerts/grafana body (202): what its alerts did, and those refused (none: an empty list). */
export interface GrafanaWebhookAnswer {
  /** The tickets opened, reopened or resolved. */
  tickets: Ticket[];
  /** Alerts of the product's own rules (label `nocai_rule`), taken in as no ticket. */
  ignored: number;
  /** Resolved alerts of no ticket held, which change nothing. */
  unmatched: number;
  /** Alerts no ticket can hold, left out of the notification; its other alerts are taken in. */
  refused: RefusedAlert[];
}

/** One classified log line or alert, as written to aiops_events. */
export interface ClassifiedEvent {
  timeUs: number;
  hostname: string;
  appname: string;
  facility: string;
  severity: string;
  site: string;
  siteKind: string;
  deviceKind: string;
  eventClass: EventClass;
  decision: Decision;
  templateId: string;
  template: string;
  message: string;
  confidence: number;
  modelVersion: string;
}

/**
 * GET /api/values/:tag body: every site or host the backend knows (the tags of aiops_events, the tickets',
 * the inventory's), sorted, for a template variable or a filter's choices.
 */
export interface PlaceValues {
  tag: PlaceTag;
  values: string[];
}

/**
 * GET /api/values/department body: every department a ticket may be in (a correction or a list filter accepts),
 * the six first, then the organisation's own (those tickets carry, those the serving department model routes to),
 * sorted: for `$department` and the triage panel's correction.
 */
export interface DepartmentValues {
  tag: 'department';
  values: string[];
}

/**
 * GET /api/events/filter body: an InfluxQL condition on aiops_events that keeps the events the routing sends to
 * the departments asked for, as GET /api/events?department= does. An event stores no department (a tag would
 * cost every classified line a longer series key), so a dashboard's InfluxDB panels follow `$department` with
 * this condition, which the NOC AI data source offers as a template variable.
 */
export interface EventsFilter {
  influxql: string;
}

/** One point of a result series: its time, its tags and its fields, under their InfluxDB names. */
export interface SeriesRow {
  timeMs: number;
  tags: Record<string, string>;
  fields: Record<string, string | number | boolean | null>;
}

/** GET /api/series/:kind body: newest first. */
export interface SeriesPage {
  kind: string;
  measurement: string;
  rows: SeriesRow[];
}

/**
 * GET /api/tickets/:id body (its `ETag` header is the ticket's version): the ticket, its related
 * alerts (the `aiops_events` alerts of its devices while it was open, oldest first) and its related
 * tickets (the other tickets of its devices open at the same time, most urgent first: the outage a
 * complaint is about, the complaints about an outage).
 */
export interface TicketDetailResponse {
  ticket: Ticket;
  relatedAlerts: ClassifiedEvent[];
  relatedTickets: RelatedTicket[];
  /**
   * The ticket's `parentId` as it is now, in brief: a technician on the complaint sees whether the incident behind
   * it is still being worked on or was resolved (then the complaint is confirmed with its reporter and resolved).
   * Absent when the ticket has no parent, or the parent is no longer held (past the retention).
   */
  parent?: RelatedTicket;
}

/** Another ticket of a ticket's devices, open while it was, in brief. */
export type RelatedTicket = Pick<
  Ticket,
  | 'id'
  | 'title'
  | 'status'
  | 'source'
  | 'eventClass'
  | 'department'
  | 'priority'
  | 'openedAtMs'
  | 'resolvedAtMs'
  | 'host'
  | 'parentId'
>;

/** GET /api/tickets/:id/history body: every state change, oldest first. */
export interface TicketHistoryResponse {
  history: TicketHistoryEntry[];
}
