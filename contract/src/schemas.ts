import { z } from 'zod';
import { DECISIONS, EVENT_CLASSES } from './vocabulary';
import { seriesTagNames, type SeriesKind } from './outputSeries';
import { anyOf, anyOfValues } from './anyOf';
import { departmentFilter } from './departmentFilter';
import { tagValue } from './tagValue';
import { wholeNumber } from './wholeNumber';
import { isOrderedRange, RANGE_ORDER_ISSUE, timeRangeShape } from './timeExpression';

/**
 * GET /api/events query string. `from`/`to` are epoch milliseconds, as Grafana's time range gives
 * them, or relative times (`now-7d`) resolved at `nowMs`. Each filter takes one value or a comma-separated
 * list of them, any of which matches (`anyOf`). Another parameter is refused. An event stores no department:
 * `department` keeps the events the routing sends there (by class, and by device kind for hardware).
 */
export function eventsQuerySchema(nowMs: number, ticketDepartments: Iterable<string> = []) {
  return z
    .object({
      ...timeRangeShape(nowMs),
      class: anyOfValues(EVENT_CLASSES).optional(),
      decision: anyOfValues(DECISIONS).optional(),
      host: anyOf(tagValue()).optional(),
      site: anyOf(tagValue()).optional(),
      department: departmentFilter(ticketDepartments).optional(),
      limit: wholeNumber(1, 10_000).default(1000),
    })
    .strict()
    .refine(isOrderedRange, RANGE_ORDER_ISSUE);
}

export type EventsQuery = z.infer<ReturnType<typeof eventsQuerySchema>>;

/**
 * GET /api/events/filter query string: the departments whose events an InfluxDB panel on aiops_events keeps,
 * as the events list's `department` filter; without it, every event.
 */
export function eventsFilterQuerySchema(ticketDepartments: Iterable<string> = []) {
  return z.object({ department: departmentFilter(ticketDepartments).optional() }).strict();
}

/**
 * GET /api/series/:kind query string: the time range, a limit, and an exact-match filter on any
 * tag of that series (`site`, `host`, `state`, `model`…), one value or a comma-separated list of them
 * (`anyOf`). Another parameter is refused, so a typo
 * in a filter is an error rather than a silently unfiltered answer. Times as in `eventsQuerySchema`.
 */
export function seriesQuerySchema(kind: SeriesKind, nowMs: number) {
  const filters = Object.fromEntries(seriesTagNames(kind).map((tag) => [tag, anyOf(tagValue()).optional()]));
  return z
    .object({
      ...timeRangeShape(nowMs),
      limit: wholeNumber(1, 10_000).default(1000),
      ...filters,
    })
    .strict()
    .refine(isOrderedRange, RANGE_ORDER_ISSUE);
}

export interface SeriesQuery {
  from?: number;
  to?: number;
  limit: number;
  /** Tag name → the exact values, any of which matches. */
  filters: Record<string, string[]>;
}

/** Splits a parsed series query string into the range, the limit and the tag filters. */
export function toSeriesQuery(parsed: Record<string, unknown>): SeriesQuery {
  const { from, to, limit, ...rest } = parsed as { from?: number; to?: number; limit: number } & Record<
    string,
    unknown
  >;
  const filters: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(rest)) if (Array.isArray(values)) filters[name] = values.map(String);
  return { from, to, limit, filters };
}
