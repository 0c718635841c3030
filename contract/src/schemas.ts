import { z } from 'zod';
import { DECISIONS, EVENT_CLASSES } from './vocabulary';
import { seriesTagNames, type SeriesKind } from './outputSeries';
import { tagValue } from './tagValue';

const epochMs = z.coerce.number().int('must be an integer of milliseconds since the epoch').nonnegative();

/** GET /api/events query string. `from`/`to` are epoch milliseconds, as Grafana's time range gives them. */
export const eventsQuerySchema = z
  .object({
    from: epochMs.optional(),
    to: epochMs.optional(),
    class: z.enum(EVENT_CLASSES).optional(),
    decision: z.enum(DECISIONS).optional(),
    host: tagValue('host').min(1).optional(),
    site: tagValue('site').min(1).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export type EventsQuery = z.infer<typeof eventsQuerySchema>;

/**
 * GET /api/series/:kind query string: the time range, a limit, and an exact-match filter on any
 * tag of that series (`site`, `host`, `state`, `model`…). Another parameter is refused, so a typo
 * in a filter is an error rather than a silently unfiltered answer.
 */
export function seriesQuerySchema(kind: SeriesKind) {
  const filters = Object.fromEntries(seriesTagNames(kind).map((tag) => [tag, tagValue(tag).min(1).optional()]));
  return z
    .object({
      from: epochMs.optional(),
      to: epochMs.optional(),
      limit: z.coerce.number().int().min(1).max(10_000).default(1000),
      ...filters,
    })
    .strict()
    .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
      message: 'from must not be after to',
      path: ['from'],
    });
}

export interface SeriesQuery {
  from?: number;
  to?: number;
  limit: number;
  /** Tag name → exact value. */
  filters: Record<string, string>;
}

/** Splits a parsed series query string into the range, the limit and the tag filters. */
export function toSeriesQuery(parsed: Record<string, unknown>): SeriesQuery {
  const { from, to, limit, ...rest } = parsed as { from?: number; to?: number; limit: number } & Record<
    string,
    unknown
  >;
  const filters: Record<string, string> = {};
  for (const [name, value] of Object.entries(rest)) if (typeof value === 'string') filters[name] = value;
  return { from, to, limit, filters };
}
