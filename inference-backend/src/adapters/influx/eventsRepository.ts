import {
  isDepartment,
  OUTPUT,
  type ClassifiedEvent,
  type Decision,
  type Department,
  type EventClass,
  type EventsQuery,
} from '@nocai/contract';
import { eventsRoutedTo, type RoutedEvents, type RoutingKind } from '../../domain/incidents';
import type { InfluxClient } from './client';
import {
  anyOfCondition,
  equalsCondition,
  noneOfCondition,
  quoteIdentifier,
  regexLiteralFor,
  timeLiteralUs,
} from './influxql';

const E = OUTPUT.events;
const RELATED_DECISIONS: readonly Decision[] = ['alert', 'needs_review'];
const KIND_TAGS: Record<RoutingKind, string> = { deviceKind: E.tags.deviceKind, siteKind: E.tags.siteKind };

/** Reads aiops_events back for the API; snake_case Influx names become camelCase here. */
export class EventsRepository {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    /** Power's department per site kind (NOCAI_POWER_DEPARTMENT_BY_SITE_KIND), as the routing has it. */
    private readonly powerDepartmentBySiteKind: Partial<Record<string, Department>> = {}
  ) {}

  async find(query: EventsQuery, nowMs: number): Promise<ClassifiedEvent[]> {
    const toMs = query.to ?? nowMs;
    const fromMs = query.from ?? toMs - 3_600_000;
    const where = [`time >= ${timeLiteralUs(fromMs * 1000)}`, `time <= ${timeLiteralUs(toMs * 1000)}`];
    if (query.class) where.push(anyOfCondition(E.tags.eventClass, query.class));
    if (query.host) where.push(anyOfCondition(E.tags.hostname, query.host));
    if (query.site) where.push(anyOfCondition(E.tags.site, query.site));
    if (query.decision) where.push(anyOfCondition(E.fields.decision, query.decision));
    if (query.department) {
      const routed = routedCondition(routesTo(query.department, this.powerDepartmentBySiteKind));
      if (routed === undefined) return [];
      where.push(routed);
    }
    return this.select(where, 'DESC', query.limit);
  }

  /**
   * Every value of one of aiops_events' tags (`site`, `hostname`) in the database, as InfluxDB's
   * index holds them (InfluxDB 1.x ignores a time range here; retention bounds them).
   */
  async tagValues(tag: 'site' | 'hostname'): Promise<string[]> {
    const q = `SHOW TAG VALUES FROM ${quoteIdentifier(E.measurement)} WITH KEY = ${quoteIdentifier(E.tags[tag === 'site' ? 'site' : 'hostname'])}`;
    const series = await this.client.query(this.database, q);
    return series.flatMap((s) => s.rows.map((row) => str(row.value)));
  }

  /**
   * The alerts of `hosts` between `fromMs` and `toMs`, oldest first: the events that made a ticket's
   * incident (decision `alert`, or `needs_review` when the classifier was unsure; the retraining
   * also asks for `false_alarm`, an alert that recovered by itself).
   */
  async related(
    hosts: readonly string[],
    fromMs: number,
    toMs: number,
    limit: number,
    decisions: readonly Decision[] = RELATED_DECISIONS
  ): Promise<ClassifiedEvent[]> {
    if (hosts.length === 0) return [];
    const where = [
      `time >= ${timeLiteralUs(fromMs * 1000)}`,
      `time <= ${timeLiteralUs(toMs * 1000)}`,
      `${quoteIdentifier(E.tags.hostname)} =~ ${regexLiteralFor(hosts)}`,
      `${quoteIdentifier(E.fields.decision)} =~ ${regexLiteralFor(decisions)}`,
    ];
    return this.select(where, 'ASC', limit);
  }

  private async select(where: string[], order: 'ASC' | 'DESC', limit: number): Promise<ClassifiedEvent[]> {
    const columns = [...Object.values(E.fields), ...Object.values(E.tags)].map(quoteIdentifier).join(', ');
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(E.measurement)} WHERE ${where.join(' AND ')} ` +
      `ORDER BY time ${order} LIMIT ${limit}`;
    const series = await this.client.query(this.database, q);
    return (series[0]?.rows ?? []).map((row) => ({
      timeUs: Number(row.time),
      hostname: str(row[E.tags.hostname]),
      appname: str(row[E.tags.appname]),
      facility: str(row[E.tags.facility]),
      severity: str(row[E.tags.severity]),
      site: str(row[E.tags.site]),
      siteKind: str(row[E.tags.siteKind]),
      deviceKind: str(row[E.tags.deviceKind]),
      eventClass: str(row[E.tags.eventClass]) as EventClass,
      decision: str(row[E.fields.decision]) as Decision,
      templateId: str(row[E.fields.templateId]),
      template: str(row[E.fields.template]),
      message: str(row[E.fields.message]),
      confidence: Number(row[E.fields.confidence] ?? 0),
      modelVersion: str(row[E.fields.modelVersion]),
    }));
  }
}

/**
 * The events routed to `departments` as one InfluxQL condition on aiops_events, the one the events list filters
 * by: for a dashboard's InfluxDB panels (`GET /api/events/filter`). Without departments, every event; when no
 * event goes to any of them, none.
 */
export function routedEventsCondition(
  departments: readonly string[] | undefined,
  powerDepartmentBySiteKind: Partial<Record<string, Department>> = {}
): string {
  if (departments === undefined) return EVERY_EVENT;
  return routedCondition(routesTo(departments, powerDepartmentBySiteKind)) ?? NO_EVENT;
}

// The log stage tags every event with its class; a regex matching anything also matches an absent tag.
const EVERY_EVENT = `${quoteIdentifier(E.tags.eventClass)} =~ /.*/`;
const NO_EVENT = `(${equalsCondition(E.tags.eventClass, '')} AND ${noneOfCondition(E.tags.eventClass, [''])})`;

/**
 * An event stores no department: the routing's rules say which events go there, power by the site kind where
 * NOCAI_POWER_DEPARTMENT_BY_SITE_KIND says so. A department only tickets carry (one a department model trained on
 * an organisation's own history routes to) gets no event.
 */
function routesTo(
  departments: readonly string[],
  powerDepartmentBySiteKind: Partial<Record<string, Department>>
): RoutedEvents[] {
  return eventsRoutedTo(departments.filter(isDepartment), powerDepartmentBySiteKind);
}

/**
 * Routed events as one InfluxQL condition, undefined when there are none: the classes routed whole in one
 * `class` filter, each other class with its device or site kinds (`class = 'hardware' AND "device_kind" =~ …`).
 */
function routedCondition(routes: readonly RoutedEvents[]): string | undefined {
  const isWhole = (route: RoutedEvents) => route.only === undefined && route.except.length === 0;
  const whole = routes.filter(isWhole).map((route) => route.eventClass);
  const terms = whole.length > 0 ? [anyOfCondition(E.tags.eventClass, whole)] : [];
  for (const route of routes.filter((r) => !isWhole(r))) {
    const parts = [equalsCondition(E.tags.eventClass, route.eventClass)];
    if (route.only) parts.push(anyOfCondition(KIND_TAGS[route.only.of], route.only.kinds));
    for (const except of route.except) parts.push(noneOfCondition(KIND_TAGS[except.of], except.kinds));
    terms.push(`(${parts.join(' AND ')})`);
  }
  if (terms.length === 0) return undefined;
  return terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
}

/** Tags of the aiops_events point a line produced, to rewrite its decision later. */
export async function eventTagsAt(
  client: InfluxClient,
  database: string,
  hostname: string,
  timeUs: number
): Promise<Record<string, string> | undefined> {
  const tagNames = Object.values(E.tags);
  const q =
    `SELECT ${quoteIdentifier(E.fields.decision)}, ${tagNames.map(quoteIdentifier).join(', ')} FROM ${quoteIdentifier(E.measurement)} ` +
    `WHERE ${equalsCondition(E.tags.hostname, hostname)} AND time = ${timeLiteralUs(timeUs)}`;
  const row = (await client.query(database, q))[0]?.rows[0];
  if (!row) return undefined;
  const tags: Record<string, string> = {};
  for (const name of tagNames) if (typeof row[name] === 'string' && row[name] !== '') tags[name] = row[name] as string;
  return tags;
}

function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
