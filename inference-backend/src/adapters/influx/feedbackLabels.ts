import { FEEDBACK_SERIES, type FeedbackVerdict, type Ticket } from '@nocai/contract';
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
 * A ticket an operator judged, as a training row with the ticket-history columns: `valid` and
 * `avoided` confirm its routing (class, department, priority are labels); `invalid` marks it a
 * false positive (`is_alert` false), a label for the alert/noise decision, not for routing.
 */
export function labelledRow(ticket: Ticket, feedback: FeedbackRecord): Record<string, string> {
  const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
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
    title: ticket.title,
    description: [ticket.title, ticket.rootCause?.description].filter(Boolean).join('. '),
    resolution: feedback.comment,
    incident_id: ticket.source === 'logs' ? ticket.id : '',
    verdict: feedback.verdict,
    is_alert: feedback.verdict === 'invalid' ? 'false' : 'true',
    label_source: 'feedback',
    labelled_at: iso(feedback.atMs),
  };
}
