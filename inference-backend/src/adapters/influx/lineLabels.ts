import { correctedFields, type Ticket } from '@nocai/contract';
import {
  hasTicketLines,
  lineLabelRows,
  TICKET_LINE_DECISIONS,
  ticketLineWindow,
  type JudgedTicket,
} from '../../domain/mlops/lineLabels';
import type { EventsRepository } from './eventsRepository';
import type { FeedbackRecord } from './feedbackLabels';

/** Lines read per judged ticket, at most (an incident's related alerts are listed up to 100 too). */
const LINES_PER_TICKET = 100;

/**
 * The line models' labels from production: every incident ticket an operator judged (a verdict
 * since `sinceMs`) or corrected (changed since `sinceMs`), with its lines read back from
 * aiops_events, turned into labelled lines by `lineLabelRows`. Oldest line first.
 */
export async function readLineLabels(
  events: Pick<EventsRepository, 'related'>,
  tickets: Iterable<Ticket>,
  feedback: readonly FeedbackRecord[],
  sinceMs: number
): Promise<Array<Record<string, string>>> {
  const verdicts = new Map(feedback.map((record) => [record.ticketId, record]));
  const judged: JudgedTicket[] = [];
  for (const ticket of tickets) {
    if (!hasTicketLines(ticket)) continue;
    const record = verdicts.get(ticket.id);
    const corrected = correctedFields(ticket).length > 0 && ticket.updatedAtMs >= sinceMs;
    if (!record && !corrected) continue;
    const labelledAtMs = Math.max(record?.atMs ?? 0, corrected ? ticket.updatedAtMs : 0);
    const { hosts, fromMs, toMs } = ticketLineWindow(ticket, labelledAtMs);
    const lines = await events.related(hosts, fromMs, toMs, LINES_PER_TICKET, TICKET_LINE_DECISIONS);
    judged.push({ ticket, verdict: record?.verdict, labelledAtMs, lines });
  }
  return lineLabelRows(judged);
}
