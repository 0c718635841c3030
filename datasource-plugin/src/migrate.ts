import type { NocaiQuery } from './types';

/**
 * Brings a saved query to the current shape. Saved queries live in dashboard JSON (often written by hand
 * or provisioned), so this accepts what version 1 of the plugin and people typing JSON produced:
 *
 * - no `queryType` at all: version 1 only served events, and Grafana applies `getDefaultQuery` only to
 *   queries created in the editor, so a hand-written `{ "refId": "A" }` means events;
 * - `limit` written as a string (`"limit": "50"`), as YAML and hand-written JSON often do; a limit that is
 *   not a positive number is dropped so the backend default applies;
 * - filters written as empty strings (the version 1 editor could leave `""` behind): dropped, since an
 *   empty filter meant "any" and the current shape says so by leaving the key out;
 * - series queries (anomalies, forecasts, silences, maintenance, models) saved while the backend did not serve
 *   them have no `filters`: that is still valid and means the whole series. In a `filters` map, empty values
 *   are dropped like other filters, numbers and booleans become text (YAML reads `version: 3` as a number,
 *   tags are strings), and a map left empty, or that is not a map at all, is dropped.
 *
 * Unknown query types are kept as they are: `query()` reports them as an error the user can see and fix,
 * rather than this silently turning them into something else. Idempotent: migrating twice changes nothing.
 */
export function migrateQuery(saved: NocaiQuery): NocaiQuery {
  // Read through a wider type: NocaiQuery promises a queryType and numeric limits, saved JSON does not.
  const raw: Record<string, unknown> = { ...saved };
  if (raw.queryType === undefined || raw.queryType === null || raw.queryType === '') {
    raw.queryType = 'events';
  }
  for (const key of FILTER_KEYS) {
    if (raw[key] === '' || raw[key] === null) {
      delete raw[key];
    }
  }
  if ('filters' in raw) {
    const filters = toFilters(raw.filters);
    if (filters === undefined) {
      delete raw.filters;
    } else {
      raw.filters = filters;
    }
  }
  if ('limit' in raw) {
    const limit = toPositiveInteger(raw.limit);
    if (limit === undefined) {
      delete raw.limit;
    } else {
      raw.limit = limit;
    }
  }
  return raw as unknown as NocaiQuery;
}

const FILTER_KEYS = ['eventClass', 'host', 'decision', 'status', 'site', 'department', 'priority'] as const;

function toPositiveInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 1 ? Math.floor(number) : undefined;
}

function toFilters(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  const entries = Object.entries(value).flatMap(([tag, filter]): Array<[string, string]> => {
    const text = typeof filter === 'number' || typeof filter === 'boolean' ? String(filter) : filter;
    return typeof text === 'string' && text !== '' ? [[tag, text]] : [];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
