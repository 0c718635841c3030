import type { DataFrame, Field } from '@grafana/data';

/** One ticket or classified event as the triage table shows it. Absent columns stay undefined. */
export interface TriageRow {
  /**
   * React key from the frame and row position: unique even when a ticket appears in several rows
   * (one per state change) or several frames share a refId (one per InfluxDB series).
   */
  key: string;
  timeMs?: number;
  ticketId?: string;
  /** `P1` (most urgent) to `P4`, as the backend writes it; numeric priorities are read as `P<n>`. */
  priority?: string;
  eventClass?: string;
  department?: string;
  site?: string;
  host?: string;
  /** Ticket status, or the decision of an event frame. */
  status?: string;
  /** Model probability between 0 and 1. */
  confidence?: number;
  mttrP50Seconds?: number;
  mttrP90Seconds?: number;
  rootCause?: string;
  /** Set by a `needs_review` field, or by an event whose decision is `needs_review`. */
  needsReview: boolean;
  message?: string;
}

export const TRIAGE_SORTS = ['priority', 'oldest', 'newest', 'confidence'] as const;
export type TriageSort = (typeof TRIAGE_SORTS)[number];

/**
 * Accepted field names per column, first match wins (so `ticket_id` beats a generic `id`). Names are
 * compared after `normalizeName`, which makes `ticket_id`, `ticketId` and `TicketID` the same: InfluxDB
 * returns snake_case field names, the NOC AI datasource camelCase ones.
 */
const COLUMN_NAMES = {
  time: ['time'],
  ticketId: ['ticket_id', 'id'],
  priority: ['priority'],
  eventClass: ['class', 'event_class'],
  department: ['department'],
  site: ['site'],
  host: ['hostname', 'host'],
  status: ['status', 'decision'],
  confidence: ['confidence'],
  mttrP50Seconds: ['mttr_p50_s'],
  mttrP90Seconds: ['mttr_p90_s'],
  rootCause: ['root_cause'],
  needsReview: ['needs_review'],
  message: ['message', 'title'],
} as const;

type Column = keyof typeof COLUMN_NAMES;

const NEEDS_REVIEW_DECISION = 'needs_review';

export function framesToRows(frames: readonly DataFrame[]): TriageRow[] {
  return frames.flatMap((frame, frameIndex) => frameToRows(frame, frameIndex));
}

function frameToRows(frame: DataFrame, frameIndex: number): TriageRow[] {
  const field = (column: Column) => findField(frame, COLUMN_NAMES[column]);
  const fields = {
    time: field('time'),
    ticketId: field('ticketId'),
    priority: field('priority'),
    eventClass: field('eventClass'),
    department: field('department'),
    site: field('site'),
    host: field('host'),
    status: field('status'),
    confidence: field('confidence'),
    mttrP50Seconds: field('mttrP50Seconds'),
    mttrP90Seconds: field('mttrP90Seconds'),
    rootCause: field('rootCause'),
    needsReview: field('needsReview'),
    message: field('message'),
  };

  return Array.from({ length: frame.length }, (_, index): TriageRow => {
    const value = (column: Column) => fields[column]?.values[index];
    const ticketId = toText(value('ticketId'));
    const status = toText(value('status'));
    return {
      key: `${frameIndex}:${index}`,
      timeMs: toTimeMs(value('time')),
      ticketId,
      priority: toPriority(value('priority')),
      eventClass: toText(value('eventClass')),
      department: toText(value('department')),
      site: toText(value('site')),
      host: toText(value('host')),
      status,
      confidence: toNumber(value('confidence')),
      mttrP50Seconds: toNumber(value('mttrP50Seconds')),
      mttrP90Seconds: toNumber(value('mttrP90Seconds')),
      rootCause: toText(value('rootCause')),
      needsReview: toBoolean(value('needsReview')) || status === NEEDS_REVIEW_DECISION,
      message: toText(value('message')),
    };
  });
}

/** Returns a new array; the default puts P1 first and, within a priority, the oldest first. */
export function sortRows(rows: readonly TriageRow[], sort: TriageSort = 'priority'): TriageRow[] {
  return [...rows].sort(COMPARATORS[sort]);
}

type Comparator = (a: TriageRow, b: TriageRow) => number;

const byOldest: Comparator = (a, b) => ascendingMissingLast(a.timeMs, b.timeMs);

const COMPARATORS: Record<TriageSort, Comparator> = {
  priority: (a, b) => ascendingMissingLast(priorityRank(a.priority), priorityRank(b.priority)) || byOldest(a, b),
  oldest: byOldest,
  newest: (a, b) => ascendingMissingLast(negate(a.timeMs), negate(b.timeMs)),
  // Least certain first: those are the decisions an operator should check.
  confidence: (a, b) => ascendingMissingLast(a.confidence, b.confidence) || byOldest(a, b),
};

function ascendingMissingLast(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) {
    return a === b ? 0 : a === undefined ? 1 : -1;
  }
  return a - b;
}

function negate(value: number | undefined): number | undefined {
  return value === undefined ? undefined : -value;
}

function priorityRank(priority: string | undefined): number | undefined {
  const match = priority?.match(/^P(\d+)$/);
  return match ? Number(match[1]) : undefined;
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[_\s-]/g, '');
}

function findField(frame: DataFrame, names: readonly string[]): Field | undefined {
  for (const name of names) {
    const wanted = normalizeName(name);
    const field = frame.fields.find((candidate) => normalizeName(candidate.name) === wanted);
    if (field) {
      return field;
    }
  }
  return undefined;
}

function toText(value: unknown): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** Time fields hold epoch milliseconds; string columns (e.g. from CSV or JSON sources) hold ISO dates. */
function toTimeMs(value: unknown): number | undefined {
  if (typeof value === 'string' && Number.isNaN(Number(value))) {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return toNumber(value);
}

function toPriority(value: unknown): string | undefined {
  const text = toText(value)?.toUpperCase();
  if (text === undefined) {
    return undefined;
  }
  return /^\d+$/.test(text) ? `P${text}` : text;
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'string') {
    return ['true', '1', 'yes'].includes(value.trim().toLowerCase());
  }
  return value === true || value === 1;
}
