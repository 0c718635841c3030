import type { MetricFindValue } from '@grafana/data';

import { EVENT_CLASSES, PRIORITIES, TICKET_STATUSES } from './vocabulary';

/**
 * What a template variable query asks for. The variable editor is Grafana's plain text box, so the query is
 * one of these words (case and surrounding spaces ignored).
 */
export const VARIABLE_KINDS = ['sites', 'departments', 'hosts', 'classes', 'priorities', 'statuses'] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

/**
 * Kinds whose values the backend knows (`GET /api/values/site|host|department`): the sites and hosts, and the
 * departments a ticket may be in (the six, then the organisation's own that tickets carry or the serving
 * department model routes to).
 */
const VALUES_TAGS = { sites: 'site', hosts: 'host', departments: 'department' } as const;
type BackendKind = keyof typeof VALUES_TAGS;

/**
 * `events routed to $department`: one value, the InfluxQL condition on aiops_events that keeps the events the
 * routing sends to those departments (`GET /api/events/filter`), for InfluxDB panels to follow `$department`
 * (`WHERE ${routed:raw}`): an event stores no department of its own. `silences routed to $department` and
 * `anomalies routed to $department` are the same for the device-level series aiops_silences and aiops_anomalies
 * (`GET /api/series/silences|anomalies/filter`): the devices whose silence or anomaly those departments get.
 */
export const ROUTED_EVENTS_QUERY = 'events routed to';
export const ROUTED_QUERIES = [ROUTED_EVENTS_QUERY, 'silences routed to', 'anomalies routed to'] as const;
const ROUTED = /^(events|silences|anomalies)\s+routed\s+to(?:\s+(.*))?$/is;

/** What a routed condition is asked for: classified events, or one of the device-level series. */
export type RoutedKind = 'events' | 'silences' | 'anomalies';

/** A variable query: a kind of values, or the points routed to the departments `departments` names. */
export type VariableQuery = { kind: VariableKind } | { kind: 'routed'; of: RoutedKind; departments: string };

export function parseVariableQuery(query: unknown): VariableQuery | undefined {
  // Dashboards saved by Grafana versions that wrap legacy variable queries store `{ query: '…' }`.
  const text = typeof query === 'object' && query !== null && 'query' in query ? query.query : query;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const routed = ROUTED.exec(trimmed);
  if (routed) {
    return { kind: 'routed', of: routed[1].toLowerCase() as RoutedKind, departments: routed[2]?.trim() ?? '' };
  }
  const kind = VARIABLE_KINDS.find((known) => known === trimmed.toLowerCase());
  return kind === undefined ? undefined : { kind };
}

export function needsBackendData(kind: VariableKind): kind is BackendKind {
  return kind in VALUES_TAGS;
}

/** The backend's tag (`GET /api/values/:tag`) of a kind whose values it knows. */
export function valuesTagOf(kind: VariableKind): (typeof VALUES_TAGS)[BackendKind] | undefined {
  return needsBackendData(kind) ? VALUES_TAGS[kind] : undefined;
}

/**
 * Sites, hosts and departments are those the backend returned (`observed`), so `$department` offers the
 * organisation's own departments too; the closed sets (classes, priorities, statuses) come from the contract.
 */
export function variableValues(kind: VariableKind, observed: readonly string[]): MetricFindValue[] {
  const values = (() => {
    switch (kind) {
      case 'sites':
      case 'hosts':
      case 'departments':
        return [...observed];
      case 'classes':
        return [...EVENT_CLASSES];
      case 'priorities':
        return [...PRIORITIES];
      case 'statuses':
        return [...TICKET_STATUSES];
    }
  })();
  const distinct = Array.from(new Set(values.filter((value) => value !== '')));
  // Sites and hosts are sorted for a stable dropdown; the departments keep the backend's order (the six, then the
  // organisation's own) and the closed sets theirs (P1 first).
  const ordered = kind === 'sites' || kind === 'hosts' ? distinct.sort((a, b) => a.localeCompare(b)) : distinct;
  return ordered.map((text) => ({ text, value: text }));
}
