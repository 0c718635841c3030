import { isDoneStatus, type Ticket, type TicketsPage, type TicketsQuery } from '@nocai/contract';
import type { Clock } from '../series';

const PRIORITY_RANK: Record<string, number> = { P1: 0, P2: 1, P3: 2, P4: 3 };
/** How far back list queries look when no range is given. */
export const DEFAULT_LIST_LOOKBACK_MS = 30 * 86_400_000;
/**
 * Tickets done (resolved, auto-resolved, closed) for longer than this leave the index: a restart
 * warms it from as far back, so a long-running index holds what a fresh one would.
 */
export const DEFAULT_TICKET_RETENTION_MS = 365 * 86_400_000;
/** How often (clock time) the index looks for tickets past their retention: a scan of every ticket. */
const EVICTION_INTERVAL_MS = 3_600_000;

export interface TicketIndexOptions {
  /** The time retention is counted against; without it nothing is evicted. */
  clock?: Clock;
  retentionMs?: number;
}

/**
 * The current state of every ticket, by id: the latest `aiops_tickets` point of each. InfluxDB
 * stays the store of record (one point per state change); this index is what makes a lookup by id
 * and a filtered list cost the same at 200 ticket points as at 200,000, instead of a scan of
 * every point (ids are fields, not tags, to keep the series cardinality bounded).
 */
export class TicketIndex {
  private readonly byId = new Map<string, { ticket: Ticket; timeUs: number }>();
  readonly retentionMs: number;
  private nextEvictionMs = -Infinity;

  constructor(private readonly options: TicketIndexOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_TICKET_RETENTION_MS;
    if (!(this.retentionMs > 0)) throw new RangeError(`ticket retention must be positive, got ${this.retentionMs} ms`);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Records a state written at `timeUs`; an older state than the one held is ignored, and so is
   * a done state already past its retention (the index would drop it at once). About once an hour
   * of the clock, tickets done for longer than the retention are dropped: without it, every ticket
   * a process ever saw would stay in memory. Unfinished tickets stay, however old.
   */
  put(ticket: Ticket, timeUs: number): void {
    const nowMs = this.options.clock?.nowMs();
    if (nowMs !== undefined && nowMs >= this.nextEvictionMs) {
      this.evict(nowMs);
      this.nextEvictionMs = nowMs + Math.min(EVICTION_INTERVAL_MS, this.retentionMs);
    }
    const held = this.byId.get(ticket.id);
    if (held && held.timeUs > timeUs) return;
    if (nowMs !== undefined && this.isExpired(ticket, nowMs)) {
      this.byId.delete(ticket.id);
      return;
    }
    this.byId.set(ticket.id, { ticket, timeUs });
  }

  private isExpired(ticket: Ticket, nowMs: number): boolean {
    return isDoneStatus(ticket.status) && nowMs - ticket.updatedAtMs > this.retentionMs;
  }

  private evict(nowMs: number): void {
    for (const [id, { ticket }] of this.byId) if (this.isExpired(ticket, nowMs)) this.byId.delete(id);
  }

  get(id: string): Ticket | undefined {
    return this.byId.get(id)?.ticket;
  }

  /** Every ticket's current state, in no particular order. */
  *all(): IterableIterator<Ticket> {
    for (const { ticket } of this.byId.values()) yield ticket;
  }

  /** The sites, or the hosts (their own and their incidents' devices), of every ticket held. */
  places(tag: 'site' | 'host'): Set<string> {
    const values = new Set<string>();
    for (const { ticket } of this.byId.values()) {
      if (tag === 'site') {
        values.add(ticket.site);
        continue;
      }
      values.add(ticket.host);
      for (const host of ticket.hosts ?? []) values.add(host);
    }
    values.delete('');
    return values;
  }

  /** The departments of every ticket held: the six the routing knows, or others a department model routes to. */
  departments(): Set<string> {
    const values = new Set<string>();
    for (const { ticket } of this.byId.values()) values.add(ticket.department);
    values.delete('');
    return values;
  }

  /**
   * Tickets that were alive in the range (opened by its end, and still unresolved — not resolved,
   * auto-resolved or closed — or resolved after its start; without a resolution time, updated after it), in their current state: a ticket opened as P2 and raised to P1 is a P1 ticket.
   * P1 first, then oldest first.
   */
  list(query: TicketsQuery, nowMs: number): TicketsPage {
    const toMs = query.to ?? nowMs;
    const fromMs = query.from ?? toMs - DEFAULT_LIST_LOOKBACK_MS;
    // Only the first offset + limit of the order are needed: kept in a small sorted window
    // instead of sorting every match, so a page costs about the same at any history size.
    const wanted = query.offset + query.limit;
    const page: Ticket[] = [];
    let total = 0;
    for (const { ticket: t } of this.byId.values()) {
      if (t.openedAtMs > toMs) continue;
      // A done ticket was alive until it was resolved: a verdict, comment or close given later is no
      // activity of the fault, and does not bring a ticket of last week into the last hour.
      if (isDoneStatus(t.status) && (t.resolvedAtMs ?? t.updatedAtMs) < fromMs) continue;
      // Each filter is a list of values, any of which matches.
      if (query.status && !query.status.includes(t.status)) continue;
      if (query.site && !query.site.includes(t.site)) continue;
      if (query.host && !involvesHost(t, query.host)) continue;
      if (query.department && !query.department.includes(t.department)) continue;
      if (query.priority && !query.priority.includes(t.priority)) continue;
      if (query.problem && !(t.problem !== undefined && query.problem.includes(t.problem))) continue;
      if (query.parent && !(t.parentId !== undefined && query.parent.includes(t.parentId))) continue;
      if (query.parentStatus && !this.parentIn(t, query.parentStatus)) continue;
      total++;
      if (page.length === wanted && compareTickets(t, page[wanted - 1]) >= 0) continue;
      page.splice(insertionPoint(page, t), 0, t);
      if (page.length > wanted) page.pop();
    }
    return {
      tickets: page.slice(query.offset),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }

  /** The ticket is linked to a parent the index holds, in one of `statuses`. */
  private parentIn(ticket: Ticket, statuses: readonly string[]): boolean {
    const parent = ticket.parentId === undefined ? undefined : this.byId.get(ticket.parentId)?.ticket;
    return parent !== undefined && statuses.includes(parent.status);
  }
}

/** The ticket's own host is one of them, or a device of its incident (its alerts and silences) is. */
function involvesHost(ticket: Ticket, hosts: readonly string[]): boolean {
  return hosts.includes(ticket.host) || (ticket.hosts ?? []).some((host) => hosts.includes(host));
}

/** P1 first, then the oldest, then by id (a stable order for paging). */
function compareTickets(a: Ticket, b: Ticket): number {
  return (
    (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9) ||
    a.openedAtMs - b.openedAtMs ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function insertionPoint(sorted: readonly Ticket[], ticket: Ticket): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareTickets(sorted[mid], ticket) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
