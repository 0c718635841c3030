import { correctedFields, FEEDBACK_SERIES, type FeedbackVerdict, type Ticket } from '@nocai/contract';
import { isIncidentTicket } from '../../domain/tickets';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';

export interface FeedbackRecord {
  ticketId: string;
  verdict: FeedbackVerdict;
  comment: string;
  user: string;
  atMs: number;
}

/** Operators' verdicts in a time range, oldest first; the last verdict per ticket wins. */
export async function readFeedback(client: InfluxClient, database: string, sinceMs: number): Promise<FeedbackRecord[]> {
  const F = FEEDBACK_SERIES;
  const q =
    `SELECT ${[F.fields.ticketId, F.tags.verdict, F.fields.comment, F.fields.user].map(quoteIdentifier).join(', ')} ` +
    `FROM ${quoteIdentifier(F.measurement)} WHERE time >= ${timeLiteralUs(sinceMs * 1000)} ORDER BY time ASC`;
  const rows = (await client.query(database, q))[0]?.rows ?? [];
  const latest = new Map<string, FeedbackRecord>();
  for (const row of rows) {
    const ticketId = String(row[F.fields.ticketId] ?? '');
    if (!ticketId) continue;
    latest.set(ticketId, {
      ticketId,
      verdict: String(row[F.tags.verdict]) as FeedbackVerdict,
      comment: String(row[F.fields.comment] ?? ''),
      user: String(row[F.fields.user] ?? ''),
      atMs: Math.floor(Number(row.time) / 1000),
    });
  }
  return [...latest.values()];
}

/**
 * A ticket an operator judged or corrected, as a training row with the ticket-history columns:
 * `valid` and `avoided` confirm its routing, a correction replaces it (class, department and
 * priority are the corrected ones, what the models said is in `predicted_*`), `invalid` marks a
 * false positive (`is_alert` false), a label for the alert/noise decision, not for routing.
 * `auto_resolved` tells MTTR training that `resolved_at` is no time to resolve.
 */
export function labelledRow(ticket: Ticket, feedback: FeedbackRecord | undefined): Record<string, string> {
  const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  const predicted = ticket.predicted;
  // What a person set, even where the models have come to agree with it since.
  const corrected = correctedFields(ticket);
  const sources = [feedback ? 'feedback' : '', corrected.length ? 'correction' : ''].filter(Boolean);
  return {
    id: ticket.id,
    opened_at: iso(ticket.openedAtMs),
    resolved_at: iso(ticket.resolvedAtMs),
    site: ticket.site,
    site_kind: ticket.siteKind,
    host: ticket.host,
    device_kind: ticket.deviceKind,
    class: ticket.eventClass,
    department: ticket.department,
    priority: ticket.priority,
    // What the routing models read: a complaint's or alert's whole text in both columns (the
    // text router puts it in both), an incident's title and root cause otherwise.
    title: ticket.description ?? ticket.title,
    description: ticket.description ?? [ticket.title, ticket.rootCause?.description].filter(Boolean).join('. '),
    resolution: feedback?.comment || ticket.comments?.at(-1)?.text || '',
    // Silences too: the service estimates every incident ticket's MTTR as from an incident.
    incident_id: isIncidentTicket(ticket) ? ticket.id : '',
    auto_resolved: ticket.autoResolved ? 'true' : 'false',
    verdict: feedback?.verdict ?? '',
    is_alert: feedback?.verdict === 'invalid' ? 'false' : 'true',
    predicted_class: predicted?.eventClass ?? ticket.eventClass,
    predicted_department: predicted?.department ?? ticket.department,
    predicted_priority: predicted?.priority ?? ticket.priority,
    corrected: corrected.map((field) => (field === 'eventClass' ? 'class' : field)).join(','),
    label_source: sources.join(','),
    labelled_at: iso(Math.max(feedback?.atMs ?? 0, corrected.length ? ticket.updatedAtMs : 0)),
  };
}

/**
 * One training row per ticket an operator judged (`feedback`) or whose routing a person corrected
 * (changed since `sinceMs`), oldest label first; `missing` counts verdicts on tickets no longer stored.
 */
export function labelRows(
  tickets: Iterable<Ticket>,
  feedback: readonly FeedbackRecord[],
  sinceMs: number
): { rows: Array<Record<string, string>>; missing: number } {
  const byId = new Map<string, Ticket>();
  for (const ticket of tickets) byId.set(ticket.id, ticket);
  const verdicts = new Map(feedback.map((record) => [record.ticketId, record]));
  const labelled = new Set<string>();
  let missing = 0;
  for (const record of feedback) {
    if (byId.has(record.ticketId)) labelled.add(record.ticketId);
    else missing++;
  }
  for (const ticket of byId.values()) {
    if (correctedFields(ticket).length > 0 && ticket.updatedAtMs >= sinceMs) labelled.add(ticket.id);
  }
  const rows = [...labelled].flatMap((id) => {
    const ticket = byId.get(id);
    return ticket ? [labelledRow(ticket, verdicts.get(id))] : [];
  });
  rows.sort((a, b) => (a.labelled_at < b.labelled_at ? -1 : a.labelled_at > b.labelled_at ? 1 : 0));
  return { rows, missing };
}

/**
 * The MTTR labels: tickets people resolved since `sinceMs` (not auto-resolved, which says nothing
 * of a time to resolve, nor judged false positives), as training rows, oldest first.
 */
export function resolvedRows(
  tickets: Iterable<Ticket>,
  feedback: readonly FeedbackRecord[],
  sinceMs: number
): Array<Record<string, string>> {
  const verdicts = new Map(feedback.map((record) => [record.ticketId, record]));
  const rows: Array<Record<string, string>> = [];
  for (const ticket of tickets) {
    if (ticket.resolvedAtMs === undefined || ticket.resolvedAtMs < sinceMs || ticket.autoResolved) continue;
    if (ticket.status !== 'resolved' && ticket.status !== 'closed') continue;
    if (verdicts.get(ticket.id)?.verdict === 'invalid') continue;
    rows.push(labelledRow(ticket, verdicts.get(ticket.id)));
  }
  return rows.sort((a, b) => (a.opened_at < b.opened_at ? -1 : a.opened_at > b.opened_at ? 1 : 0));
}
