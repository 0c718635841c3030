import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';

/**
 * Every kind of result the backend writes to InfluxDB. All are declared now so that saved dashboards
 * keep a stable `queryType` value; only `events` is served by the current backend, the others answer
 * with an explicit error until their API endpoints exist.
 */
export const QUERY_TYPES = [
  'events',
  'tickets',
  'anomalies',
  'forecasts',
  'silences',
  'maintenance',
  'models',
] as const;
export type NocaiQueryType = (typeof QUERY_TYPES)[number];

export const IMPLEMENTED_QUERY_TYPES: readonly NocaiQueryType[] = ['events'];

/** Classified log lines and alerts (`GET /api/events`). Filter values may contain template variables. */
export interface EventsQuery extends DataQuery {
  queryType: 'events';
  /** Sent as `class`; named `eventClass` because that is the field name in the returned frame. */
  eventClass?: string;
  host?: string;
  decision?: string;
  limit?: number;
}

/** A query type the current backend does not serve yet: it has no filters until its endpoint exists. */
export interface NotYetServedQuery extends DataQuery {
  queryType: Exclude<NocaiQueryType, 'events'>;
}

export type NocaiQuery = EventsQuery | NotYetServedQuery;

export function isEventsQuery(query: NocaiQuery): query is EventsQuery {
  return query.queryType === 'events';
}

export function isNocaiQueryType(value: unknown): value is NocaiQueryType {
  return typeof value === 'string' && (QUERY_TYPES as readonly string[]).includes(value);
}

/** Enough rows for a triage table without making the browser build a huge frame. */
export const DEFAULT_EVENTS_LIMIT = 500;

export const DEFAULT_QUERY: Partial<EventsQuery> = {
  queryType: 'events',
  limit: DEFAULT_EVENTS_LIMIT,
};

/**
 * Grafana only applies DEFAULT_QUERY to queries created in the editor; a query written by hand in a
 * provisioned dashboard may have no `queryType`, and then it means events.
 */
export function withDefaultQueryType(query: NocaiQuery): NocaiQuery {
  // Read through a wider type: NocaiQuery promises a queryType, saved JSON does not.
  const queryType: string | undefined = query.queryType;
  return queryType ? query : { ...query, queryType: 'events' };
}

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

/**
 * One classified log line or alert, as `GET /api/events` returns it.
 * Mirrors `ClassifiedEvent` in contract/src/api.ts; the plugins do not depend on the contract package, so
 * keep the two in step.
 */
export interface ClassifiedEvent {
  /** Microseconds since the epoch (InfluxDB precision), not milliseconds. */
  timeUs: number;
  hostname: string;
  appname: string;
  facility: string;
  severity: string;
  site: string;
  siteKind: string;
  deviceKind: string;
  eventClass: string;
  decision: string;
  templateId: string;
  template: string;
  message: string;
  /** Model probability for the chosen class, between 0 and 1. */
  confidence: number;
  modelVersion: string;
}

export interface EventsResponse {
  events: ClassifiedEvent[];
}

export interface HealthResponse {
  status: string;
}

/** Body of every 4xx/5xx the backend answers. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}
