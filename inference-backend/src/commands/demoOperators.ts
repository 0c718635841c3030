import type { FeedbackVerdict, GroundTruthEvent, GroundTruthIncident, Ticket, TicketRouting } from '@nocai/contract';
import { COVERAGE_LEAD_US } from '../bench/coverage';

/**
 * The demo's simulated operators: they judge the tickets of the triaged history from what really
 * happened (the simulator's ground truth), through the backend's API as people would, so that the
 * backend computes production accuracy from their verdicts and corrections with its own code.
 */

/** What an operator does with one ticket: a verdict, after correcting its routing where it was wrong. */
export interface Judgement {
  ticketId: string;
  verdict: FeedbackVerdict;
  /** The routing the fault really needed, when the ticket's differs and it can still be changed (not closed). */
  correction?: Partial<TicketRouting>;
  /** The ground-truth incident behind the ticket, if any. */
  incidentId?: string;
}

/**
 * A ticket is about an incident when it was opened on one of the incident's devices (its own host
 * or a device of its incident), at its site, between `COVERAGE_LEAD_US` before the first effect and
 * the last (the lead the coverage check allows). Of several, the one whose root is the ticket's
 * host or root cause, then the earliest.
 */
export function incidentOf(ticket: Ticket, incidents: readonly GroundTruthIncident[]): GroundTruthIncident | undefined {
  const openedUs = ticket.openedAtMs * 1000;
  const devices = new Set([ticket.host, ...(ticket.hosts ?? []), ...(ticket.rootCause ? [ticket.rootCause.host] : [])]);
  const candidates = incidents.filter(
    (i) =>
      i.site === ticket.site &&
      openedUs >= i.startUs - COVERAGE_LEAD_US &&
      openedUs <= i.endUs &&
      i.affectedHosts.some((host) => devices.has(host))
  );
  const root = ticket.rootCause?.host ?? ticket.host;
  return [...candidates].sort(
    (a, b) => Number(b.rootHost === root) - Number(a.rootHost === root) || a.startUs - b.startUs
  )[0];
}

/**
 * A fault of one device outside any incident (a failing probe, an out-of-memory kill): a line the
 * ground truth calls `alert` on one of the ticket's devices, within `COVERAGE_LEAD_US` of its opening.
 */
export function alertLineOf(ticket: Ticket, alertLines: readonly GroundTruthEvent[]): GroundTruthEvent | undefined {
  const openedUs = ticket.openedAtMs * 1000;
  const devices = new Set([ticket.host, ...(ticket.hosts ?? [])]);
  return alertLines.find(
    (line) =>
      line.decision === 'alert' && devices.has(line.hostname) && Math.abs(line.timeUs - openedUs) <= COVERAGE_LEAD_US
  );
}

/**
 * How the operators judge each ticket not judged yet: `invalid` (a false positive, which closes it)
 * when no real fault is behind it, a power flicker that recovered on its own included; otherwise
 * `valid`, after correcting class, department or priority to what the incident needed where the
 * models chose otherwise (a closed ticket takes no correction, only its verdict). A ticket with no
 * incident behind it is real when the ground truth calls a line of one of its devices an alert at
 * its opening; its class is corrected to that line's where it differs.
 */
export function operatorJudgements(
  tickets: readonly Ticket[],
  incidents: readonly GroundTruthIncident[],
  alertLines: readonly GroundTruthEvent[] = []
): Judgement[] {
  const judgements: Judgement[] = [];
  for (const ticket of tickets) {
    if (ticket.feedback) continue;
    const incident = incidentOf(ticket, incidents);
    const line = incident ? undefined : alertLineOf(ticket, alertLines);
    if (line) {
      const wrong = ticket.eventClass !== line.eventClass && ticket.status !== 'closed';
      judgements.push({
        ticketId: ticket.id,
        verdict: 'valid',
        ...(wrong ? { correction: { eventClass: line.eventClass } } : {}),
      });
      continue;
    }
    if (!incident || incident.isFalseAlarm) {
      judgements.push({ ticketId: ticket.id, verdict: 'invalid', incidentId: incident?.id });
      continue;
    }
    const { eventClass, department, priority } = incident.expected;
    const wrong = ticket.eventClass !== eventClass || ticket.department !== department || ticket.priority !== priority;
    judgements.push({
      ticketId: ticket.id,
      verdict: 'valid',
      incidentId: incident.id,
      ...(wrong && ticket.status !== 'closed' ? { correction: { eventClass, department, priority } } : {}),
    });
  }
  return judgements;
}

/** The backend's API as the operators use it: one call, its status and JSON body. */
export type OperatorCall = (
  path: string,
  method: 'PATCH' | 'POST',
  body: unknown
) => Promise<{ status: number; body: unknown }>;

export interface JudgedTickets {
  valid: number;
  invalid: number;
  corrected: number;
}

/**
 * Applies the judgements through the API: `PATCH /api/tickets/:id` with the correction (at the
 * ticket's version), then `POST /api/tickets/:id/feedback`. A refusal fails: the demo's operators
 * only do what the API accepts from a person.
 */
export async function applyJudgements(
  call: OperatorCall,
  tickets: readonly Ticket[],
  judgements: readonly Judgement[]
): Promise<JudgedTickets> {
  const byId = new Map(tickets.map((t) => [t.id, t]));
  const done: JudgedTickets = { valid: 0, invalid: 0, corrected: 0 };
  const expect = async (what: string, answer: Promise<{ status: number; body: unknown }>) => {
    const { status, body } = await answer;
    if (status < 200 || status >= 300) {
      throw new Error(`${what} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    }
  };
  for (const judgement of judgements) {
    const id = encodeURIComponent(judgement.ticketId);
    if (judgement.correction) {
      const version = byId.get(judgement.ticketId)?.version ?? 0;
      await expect(
        `PATCH /api/tickets/${judgement.ticketId}`,
        call(`/api/tickets/${id}`, 'PATCH', { ...judgement.correction, version })
      );
      done.corrected++;
    }
    await expect(
      `POST /api/tickets/${judgement.ticketId}/feedback`,
      call(`/api/tickets/${id}/feedback`, 'POST', { verdict: judgement.verdict })
    );
    if (judgement.verdict === 'invalid') done.invalid++;
    else done.valid++;
  }
  return done;
}
