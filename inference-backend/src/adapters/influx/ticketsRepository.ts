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
import { UniqueMicros, type Clock, type PointSink, type SeriesPoint } from '../../domain/series';
import { TicketIndex } from '../../domain/tickets/ticketIndex';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';

const T = TICKET_SERIES;

/** A ticket state change as an aiops_tickets point (at the time of the change). */
export function ticketPoint(ticket: Ticket, timeUs = ticket.updatedAtMs * 1000): SeriesPoint {
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
    timeUs,
  };
}

/** How far back the index is warmed from InfluxDB at start. */
const INDEX_LOOKBACK_MS = 365 * 86_400_000;
/** Points per query while warming the index. */
const LOAD_PAGE = 5000;

/**
 * Tickets in InfluxDB (one point per state change; the latest point of an id is its state), read
 * through an in-memory index of current states warmed at start and kept current by every write
 * that goes through here: lookups and lists never scan the measurement.
 *
 * Records written as they happen (complaints, alerts, verdicts) get a timestamp no other record
 * of this process has (`UniqueMicros`), so concurrent writers never overwrite each other.
 */
export class TicketsRepository {
  private readonly index = new TicketIndex();
  private readonly times: UniqueMicros;

  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly sink: PointSink,
    clock: Clock
  ) {
    this.times = new UniqueMicros(clock);
  }

  get size(): number {
    return this.index.size;
  }

  /** Warms the index from the points of the last year; returns how many points were read. */
  async load(nowMs: number, onProgress?: (points: number) => void): Promise<number> {
    let cursorUs = (nowMs - INDEX_LOOKBACK_MS) * 1000;
    let read = 0;
    for (;;) {
      const q =
        `SELECT * FROM ${quoteIdentifier(T.measurement)} WHERE time >= ${timeLiteralUs(cursorUs)} ` +
        `ORDER BY time ASC LIMIT ${LOAD_PAGE}`;
      const rows = (await this.client.query(this.database, q))[0]?.rows ?? [];
      for (const row of rows) {
        const ticket = rowToTicket(row);
        if (ticket.id) this.index.put(ticket, Number(row.time));
      }
      read += rows.length;
      onProgress?.(read);
      if (rows.length < LOAD_PAGE) return read;
      const lastUs = Number(rows[rows.length - 1].time);
      // Pages overlap at their boundary instant (re-reading a point is harmless); a page made of
      // one instant only would never end, so the cursor then moves past it.
      cursorUs = lastUs > cursorUs ? lastUs : lastUs + 1;
    }
  }

  /** Records state changes of tickets written as they happen; durable when this resolves. */
  async save(tickets: readonly Ticket[]): Promise<Ticket[]> {
    if (tickets.length === 0) return [];
    const stamped = tickets.map((ticket) => {
      const timeUs = this.times.next(ticket.updatedAtMs);
      return { ticket: { ...ticket, updatedAtMs: Math.floor(timeUs / 1000) }, timeUs };
    });
    await this.sink.write(stamped.map(({ ticket, timeUs }) => ticketPoint(ticket, timeUs)));
    await this.sink.flush();
    this.remember(stamped);
    return stamped.map((s) => s.ticket);
  }

  /** Ticket points written by someone else (the pipeline's batch), once they are stored. */
  remember(written: ReadonlyArray<{ ticket: Ticket; timeUs: number }>): void {
    for (const { ticket, timeUs } of written) this.index.put(ticket, timeUs);
  }

  async recordFeedback(ticket: Ticket, verdict: FeedbackVerdict, comment: string | undefined, user: string, atMs: number): Promise<Ticket> {
    const feedbackUs = this.times.next(atMs);
    const ticketUs = this.times.next(Math.max(atMs, ticket.updatedAtMs + 1));
    const updated: Ticket = { ...ticket, updatedAtMs: Math.floor(ticketUs / 1000), feedback: { verdict, comment, atMs } };
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
      timeUs: feedbackUs,
    };
    await this.sink.write([feedback, ticketPoint(updated, ticketUs)]);
    await this.sink.flush();
    this.index.put(updated, ticketUs);
    return updated;
  }

  async findById(id: string): Promise<Ticket | undefined> {
    return this.index.get(id);
  }

  /** Several tickets at once (a webhook's batch of alerts). */
  findMany(ids: readonly string[]): Map<string, Ticket> {
    const found = new Map<string, Ticket>();
    for (const id of ids) {
      const ticket = this.index.get(id);
      if (ticket) found.set(id, ticket);
    }
    return found;
  }

  async list(query: TicketsQuery, nowMs: number): Promise<TicketsPage> {
    return this.index.list(query, nowMs);
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
