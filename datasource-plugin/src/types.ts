import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import type { ClassifiedEvent, SeriesKind, SeriesPage, TicketsPage } from '@nocai/contract';
import { isSeriesKind } from '@nocai/contract/dist/outputSeries';

/**
 * Every kind of result the backend writes to InfluxDB, all served by the backend: events and tickets by their
 * own routes, the others (the contract's `SERIES_KINDS`) by `GET /api/series/:kind`. Saved dashboards store
 * these values as `queryType`, so new ones are appended and existing ones never renamed.
 */
export const QUERY_TYPES = [
  'events',
  'tickets',
  'anomalies',
  'forecasts',
  'silences',
  'maintenance',
  'models',
  'drift',
  'problems',
] as const;
export type NocaiQueryType = (typeof QUERY_TYPES)[number];

/** Classified log lines and alerts (`GET /api/events`). Filter values may contain template variables. */
export interface EventsQuery extends DataQuery {
  queryType: 'events';
  /** Sent as `class`; named `eventClass` because that is the field name in the returned frame. */
  eventClass?: string;
  host?: string;
  site?: string;
  /**
   * Events the routing sends to this department (the backend turns it into the classes, and device kinds, it
   * covers: the events have no department of their own), so an events panel follows `$department` like tickets.
   */
  department?: string;
  decision?: string;
  limit?: number;
}

/** Tickets (`GET /api/tickets`), newest first as the backend pages them. Filters may be template variables. */
export interface TicketsQuery extends DataQuery {
  queryType: 'tickets';
  status?: string;
  site?: string;
  /** A device's tickets: its own, and those of incidents it is part of. */
  host?: string;
  department?: string;
  priority?: string;
  /**
   * Complaints by their linked ticket's status (`parentStatus`): `resolved,closed` lists those whose incident
   * ended, which still wait for their reporter's confirmation when `status` is an active one.
   */
  parentStatus?: string;
  limit?: number;
  /**
   * One number instead of the tickets: how many match the filters and time range (the backend's `total`),
   * however many that is. A stat counting the rows of a page would stop at the page's limit.
   */
  count?: boolean;
}

/**
 * A result series (`GET /api/series/:kind`): anomalies, forecasts, silences, maintenance, model metrics or
 * drift. The tags differ per kind (contract `SERIES_BY_KIND`), so filters are one map instead of one property
 * per tag; Grafana saves it as it is in the dashboard JSON.
 */
export interface SeriesQuery extends DataQuery {
  queryType: Exclude<SeriesKind, 'problems'>;
  /** InfluxDB tag name → exact value, e.g. `{ site: '$site', device_kind: 'ups' }`. May be template variables. */
  filters?: Record<string, string>;
  limit?: number;
}

/** What a problems query shows: the probability series, or the alerts (tickets) with their verdicts. */
export const PROBLEM_VIEWS = ['probability', 'alerts'] as const;
export type ProblemView = (typeof PROBLEM_VIEWS)[number];

/**
 * A predicted problem (issue 12). `probability`: `aiops_problems` through `GET /api/series/problems`, one frame
 * per entity plus the model's threshold; `alerts`: the tickets its alerts opened (`GET /api/tickets?problem=`),
 * with operators' verdicts, in the tickets frame the triage panel reads. `problem` and `entity` may be template
 * variables; without `entity`, every entity.
 */
export interface ProblemsQuery extends DataQuery {
  queryType: 'problems';
  problem?: string;
  entity?: string;
  /** Absent means `probability`, what a new problems query shows first. */
  what?: ProblemView;
  limit?: number;
}

export type NocaiQuery = EventsQuery | TicketsQuery | SeriesQuery | ProblemsQuery;

export function isEventsQuery(query: NocaiQuery): query is EventsQuery {
  return query.queryType === 'events';
}

export function isTicketsQuery(query: NocaiQuery): query is TicketsQuery {
  return query.queryType === 'tickets';
}

/** Problems are served by the series route too, but their query has its own shape (see `ProblemsQuery`). */
export function isSeriesQuery(query: NocaiQuery): query is SeriesQuery {
  return isSeriesKind(query.queryType) && query.queryType !== 'problems';
}

export function isProblemsQuery(query: NocaiQuery): query is ProblemsQuery {
  return query.queryType === 'problems';
}

export function isProblemView(value: unknown): value is ProblemView {
  return typeof value === 'string' && (PROBLEM_VIEWS as readonly string[]).includes(value);
}

export function isNocaiQueryType(value: unknown): value is NocaiQueryType {
  return typeof value === 'string' && (QUERY_TYPES as readonly string[]).includes(value);
}

/** Enough rows for a triage table without making the browser build a huge frame. */
export const DEFAULT_EVENTS_LIMIT = 500;

/** The backend's own default page; its maximum is 1000 (contract `ticketsQuerySchema`). */
export const DEFAULT_TICKETS_LIMIT = 100;
export const MAX_TICKETS_LIMIT = 1000;

/** The one field of a tickets count (`TicketsQuery.count`): the number a stat panel shows. */
export const TICKET_COUNT_FIELD = 'tickets';

/**
 * The backend's default and maximum for `/api/series/:kind` (contract `seriesQuerySchema`), copied because
 * importing that module at runtime would bundle zod into the plugin.
 */
export const DEFAULT_SERIES_LIMIT = 1000;
export const MAX_SERIES_LIMIT = 10_000;

export const DEFAULT_QUERY: Partial<EventsQuery> = {
  queryType: 'events',
  limit: DEFAULT_EVENTS_LIMIT,
};

/** What a new annotation query runs: incidents are tickets, drawn as regions from opened to resolved. */
export const DEFAULT_ANNOTATION_QUERY: Omit<TicketsQuery, 'refId'> = {
  queryType: 'tickets',
  limit: DEFAULT_TICKETS_LIMIT,
};

/**
 * Stored in the data source's jsonData, which every user who can query the data source can read.
 * `url` is the backend base URL as the Grafana server (not the browser) reaches it: the proxy route in
 * plugin.json sends requests there.
 */
export interface NocaiOptions extends DataSourceJsonData {
  url?: string;
}

/**
 * Stored encrypted by Grafana and never sent to the browser (the config page only learns whether it is set,
 * through `secureJsonFields`). The data source proxy decrypts it server side and puts it in the
 * Authorization header of the plugin.json route.
 */
export interface NocaiSecureJsonData {
  apiToken?: string;
}

export interface EventsResponse {
  events: ClassifiedEvent[];
}

export type { SeriesKind, SeriesPage, TicketsPage };
