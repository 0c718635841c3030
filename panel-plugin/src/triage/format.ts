import { dateTimeFormat } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Compact duration for a dense table (MTTR, similar tickets): `45s`, `12m`, `3h 05m`, `2d 4h`. Two units at
 * most, because the precision that matters shrinks as durations grow. Negative durations (clock skew) read as `0s`.
 */
export function formatDuration(durationMs: number): string {
  const duration = Math.max(0, durationMs);
  if (duration < MINUTE_MS) {
    return `${Math.floor(duration / SECOND_MS)}s`;
  }
  if (duration < HOUR_MS) {
    return `${Math.floor(duration / MINUTE_MS)}m`;
  }
  if (duration < DAY_MS) {
    const minutes = Math.floor((duration % HOUR_MS) / MINUTE_MS);
    return `${Math.floor(duration / HOUR_MS)}h ${String(minutes).padStart(2, '0')}m`;
  }
  return `${Math.floor(duration / DAY_MS)}d ${Math.floor((duration % DAY_MS) / HOUR_MS)}h`;
}

/**
 * How long ago, in words an operator reads at a glance: `just now`, `12 min ago`, `3 h 05 min ago`, `2 d 4 h ago`.
 * Like `formatDuration`, two units at most; under a minute there is nothing worth counting (the panel refreshes
 * ages every few seconds, not every second). A time slightly in the future (clock skew) reads as `just now`.
 */
export function formatAge(ageMs: number): string {
  const age = Math.max(0, ageMs);
  if (age < MINUTE_MS) {
    return 'just now';
  }
  if (age < HOUR_MS) {
    return `${Math.floor(age / MINUTE_MS)} min ago`;
  }
  if (age < DAY_MS) {
    const minutes = Math.floor((age % HOUR_MS) / MINUTE_MS);
    return minutes === 0
      ? `${Math.floor(age / HOUR_MS)} h ago`
      : `${Math.floor(age / HOUR_MS)} h ${String(minutes).padStart(2, '0')} min ago`;
  }
  const hours = Math.floor((age % DAY_MS) / HOUR_MS);
  return hours === 0 ? `${Math.floor(age / DAY_MS)} d ago` : `${Math.floor(age / DAY_MS)} d ${hours} h ago`;
}

/**
 * An instant as Grafana shows times, in the dashboard's time zone: `browser` (the default) is the viewer's own,
 * `utc` or an IANA name as the dashboard settings say. Grafana's `dateTimeFormat` also follows the date format
 * an administrator configured (`[date_formats] full_date`), so the panel reads like the rest of the dashboard.
 */
export function formatTime(timeMs: number, timeZone: TimeZone): string {
  return dateTimeFormat(timeMs, { timeZone });
}

/** ISO-8601 instants in UTC (`2026-03-05T12:00:05Z`), as the backend writes them into descriptions. */
const UTC_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z\b/g;

/**
 * Rewrites the UTC instants inside a text (a root cause says "silent since 2026-03-05T12:00:05Z") in the
 * dashboard's time zone, so that every time in the panel is read on the same clock. Anything else is kept.
 */
export function localizeInstants(text: string, timeZone: TimeZone): string {
  return text.replace(UTC_INSTANT, (instant) => {
    const timeMs = Date.parse(instant);
    return Number.isNaN(timeMs) ? instant : formatTime(timeMs, timeZone);
  });
}
