import type { DataFrame, Field } from '@grafana/data';
import type { Explanation, RoutingField, SimilarTicket, TicketComment, TicketRouting } from '@nocai/contract';
import { TICKET_SERIES } from '@nocai/contract/dist/series';

/** One ticket or classified event as the triage table shows it. Absent columns stay undefined. */
export interface TriageRow {
  /**
   * React key: the ticket id when there is one (unique once `collapseTickets` kept one row per ticket, and
   * stable across refreshes so an expanded row stays expanded), otherwise the frame and row position.
   */
  key: string;
  /** When the ticket opened (`opened_at_ms`, else the row's time): what the age counts from. */
  timeMs?: number;
  /** The row's own time: for InfluxDB's `aiops_tickets`, when this state change was written. */
  changedAtMs?: number;
  ticketId?: string;
  /** `P1` (most urgent) to `P4`, as the backend writes it; numeric priorities are read as `P<n>`. */
  priority?: string;
  eventClass?: string;
  department?: string;
  site?: string;
  host?: string;
  deviceKind?: string;
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
  relatedAlerts?: number;
  /** Inputs that pushed the routing decision, strongest first; empty when the frame has none. */
  explanation: Explanation[];
  /** Past tickets like this one, with how they were resolved. */
  similar: SimilarTicket[];
  feedbackVerdict?: string;
  feedbackComment?: string;
  /** The ticket's version: workflow changes are made against it (the backend refuses a stale one). */
  version?: number;
  /** `user:<login>` or `team:<name>`. */
  assignee?: string;
  /** The newest comments, oldest first. */
  comments?: TicketComment[];
  /** What the models decided, when a person corrected the routing. */
  predicted?: Partial<TicketRouting>;
  /** The routing fields a person corrected; absent when none is, or when the row predates the column. */
  corrected?: RoutingField[];
  /** Who made the last change and what it was. */
  changedBy?: string;
  changeSummary?: string;
  /** Why P50 and P90 are equal or derived, when they are. */
  mttrNote?: string;
  /**
   * Why the time to resolve is what it is: the inputs that moved the P50 most, each with its exact TreeSHAP
   * contribution in natural-log seconds; absent when the estimate is a baseline's.
   */
  mttrFactors?: Explanation[];
  /** A predicted problem's alert (issue 12): the smallest controllable change that would have avoided it. */
  recommendation?: string;
  /**
   * Set on rows of frames built by the NOC AI data source, which can take feedback: the uid of that data
   * source. Ticket rows read straight from InfluxDB have none and are read-only.
   */
  feedbackDatasourceUid?: string;
}

export const TRIAGE_SORTS = ['priority', 'oldest', 'newest', 'confidence'] as const;
export type TriageSort = (typeof TRIAGE_SORTS)[number];

/**
 * Accepted field names per column, first match wins (so `ticket_id` beats a generic `id`). Names are
 * compared after `normalizeName`, which makes `ticket_id`, `ticketId` and `TicketID` the same: InfluxDB
 * returns snake_case field names, the NOC AI datasource camelCase ones.
 */
const TICKET = { ...TICKET_SERIES.tags, ...TICKET_SERIES.fields };
const COLUMN_NAMES = {
  time: ['time'],
  openedAtMs: [TICKET.openedAtMs],
  ticketId: [TICKET.ticketId, 'id'],
  priority: [TICKET.priority],
  eventClass: [TICKET.eventClass, 'event_class'],
  department: [TICKET.department],
  site: [TICKET.site],
  host: ['hostname', TICKET.host],
  deviceKind: [TICKET.deviceKind],
  status: [TICKET.status, 'decision'],
  confidence: [TICKET.confidence],
  mttrP50Seconds: [TICKET.mttrP50S],
  mttrP90Seconds: [TICKET.mttrP90S],
  rootCause: [TICKET.rootCause],
  needsReview: [TICKET.needsReview],
  message: ['message', TICKET.title],
  relatedAlerts: [TICKET.relatedAlerts],
  explanation: [TICKET.explanation],
  similar: [TICKET.similar],
  feedbackVerdict: [TICKET.feedbackVerdict],
  feedbackComment: [TICKET.feedbackComment],
  version: [TICKET.version],
  assignee: [TICKET.assignee],
  comments: [TICKET.comments],
  predicted: [TICKET.predicted],
  corrected: [TICKET.corrected],
  changedBy: [TICKET.changedBy],
  changeSummary: [TICKET.changeSummary],
  mttrNote: [TICKET.mttrNote],
  mttrFactors: [TICKET.mttrFactors],
  recommendation: [TICKET.recommendation],
} as const;

type Column = keyof typeof COLUMN_NAMES;

const NEEDS_REVIEW_DECISION = 'needs_review';

export function framesToRows(frames: readonly DataFrame[]): TriageRow[] {
  return frames.flatMap((frame, frameIndex) => frameToRows(frame, frameIndex));
}

function frameToRows(frame: DataFrame, frameIndex: number): TriageRow[] {
  const fields = Object.fromEntries(
    (Object.keys(COLUMN_NAMES) as Column[]).map((column) => [column, findField(frame, COLUMN_NAMES[column])])
  ) as Record<Column, Field | undefined>;
  const feedbackDatasourceUid = nocaiDatasourceUid(frame);

  return Array.from({ length: frame.length }, (_, index): TriageRow => {
    const value = (column: Column) => fields[column]?.values[index];
    const ticketId = toText(value('ticketId'));
    const status = toText(value('status'));
    const changedAtMs = toTimeMs(value('time'));
    return {
      key: ticketId ?? `${frameIndex}:${index}`,
      timeMs: toTimeMs(value('openedAtMs')) ?? changedAtMs,
      changedAtMs,
      ticketId,
      priority: toPriority(value('priority')),
      eventClass: toText(value('eventClass')),
      department: toText(value('department')),
      site: toText(value('site')),
      host: toText(value('host')),
      deviceKind: toText(value('deviceKind')),
      status,
      confidence: toNumber(value('confidence')),
      mttrP50Seconds: toNumber(value('mttrP50Seconds')),
      mttrP90Seconds: toNumber(value('mttrP90Seconds')),
      rootCause: toText(value('rootCause')),
      needsReview: toBoolean(value('needsReview')) || status === NEEDS_REVIEW_DECISION,
      message: toText(value('message')),
      relatedAlerts: toNumber(value('relatedAlerts')),
      explanation: parseJsonList(value('explanation'), isExplanation),
      similar: parseJsonList(value('similar'), isSimilarTicket),
      feedbackVerdict: toText(value('feedbackVerdict')),
      feedbackComment: toText(value('feedbackComment')),
      version: toNumber(value('version')),
      assignee: toText(value('assignee')),
      comments: optionalList(parseJsonList(value('comments'), isComment)),
      predicted: parseJsonObject(value('predicted')),
      corrected: optionalList(parseJsonList(value('corrected'), isRoutingField)),
      changedBy: toText(value('changedBy')),
      changeSummary: toText(value('changeSummary')),
      mttrNote: toText(value('mttrNote')),
      mttrFactors: optionalList(parseJsonList(value('mttrFactors'), isExplanation)),
      recommendation: toText(value('recommendation')),
      feedbackDatasourceUid: ticketId === undefined ? undefined : feedbackDatasourceUid,
    };
  });
}

/**
 * The NOC AI data source marks its frames with `meta.custom = { source, datasourceUid }` (its
 * `NocaiFrameMeta`); the panel cannot import the other plugin, so the shape is repeated here.
 */
const NOCAI_DATASOURCE_TYPE = 'nocai-inference-datasource';

function nocaiDatasourceUid(frame: DataFrame): string | undefined {
  const custom: unknown = frame.meta?.custom;
  if (typeof custom !== 'object' || custom === null || !('source' in custom) || !('datasourceUid' in custom)) {
    return undefined;
  }
  return custom.source === NOCAI_DATASOURCE_TYPE && typeof custom.datasourceUid === 'string'
    ? custom.datasourceUid
    : undefined;
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

/** `explanation`, `mttr_factors` and `similar` are JSON arrays stored as text; anything unreadable shows as "none". */
function parseJsonList<T>(value: unknown, isItem: (item: unknown) => item is T): T[] {
  if (typeof value !== 'string' || value.trim() === '') {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter(isItem) : [];
  } catch {
    return [];
  }
}

function optionalList<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

const ROUTING_FIELDS: readonly RoutingField[] = ['eventClass', 'department', 'priority'];

function isRoutingField(value: unknown): value is RoutingField {
  return typeof value === 'string' && (ROUTING_FIELDS as readonly string[]).includes(value);
}

/** `predicted` is a JSON object stored as text (the models' routing), or empty when nothing was corrected. */
function parseJsonObject(value: unknown): Partial<TicketRouting> | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (!isRecord(parsed)) {
      return undefined;
    }
    const routing: Partial<TicketRouting> = {};
    for (const key of ROUTING_FIELDS) {
      if (typeof parsed[key] === 'string') {
        Object.assign(routing, { [key]: parsed[key] });
      }
    }
    return routing;
  } catch {
    return undefined;
  }
}

function isComment(item: unknown): item is TicketComment {
  return (
    isRecord(item) && typeof item.text === 'string' && typeof item.by === 'string' && typeof item.atMs === 'number'
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isExplanation(item: unknown): item is Explanation {
  return isRecord(item) && typeof item.feature === 'string' && typeof item.weight === 'number';
}

function isSimilarTicket(item: unknown): item is SimilarTicket {
  return isRecord(item) && typeof item.id === 'string' && typeof item.title === 'string';
}
