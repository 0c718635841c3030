import type { FeedbackRequest, Ticket, TicketStatus } from '@nocai/contract';
import type { TicketAction } from '../incidents/types';
import { ticketFromIncident } from './ticket';
import type { TicketBuildDeps } from './ticket';

/**
 * A ticket's life: it is born `open` or `needs_review` (low confidence), a reviewer may confirm
 * a `needs_review` ticket (→ `open`), and it ends `resolved`. Nothing leaves `resolved`: a fault
 * that comes back is a new incident and a new ticket.
 */
const TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  needs_review: ['open', 'resolved'],
  open: ['resolved'],
  resolved: [],
};

export class TicketTransitionError extends Error {
  constructor(
    readonly ticketId: string,
    readonly from: TicketStatus,
    readonly to: TicketStatus
  ) {
    super(`ticket ${ticketId} cannot go from ${from} to ${to}`);
    this.name = 'TicketTransitionError';
  }
}

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function transition(ticket: Ticket, to: TicketStatus, atMs: number): Ticket {
  if (!canTransition(ticket.status, to)) throw new TicketTransitionError(ticket.id, ticket.status, to);
  return {
    ...ticket,
    status: to,
    updatedAtMs: atMs,
    needsReview: to === 'needs_review',
    resolvedAtMs: to === 'resolved' ? atMs : ticket.resolvedAtMs,
  };
}

/**
 * Applies an engine action to the stored ticket (undefined before `open`). Updates refresh what
 * the engine knows (count, root cause, priority) but keep the status a reviewer gave it.
 */
export function applyTicketAction(existing: Ticket | undefined, action: TicketAction, deps: TicketBuildDeps): Ticket {
  const built = ticketFromIncident(action.incident, deps);
  if (existing === undefined) {
    if (action.kind !== 'open') throw new Error(`ticket ${action.incident.id}: ${action.kind} before open`);
    return { ...built, status: built.needsReview ? 'needs_review' : 'open', resolvedAtMs: undefined };
  }
  if (action.kind === 'open') throw new Error(`ticket ${existing.id} is already open`);
  const refreshed: Ticket = {
    ...built,
    status: existing.status,
    needsReview: existing.needsReview,
    resolvedAtMs: existing.resolvedAtMs,
    feedback: existing.feedback,
  };
  // A reviewer may have dismissed it already; the engine's resolve then changes nothing.
  if (action.kind === 'resolve' && existing.status !== 'resolved') return transition(refreshed, 'resolved', deps.nowMs);
  return refreshed;
}

/**
 * Attaches an operator's verdict. On a ticket waiting for review the verdict also decides it:
 * valid or avoided confirms it (→ open), invalid dismisses it (→ resolved).
 */
export function applyFeedback(ticket: Ticket, feedback: FeedbackRequest, atMs: number): Ticket {
  const withFeedback: Ticket = {
    ...ticket,
    updatedAtMs: atMs,
    feedback: { verdict: feedback.verdict, comment: feedback.comment, atMs },
  };
  if (ticket.status !== 'needs_review') return withFeedback;
  return transition(withFeedback, feedback.verdict === 'invalid' ? 'resolved' : 'open', atMs);
}
