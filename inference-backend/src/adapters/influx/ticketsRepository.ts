import {
  correctedFields,
  FEEDBACK_SERIES,
  isTicketStatus,
  TICKET_CHANGES,
  TICKET_SERIES,
  type EventClass,
  type Explanation,
  type FeedbackVerdict,
  type Priority,
  type SimilarTicket,
  type Ticket,
  type TicketChangeKind,
  type TicketComment,
  type TicketHistoryEntry,
  type TicketRouting,
  type TicketsPage,
  type TicketsQuery,
  type TicketSource,
} from '@nocai/contract';
import { UniqueMicros, type Clock, type PointSink, type SeriesPoint } from '../../domain/series';
import { TicketError } from '../../domain/tickets/errors';
import { DEFAULT_TICKET_RETENTION_MS, TicketIndex } from '../../domain/tickets/ticketIndex';
import type { InfluxClient } from './client';
import { equalsCondition, quoteIdentifier, timeLiteralUs } from './influxql';

const T = TICKET_SERIES;

/** A ticket state change as an aiops_tickets point (at the time of the change). */
export function ticketPoint(ticket: Ticket, timeUs = ticket.updatedAtMs * 1000): SeriesPoint {
  const fields: SeriesPoint['fields'] = {
    [T.fields.ticketId]: ticket.id,
    [T.fields.title]: ticket.title,
    [T.fields.description]: ticket.description ?? '',
    [T.fields.host]: ticket.host,
    [T.fields.deviceKind]: ticket.deviceKind,
    [T.fields.confidence]: ticket.confidence,
    [T.fields.needsReview]: ticket.needsReview,
    [T.fields.mttrP50S]: ticket.mttrP50Seconds,
    [T.fields.mttrP90S]: ticket.mttrP90Seconds,
    [T.fields.mttrNote]: ticket.mttrNote ?? '',
    [T.fields.rootCauseHost]: ticket.rootCause?.host ?? '',
    [T.fields.rootCauseDeviceKind]: ticket.rootCause?.deviceKind ?? '',
    [T.fields.rootCause]: ticket.rootCause?.description ?? '',
    [T.fields.explanation]: JSON.stringify(ticket.explanation),
    [T.fields.similar]: JSON.stringify(ticket.similarTickets),
    [T.fields.dependants]: JSON.stringify(ticket.rootCause?.dependants ?? []),
    [T.fields.hosts]: JSON.stringify(ticket.hosts ?? []),
    [T.fields.modelVersion]: ticket.modelVersion,
    [T.fields.assignee]: ticket.assignee ?? '',
    [T.fields.comments]: JSON.stringify(ticket.comments ?? []),
    [T.fields.predicted]: ticket.predicted ? JSON.stringify(ticket.predicted) : '',
    [T.fields.corrected]: JSON.stringify(ticket.corrected ?? []),
    [T.fields.autoResolved]: ticket.autoResolved === true,
    [T.fields.changedBy]: ticket.change?.by ?? '',
    [T.fields.changeSummary]: ticket.change?.summary ?? '',
    // Only predicted problems' tickets carry one: other tickets' points stay as they were.
    ...(ticket.recommendation ? { [T.fields.recommendation]: ticket.recommendation } : {}),
    ...(ticket.problem ? { [T.fields.problem]: ticket.problem } : {}),
    ...(ticket.parentId ? { [T.fields.parentId]: ticket.parentId } : {}),
    // Only tickets the MTTR model estimated carry factors (a baseline's estimate has none).
    ...(ticket.mttrFactors?.length ? { [T.fields.mttrFactors]: JSON.stringify(ticket.mttrFactors) } : {}),
  };
  const intFields: Record<string, number> = {
    [T.fields.relatedAlerts]: ticket.relatedAlertCount,
    [T.fields.openedAtMs]: ticket.openedAtMs,
    [T.fields.version]: ticket.version ?? 0,
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
      [T.tags.change]: ticket.change?.kind ?? 'updated',
    },
    fields,
    intFields,
    timeUs,
  };
}

/** An operator's verdict as an aiops_feedback point (labels for the next training). */
export function feedbackPoint(ticket: Ticket, user: string, timeUs: number): SeriesPoint {
  const F = FEEDBACK_SERIES;
  const feedback = ticket.feedback;
  if (!feedback) throw new Error(`ticket ${ticket.id} has no verdict to record`);
  return {
    measurement: F.measurement,
    tags: {
      [F.tags.verdict]: feedback.verdict,
      [F.tags.department]: ticket.department,
      [F.tags.eventClass]: ticket.eventClass,
      [F.tags.priority]: ticket.priority,
    },
    fields: { [F.fields.ticketId]: ticket.id, [F.fields.comment]: feedback.comment ?? '', [F.fields.user]: user },
    timeUs,
  };
}

/** Other points written together with a ticket's state change, stamped with their own unique time. */
export type CompanionPoints = (updated: Ticket, timeUs: number) => SeriesPoint[];

/**
 * Runs `write`, the storing of a ticket's next state (`after`, as it will be stored): an audited
 * change records its entry first and stores only then (`recordThenSave`).
 */
export type TicketWriteGuard = (before: Ticket, after: Ticket, write: () => Promise<void>) => Promise<void>;

/** Points per query while warming the index. */
const LOAD_PAGE = 5000;
/** How far before the newest point seen `catchUp` reads again (points stored late by another replica). */
const CATCH_UP_OVERLAP_MS = 5 * 60_000;
/** State changes listed by a ticket's history, at most. */
const HISTORY_LIMIT = 1000;

/**
 * Tickets in InfluxDB (one point per state change; the latest point of an id is its state), read
 * through an in-memory index of current states warmed at start and kept current by every write
 * that goes through here: lookups and lists never scan the measurement.
 *
 * Records written as they happen (complaints, alerts, verdicts) get a timestamp no other record
 * of this process has (`UniqueMicros`), so concurrent writers never overwrite each other. Changes
 * to one existing ticket (`change`) run one at a time, so a version check and the write it guards
 * cannot interleave with another request's.
 */
export class TicketsRepository {
  private readonly index: TicketIndex;
  private readonly times: UniqueMicros;
  private readonly queues = new Map<string, Promise<void>>();
  /** Time (µs) of the newest point read from InfluxDB, where `catchUp` goes on from. */
  private newestUs = 0;

  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly sink: PointSink,
    clock: Clock,
    /** This replica's shard: its records never share an instant with another replica's. */
    shard: { index: number; count: number } = { index: 0, count: 1 },
    /** Done tickets stay in the index this long after their last change, and the index is warmed from as far back. */
    private readonly retentionMs = DEFAULT_TICKET_RETENTION_MS
  ) {
    this.times = new UniqueMicros(clock, shard);
    this.index = new TicketIndex({ clock, retentionMs });
  }

  get size(): number {
    return this.index.size;
  }

  /** Warms the index from the points of the retention period; returns how many points were read. */
  async load(nowMs: number, onProgress?: (points: number) => void): Promise<number> {
    return this.readFrom((nowMs - this.retentionMs) * 1000, onProgress);
  }

  /**
   * Reads the ticket points other writers stored since the last look (sharded replicas: each opens
   * the tickets of its own sites, every one answers reads of all). Points are stamped with the time
   * of their events, so another writer may still store points older than the newest seen here, but
   * none older than `sinceUs` (the slowest replica's watermark); a window before that covers the
   * changes it stamps a little behind. Re-reading is harmless: the index keeps each latest state.
   */
  async catchUp(sinceUs = this.newestUs): Promise<number> {
    return this.readFrom(Math.max(0, Math.min(sinceUs, this.newestUs) - CATCH_UP_OVERLAP_MS * 1000));
  }

  private async readFrom(fromUs: number, onProgress?: (points: number) => void): Promise<number> {
    let cursorUs = fromUs;
    let read = 0;
    for (;;) {
      const q =
        `SELECT * FROM ${quoteIdentifier(T.measurement)} WHERE time >= ${timeLiteralUs(cursorUs)} ` +
        `ORDER BY time ASC LIMIT ${LOAD_PAGE}`;
      const rows = (await this.client.query(this.database, q))[0]?.rows ?? [];
      for (const row of rows) {
        const ticket = rowToTicket(row);
        if (ticket.id) this.index.put(ticket, Number(row.time));
        this.newestUs = Math.max(this.newestUs, Number(row.time));
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

  /**
   * Changes one stored ticket: `mutate` gets its current state and returns the next one (the same
   * object for "nothing to change", then nothing is written) or throws (then nothing is written).
   * Changes of one ticket are applied one after another, each seeing the state the previous one
   * wrote. The new state is durable, and the index current, when this resolves. `guard` runs the
   * write (within the ticket's turn): a refusal there stores nothing.
   */
  async change(
    id: string,
    mutate: (current: Ticket) => Ticket,
    companions?: CompanionPoints,
    guard: TicketWriteGuard = (_before, _after, write) => write()
  ): Promise<Ticket> {
    return this.oneAtATime(id, async () => {
      const current = this.index.get(id);
      if (!current) throw new TicketError('not_found', `no ticket ${id}`);
      const next = mutate(current);
      if (next === current) return current;
      const extra = companions ? companions(next, this.times.next(next.updatedAtMs)) : [];
      // After the state it replaces, whatever clock wrote that one: the index keeps the latest point.
      const timeUs = this.times.next(Math.max(next.updatedAtMs, current.updatedAtMs + 1));
      const updated: Ticket = { ...next, updatedAtMs: Math.floor(timeUs / 1000) };
      await guard(current, updated, async () => {
        await this.sink.write([...extra, ticketPoint(updated, timeUs)]);
        await this.sink.flush();
      });
      this.index.put(updated, timeUs);
      return updated;
    });
  }

  private async oneAtATime<R>(id: string, task: () => Promise<R>): Promise<R> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const run = previous.then(task);
    const settled = run.then(
      () => undefined,
      () => undefined
    );
    this.queues.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    }
  }

  /** Every state change of a ticket, oldest first: what changed, who and when. */
  async history(ticket: Ticket): Promise<TicketHistoryEntry[]> {
    const q =
      `SELECT * FROM ${quoteIdentifier(T.measurement)} WHERE ${equalsCondition(T.fields.ticketId, ticket.id)} ` +
      `AND time >= ${timeLiteralUs(Math.min(ticket.openedAtMs, ticket.updatedAtMs) * 1000)} ` +
      `ORDER BY time ASC LIMIT ${HISTORY_LIMIT}`;
    const rows = (await this.client.query(this.database, q))[0]?.rows ?? [];
    return rows.map((row, i) => {
      const state = rowToTicket(row);
      return {
        atMs: state.updatedAtMs,
        version: state.version ?? 0,
        status: state.status,
        // Points written before changes were named: the first opened the ticket, the rest updated it.
        kind: state.change?.kind ?? (i === 0 ? 'opened' : 'updated'),
        by: state.change?.by ?? '',
        summary: state.change?.summary ?? '',
      };
    });
  }

  /** Every ticket's current state (unfinished ones, and those done within the retention), for exports. */
  all(): Iterable<Ticket> {
    return this.index.all();
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

  /** The sites or hosts of the tickets held (the index keeps those of the retention period). */
  async places(tag: 'site' | 'host'): Promise<Set<string>> {
    return this.index.places(tag);
  }

  async departments(): Promise<Set<string>> {
    return this.index.departments();
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
  const updatedAtMs = Math.floor(Number(row.time) / 1000);
  const status = str(T.tags.status);
  const changeKind = str(T.tags.change);
  const changedBy = str(T.fields.changedBy);
  const comments = json<TicketComment[]>(T.fields.comments, []);
  const hosts = json<string[]>(T.fields.hosts, []);
  const mttrFactors = json<Explanation[]>(T.fields.mttrFactors, []);
  const routing: TicketRouting = {
    eventClass: str(T.tags.eventClass) as EventClass,
    department: str(T.tags.department),
    priority: str(T.tags.priority) as Priority,
  };
  const predicted = json<TicketRouting | undefined>(T.fields.predicted, undefined);
  const listed = json<unknown>(T.fields.corrected, undefined);
  // A point written before `corrected` existed has none: the fields that differ from `predicted` were.
  const corrected = correctedFields({ ...routing, predicted, corrected: Array.isArray(listed) ? listed : undefined });
  return {
    id: str(T.fields.ticketId),
    openedAtMs: num(T.fields.openedAtMs) ?? updatedAtMs,
    updatedAtMs,
    resolvedAtMs: num(T.fields.resolvedAtMs),
    // Points written before the workflow hold only open, needs_review and resolved.
    status: isTicketStatus(status) ? status : 'open',
    source: str(T.tags.source) as TicketSource,
    title: str(T.fields.title),
    description: str(T.fields.description) || undefined,
    ...routing,
    confidence: num(T.fields.confidence) ?? 0,
    needsReview: row[T.fields.needsReview] === true,
    site: str(T.tags.site),
    siteKind: str(T.tags.siteKind),
    host: str(T.fields.host),
    deviceKind: str(T.fields.deviceKind),
    mttrP50Seconds: num(T.fields.mttrP50S) ?? 0,
    mttrP90Seconds: num(T.fields.mttrP90S) ?? 0,
    mttrNote: str(T.fields.mttrNote) || undefined,
    mttrFactors: mttrFactors.length ? mttrFactors : undefined,
    rootCause: rootHost
      ? {
          host: rootHost,
          deviceKind: str(T.fields.rootCauseDeviceKind),
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
      ? {
          verdict: verdict as FeedbackVerdict,
          comment: str(T.fields.feedbackComment) || undefined,
          atMs: num(T.fields.feedbackAtMs) ?? 0,
        }
      : undefined,
    version: num(T.fields.version) ?? 0,
    assignee: str(T.fields.assignee) || undefined,
    comments: comments.length ? comments : undefined,
    predicted,
    corrected: corrected.length > 0 ? corrected : undefined,
    change: (TICKET_CHANGES as readonly string[]).includes(changeKind)
      ? { kind: changeKind as TicketChangeKind, by: changedBy, atMs: updatedAtMs, summary: str(T.fields.changeSummary) }
      : undefined,
    autoResolved: row[T.fields.autoResolved] === true ? true : undefined,
    hosts: hosts.length ? hosts : undefined,
    recommendation: str(T.fields.recommendation) || undefined,
    problem: str(T.fields.problem) || undefined,
    parentId: str(T.fields.parentId) || undefined,
  };
}
