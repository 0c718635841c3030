import { correctedFields, type ClassifiedEvent, type FeedbackVerdict, type Ticket } from '@nocai/contract';

/**
 * Operators judge tickets, not syslog lines; the line models (event-class, event-decision) learn
 * from the lines of the tickets they judged. A ticket's lines are the events that opened it or
 * joined it: the `aiops_events` of its devices with an alert-like decision from its opening until
 * it was judged or resolved (see `ticketLineWindow`), as the ticket detail lists its related alerts.
 *
 * - `invalid` (a false alarm): its lines are `noise` for event-decision; their class is not judged.
 * - `valid` / `avoided`, or a routing correction without `invalid`: its lines are `alert`.
 * - event-class: a class correction relabels the lines the models gave the wrong class (the class
 *   they predicted) with the corrected class; a confirmed ticket confirms the lines of its class.
 *   Lines of other classes (a dependant's, a root cause's) are not what the operator judged.
 */
export interface JudgedTicket {
  ticket: Ticket;
  /** The last verdict on it, if any. */
  verdict?: FeedbackVerdict;
  /** When the operator judged it (verdict or correction), ms. */
  labelledAtMs: number;
  lines: readonly ClassifiedEvent[];
}

/** The decisions of the lines that open or join an incident ticket. */
export const TICKET_LINE_DECISIONS = ['alert', 'needs_review', 'false_alarm'] as const;

/** Tickets whose lines are syslog events: the incidents the log stage opened from them. */
export function hasTicketLines(ticket: Ticket): boolean {
  return ticket.source === 'logs' || ticket.source === 'silence';
}

/** The devices and time range where a ticket's lines are found (the incident's hosts, from opening until judged or resolved). */
export function ticketLineWindow(
  ticket: Ticket,
  labelledAtMs: number
): { hosts: string[]; fromMs: number; toMs: number } {
  const hosts = ticket.hosts ?? [ticket.host, ticket.rootCause?.host ?? ''].filter(Boolean);
  const endMs = Math.min(ticket.resolvedAtMs ?? Number.POSITIVE_INFINITY, labelledAtMs);
  return { hosts: [...new Set(hosts)], fromMs: ticket.openedAtMs, toMs: Math.max(ticket.openedAtMs, endMs) };
}

/**
 * One training row per line of a judged ticket, in the columns of the line corpus
 * (`simulator/labelledLines.ts`: time, hostname, appname, severity, message, device_kind,
 * site_kind, class, decision) plus `id` (host@µs: a line judged twice counts once, the newest
 * verdict winning), `opened_at` (the line's time, which the time slice orders by) and the ticket
 * it came from. `class` or `decision` is empty when the verdict says nothing about it.
 */
export function lineLabelRows(judged: readonly JudgedTicket[]): Array<Record<string, string>> {
  const byLine = new Map<string, { row: Record<string, string>; atMs: number }>();
  for (const { ticket, verdict, labelledAtMs, lines } of judged) {
    const corrected =
      ticket.predicted && ticket.predicted.eventClass !== ticket.eventClass ? ticket.predicted.eventClass : undefined;
    const falseAlarm = verdict === 'invalid';
    if (!falseAlarm && verdict === undefined && correctedFields(ticket).length === 0) continue;
    for (const line of lines) {
      let lineClass = '';
      if (!falseAlarm) {
        if (corrected !== undefined && line.eventClass === corrected) lineClass = ticket.eventClass;
        else if (corrected === undefined && line.eventClass === ticket.eventClass) lineClass = ticket.eventClass;
      }
      const time = new Date(Math.floor(line.timeUs / 1000)).toISOString();
      const id = `${line.hostname}@${line.timeUs}`;
      const row: Record<string, string> = {
        id,
        time,
        opened_at: time,
        hostname: line.hostname,
        appname: line.appname,
        severity: line.severity,
        message: line.message,
        device_kind: line.deviceKind,
        site_kind: line.siteKind,
        class: lineClass,
        decision: falseAlarm ? 'noise' : 'alert',
        ticket_id: ticket.id,
        verdict: verdict ?? '',
      };
      const seen = byLine.get(id);
      if (!seen || labelledAtMs >= seen.atMs) byLine.set(id, { row, atMs: labelledAtMs });
    }
  }
  return [...byLine.values()].map((v) => v.row).sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
