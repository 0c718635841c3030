import { parseTimeExpression } from '@nocai/contract';
import type { ReportRange } from './reportModel';

/** Longest range one report covers: a year of hourly production figures is already a large page. */
export const MAX_REPORT_SPAN_MS = 366 * 86_400_000;

/** What a report range may be written as, for help texts and error messages. */
export const REPORT_TIME_HELP =
  'an ISO 8601 date or time (2024-05-06, 2024-05-06T08:00Z), epoch milliseconds, or now-7d';

/** A date (`2024-05-06`, midnight UTC) or a date-time with a time zone (`Z` or `+02:00`). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Why a range is refused, in one sentence. */
export class ReportRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportRangeError';
  }
}

/** Epoch ms of `text` (see REPORT_TIME_HELP), or undefined when it is none of those. */
export function parseReportTime(text: string, nowMs: number): number | undefined {
  const ms = parseTime(text.trim(), nowMs);
  return ms !== undefined && ms <= LAST_MS ? ms : undefined;
}

/** 9999-12-31T23:59:59.999Z: the last instant an ISO 8601 date (and InfluxDB's time literal) can name. */
const LAST_MS = 253_402_300_799_999;

function parseTime(trimmed: string, nowMs: number): number | undefined {
  if (ISO_DATE.test(trimmed) || ISO_DATE_TIME.test(trimmed)) {
    const ms = Date.parse(ISO_DATE.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
    // Date.parse rolls 2024-02-31 over to March: a date that does not round-trip is not a date.
    if (!Number.isFinite(ms)) return undefined;
    if (ISO_DATE.test(trimmed) && new Date(ms).toISOString().slice(0, 10) !== trimmed) return undefined;
    return ms;
  }
  return parseTimeExpression(trimmed, nowMs);
}

/** The range `from`–`to` names, or a ReportRangeError saying what is wrong with it. */
export function parseReportRange(from: string, to: string, nowMs: number): ReportRange {
  const fromMs = parseReportTime(from, nowMs);
  if (fromMs === undefined) throw new ReportRangeError(`from: "${shown(from)}" is not ${REPORT_TIME_HELP}.`);
  const toMs = parseReportTime(to, nowMs);
  if (toMs === undefined) throw new ReportRangeError(`to: "${shown(to)}" is not ${REPORT_TIME_HELP}.`);
  return checkReportRange({ fromMs, toMs });
}

export function checkReportRange(range: ReportRange): ReportRange {
  if (range.toMs <= range.fromMs) {
    throw new ReportRangeError(
      `the range must end after it starts: to (${iso(range.toMs)}) is not after from (${iso(range.fromMs)}).`
    );
  }
  if (range.toMs - range.fromMs > MAX_REPORT_SPAN_MS) {
    throw new ReportRangeError(
      `a report covers at most 366 days; ${iso(range.fromMs)} to ${iso(range.toMs)} is longer.`
    );
  }
  return range;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function shown(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return flat.length > 40 ? `${flat.slice(0, 40)}…` : flat;
}
