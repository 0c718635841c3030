import {
  FEEDBACK_SERIES,
  TICKET_SERIES,
  type Department,
  type EventClass,
  type Explanation,
  type FeedbackVerdict,
  type Priority,
  type SimilarTicket,
  type Ticket,
  type TicketsPage,
  type TicketsQuery,
  type TicketSource,
  type TicketStatus,
} from '@nocai/contract';
import type { PointSink, SeriesPoint } from '../../domain/series';
import type { InfluxClient } from './client';
import { quoteIdentifier, quoteString, timeLiteralUs } from './influxql';

const T = TICKET_SERIES;
const PRIORITY_RANK: Record<string, number> = { P1: 0, P2: 1, P3: 2, P4: 3 };
/** How far back list queries look when no range is given. */
const DEFAULT_LOOKBACK_MS = 30 * 86_400_000;

/** A ticket state change as an aiops_tickets point (at the time of the change). */
export function ticketPoint(ticket: Ticket): SeriesPoint {
  const fields: SeriesPoint['fields'] = {
    [T.fields.ticketId]: ticket.id,
    [T.fields.title]: ticket.title,
    [T.fields.host]: ticket.host,
    [T.fields.deviceKind]: ticket.deviceKind,
    [T.fields.confidence]: ticket.confidence,
    [T.fields.needsReview]: ticket.needsReview,
    [T.fields.mttrP50S]: ticket.mttrP50Seconds,
    [T.fields.mttrP90S]: ticket.mttrP90Seconds,
    [T.fields.rootCauseHost]: ticket.rootCause?.host ?? '',
    [T.fields.rootCause]: ticket.rootCause?.description ?? '',
    [T.fields.explanation]: JSON.stringify(ticket.explanation),
    [T.fields.similar]: JSON.stringify(ticket.similarTickets),
    [T.fields.dependants]: JSON.stringify(ticket.rootCause?.dependants ?? []),
    [T.fields.modelVersion]: ticket.modelVersion,
  };
  const intFields: Record<string, number> = {
    [T.fields.relatedAlerts]: ticket.relatedAlertCount,
    [T.fields.openedAtMs]: ticket.openedAtMs,
  };
  if (ticket.resolvedAtMs !== undefined) intFields[T.fields.resolvedAtMs] = ticket.resolvedAtMs;
  if (ticket.rootCause?.silentSinceMs !== undefined) intFields[T.fields.silentSinceMs] = ticket.rootCause.silentSinceMs;
  if (ticket.feedback) {
    fields[T.fields.feedbackVerdict] = ticket.feedback.verdict;
    fields[T.fields.feedbackComment] = ticket.feedback.comment ?? '';
    intFields[T.fields.feedbackAtMs] = ticket.feedback.atMs;
  }
  return {
    measurement: T.measurement,
    tags: {
      [T.tags.status]: ticket.status,
      [T.tags.priority]: ticket.priority,
      [T.tags.department]: ticket.department,
      [T.tags.eventClass]: ticket.eventClass,
      [T.tags.site]: ticket.site,
      [T.tags.siteKind]: ticket.siteKind,
      [T.tags.source]: ticket.source,
    },
    fields,
    intFields,
    timeUs: ticket.updatedAtMs * 1000,
  };
}

/** Tickets in InfluxDB: the latest point of each ticket id is its current state. */
export class TicketsRepository {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly sink: PointSink
  ) {}

  /** Records a state change; durable when this resolves. */
  async save(tickets: readonly Ticket[]): Promise<void> {
    if (tickets.length === 0) return;
    await this.sink.write(tickets.map(ticketPoint));
    await this.sink.flush();
  }

  async recordFeedback(ticket: Ticket, verdict: FeedbackVerdict, comment: string | undefined, user: string, atMs: number): Promise<Ticket> {
    const updated: Ticket = { ...ticket, updatedAtMs: Math.max(atMs, ticket.updatedAtMs + 1), feedback: { verdict, comment, atMs } };
    const F = FEEDBACK_SERIES;
    const feedback: SeriesPoint = {
      measurement: F.measurement,
      tags: {
        [F.tags.verdict]: verdict,
        [F.tags.department]: ticket.department,
        [F.tags.eventClass]: ticket.eventClass,
        [F.tags.priority]: ticket.priority,
      },
      fields: { [F.fields.ticketId]: ticket.id, [F.fields.comment]: comment ?? '', [F.fields.user]: user },
      timeUs: atMs * 1000,
    };
    await this.sink.write([feedback, ticketPoint(updated)]);
    await this.sink.flush();
    return updated;
  }

  async findById(id: string, nowMs: number): Promise<Ticket | undefined> {
    const q =
      `SELECT * FROM ${quoteIdentifier(T.measurement)} WHERE ${quoteIdentifier(T.fields.ticketId)} = ${quoteString(id)} ` +
      `AND time >= ${timeLiteralUs((nowMs - 365 * 86_400_000) * 1000)} ORDER BY time DESC LIMIT 1`;
    const rows = (await this.client.query(this.database, q))[0]?.rows ?? [];
    return rows.length ? rowToTicket(rows[0]) : undefined;
  }

  async list(query: TicketsQuery, nowMs: number): Promise<TicketsPage> {
    const toMs = query.to ?? nowMs;
    const fromMs = query.from ?? toMs - DEFAULT_LOOKBACK_MS;
    const q =
      `SELECT * FROM ${quoteIdentifier(T.measurement)} ` +
      `WHERE time >= ${timeLiteralUs(fromMs * 1000)} AND time <= ${timeLiteralUs(toMs * 1000)} ORDER BY time ASC`;
    const rows = (await this.client.query(this.database, q))[0]?.rows ?? [];
    const latest = new Map<string, Ticket>();
    for (const row of rows) {
      const ticket = rowToTicket(row);
      latest.set(ticket.id, ticket);
    }
    // Filters apply to the current state: a ticket opened as P2 and raised to P1 is a P1 ticket.
    const matching = [...latest.values()].filter(
      (t) =>
        (!query.status || t.status === query.status) &&
        (!query.site || t.site === query.site) &&
        (!query.department || t.department === query.department) &&
        (!query.priority || t.priority === query.priority)
    );
    matching.sort(
      (a, b) => (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) || a.openedAtMs - b.openedAtMs
    );
    return {
      tickets: matching.slice(query.offset, query.offset + query.limit),
      total: matching.length,
      limit: query.limit,
      offset: query.offset,
    };
  }
}

function rowToTicket(row: Record<string, unknown>): Ticket {
  const str = (key: string) => (row[key] === null || row[key] === undefined ? '' : String(row[key]));
  const num = (key: string) => (row[key] === null || row[key] === undefined ? undefined : Number(row[key]));
  const json = <V>(key: string, fallback: V): V => {
    try {
      return row[key] ? (JSON.parse(String(row[key])) as V) : fallback;
    } catch {
      return fallback;
    }
  };
  const rootHost = str(T.fields.rootCauseHost);
  const verdict = str(T.fields.feedbackVerdict);
  return {
    id: str(T.fields.ticketId),
    openedAtMs: num(T.fields.openedAtMs) ?? Math.floor(Number(row.time) / 1000),
    updatedAtMs: Math.floor(Number(row.time) / 1000),
    resolvedAtMs: num(T.fields.resolvedAtMs),
    status: str(T.tags.status) as TicketStatus,
    source: str(T.tags.source) as TicketSource,
    title: str(T.fields.title),
    eventClass: str(T.tags.eventClass) as EventClass,
    department: str(T.tags.department) as Department,
    priority: str(T.tags.priority) as Priority,
    confidence: num(T.fields.confidence) ?? 0,
    needsReview: row[T.fields.needsReview] === true,
    site: str(T.tags.site),
    siteKind: str(T.tags.siteKind),
    host: str(T.fields.host),
    deviceKind: str(T.fields.deviceKind),
    mttrP50Seconds: num(T.fields.mttrP50S) ?? 0,
    mttrP90Seconds: num(T.fields.mttrP90S) ?? 0,
    rootCause: rootHost
      ? {
          host: rootHost,
          deviceKind: '',
          silentSinceMs: num(T.fields.silentSinceMs),
          description: str(T.fields.rootCause),
          dependants: json<string[]>(T.fields.dependants, []),
        }
      : undefined,
    relatedAlertCount: num(T.fields.relatedAlerts) ?? 0,
    explanation: json<Explanation[]>(T.fields.explanation, []),
    similarTickets: json<SimilarTicket[]>(T.fields.similar, []),
    modelVersion: str(T.fields.modelVersion),
    feedback: verdict
      ? { verdict: verdict as FeedbackVerdict, comment: str(T.fields.feedbackComment) || undefined, atMs: num(T.fields.feedbackAtMs) ?? 0 }
      : undefined,
  };
}
