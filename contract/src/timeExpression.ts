import { z } from 'zod';

/**
 * Times in query strings: epoch milliseconds (what Grafana's data sources send) or Grafana's relative
 * syntax, for people who type a URL: `now`, `now-7d`, `now-1h+30m`, `now/d` (start of today),
 * `now-1d/d`. Units: `s`, `m`, `h`, `d`, `w`, `M` (calendar months), `y` (calendar years). Rounding
 * (`/unit`) uses UTC, weeks start on Monday (ISO 8601); a `to` rounds up to the end of its unit as
 * Grafana does, so `from=now/d&to=now/d` is the whole of today.
 */

const FIXED_UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
const UNITS = 's, m, h, d, w, M, y';
const RELATIVE = /^now((?:[+-]\d{1,9}[smhdwMy])*)(?:\/([smhdwMy]))?$/;
const STEP = /([+-])(\d{1,9})([smhdwMy])/g;

/**
 * The last millisecond the API queries InfluxDB for: InfluxQL times are sent in microseconds, kept a safe integer
 * (2255-06-05T23:47:34.740Z, before InfluxDB's own end in 2262). A later time is a typo (milliseconds with a digit
 * too many, `now+300y`), refused rather than sent as a query InfluxDB or the client would fail on.
 */
export const LAST_QUERYABLE_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

export const TIME_EXPRESSION_HELP = `epoch milliseconds or a relative time such as now, now-7d or now-1d/d (units ${UNITS})`;

/**
 * The epoch milliseconds `text` names at `nowMs`, or undefined when it is neither epoch
 * milliseconds (a safe integer ≥ 0) nor a relative time. `roundUp` is for the end of a range.
 */
export function parseTimeExpression(text: string, nowMs: number, roundUp = false): number | undefined {
  const trimmed = text.trim();
  if (/^\d{1,16}$/.test(trimmed)) {
    const ms = Number(trimmed);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const match = RELATIVE.exec(trimmed);
  if (!match) return undefined;
  let ms = nowMs;
  for (const [, sign, amount, unit] of match[1].matchAll(STEP)) {
    ms = shift(ms, (sign === '-' ? -1 : 1) * Number(amount), unit);
  }
  if (match[2] !== undefined) ms = roundTo(ms, match[2], roundUp);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

function shift(ms: number, amount: number, unit: string): number {
  if (unit in FIXED_UNIT_MS) return ms + amount * FIXED_UNIT_MS[unit];
  const date = new Date(ms);
  if (unit === 'M') date.setUTCMonth(date.getUTCMonth() + amount);
  else date.setUTCFullYear(date.getUTCFullYear() + amount);
  return date.getTime();
}

function roundTo(ms: number, unit: string, roundUp: boolean): number {
  const start = startOf(ms, unit);
  return roundUp ? startOf(shift(start, 1, unit), unit) - 1 : start;
}

function startOf(ms: number, unit: string): number {
  const d = new Date(ms);
  switch (unit) {
    case 's':
    case 'm':
    case 'h':
    case 'd':
      return ms - (((ms % FIXED_UNIT_MS[unit]) + FIXED_UNIT_MS[unit]) % FIXED_UNIT_MS[unit]);
    case 'w': {
      const day = startOf(ms, 'd');
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      return day - sinceMonday * FIXED_UNIT_MS.d;
    }
    case 'M':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    default:
      return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

/** A zod query-string time, resolved against `nowMs`; its messages name the parameter. */
export function timeExpression(name: string, nowMs: number, roundUp = false) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseTimeExpression(String(value), nowMs, roundUp);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be ${TIME_EXPRESSION_HELP}` });
      return z.NEVER;
    }
    if (ms > LAST_QUERYABLE_MS) {
      const last = new Date(LAST_QUERYABLE_MS).toISOString();
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be at most ${LAST_QUERYABLE_MS} (${last}, the last time the API queries; got ${String(value).slice(0, 32)})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** The `from`/`to` pair of a query string: `to` rounds up, and `from` must not be after `to`. */
export function timeRangeShape(nowMs: number) {
  return {
    from: timeExpression('from', nowMs).optional(),
    to: timeExpression('to', nowMs, true).optional(),
  };
}

export function isOrderedRange(q: { from?: number; to?: number }): boolean {
  return q.from === undefined || q.to === undefined || q.from <= q.to;
}

export const RANGE_ORDER_ISSUE = { message: 'from must not be after to', path: ['from'] };
