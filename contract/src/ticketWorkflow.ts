/**
 * The ticket workflow's closed vocabularies: statuses, the moves a person may make between them,
 * the kinds of change written to `aiops_tickets`, and the assignee format. No zod here, so the
 * Grafana plugins can import this module (`@nocai/contract/dist/ticketWorkflow`) and offer exactly
 * the moves the backend accepts, without bundling the schema library.
 */

/**
 * `needs_review`: routing confidence below the review threshold, waiting for a person.
 * `auto_resolved`: the backend closed an incident of alerts alone after quiet time; nothing
 * reported a recovery, so its duration is not a time to resolve (MTTR training leaves it out).
 * `closed`: final; a fault that comes back is a new ticket.
 */
export const TICKET_STATUSES = [
  'needs_review',
  'open',
  'acknowledged',
  'in_progress',
  'resolved',
  'auto_resolved',
  'closed',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export function isTicketStatus(value: unknown): value is TicketStatus {
  return typeof value === 'string' && (TICKET_STATUSES as readonly string[]).includes(value);
}

/** The fault is over: lists count these tickets in a range only if they changed within it. */
export const DONE_STATUSES: readonly TicketStatus[] = ['resolved', 'auto_resolved', 'closed'];

export function isDoneStatus(status: TicketStatus): boolean {
  return DONE_STATUSES.includes(status);
}

/**
 * Where a person may move a ticket from each status: forward through the workflow (a step may be
 * skipped towards resolution, never past it), reopen from a resolution, close after one.
 * `closed` is final. The backend itself also resolves active tickets (`resolved` when the devices
 * recovered or the alert cleared, `auto_resolved` after quiet time) and closes any ticket judged a
 * false positive (an `invalid` verdict).
 */
export const STATUS_MOVES: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  needs_review: ['open', 'acknowledged'],
  open: ['acknowledged', 'in_progress', 'resolved'],
  acknowledged: ['in_progress', 'resolved'],
  in_progress: ['resolved'],
  resolved: ['closed', 'open'],
  auto_resolved: ['closed', 'open'],
  closed: [],
};

/** Statuses a person can ask for in `PATCH /api/tickets/:id`. */
export const SETTABLE_STATUSES = ['open', 'acknowledged', 'in_progress', 'resolved', 'closed'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

export function canMove(from: TicketStatus, to: TicketStatus): boolean {
  return STATUS_MOVES[from].includes(to);
}

/**
 * What one `aiops_tickets` point changed (its `change` tag; a small closed set, so the tag keeps
 * the series cardinality bounded). `opened`: the ticket was created; `updated`: the backend
 * refreshed its evidence (alert count, root cause, priority); `status`: its status changed (by a
 * person or by the backend's resolution); `verdict`: an operator's verdict that left the status.
 * A change of several things is named by the first that applies in this order: status,
 * corrected, assigned, commented.
 */
export const TICKET_CHANGES = ['opened', 'updated', 'status', 'verdict', 'corrected', 'assigned', 'commented'] as const;
export type TicketChangeKind = (typeof TICKET_CHANGES)[number];

/**
 * An assignee is a person (`user:` and a Grafana login or e-mail) or a team (`team:` and a name).
 * It is stored as a field, never a tag: people are not a bounded set.
 */
export const ASSIGNEE_PATTERN = /^(?:user:[A-Za-z0-9._@+-]{1,64}|team:[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;
export const ASSIGNEE_FORMAT =
  'user:<login> (letters, digits and . _ @ + -) or team:<name> (letters, digits and . _ -), e.g. user:alice or team:network_ops';

export function isAssignee(value: unknown): value is string {
  return typeof value === 'string' && ASSIGNEE_PATTERN.test(value);
}

/**
 * An operator's verdict on a ticket. `invalid`: a false positive (the ticket is closed);
 * `avoided`: acted on before it became an outage, counts as a true positive.
 */
export const FEEDBACK_VERDICTS = ['valid', 'invalid', 'avoided'] as const;
export type FeedbackVerdict = (typeof FEEDBACK_VERDICTS)[number];

/** Per comment. */
export const COMMENT_MAX_LENGTH = 2000;
/** Comments a ticket's state carries (the newest); the history (`GET /api/tickets/:id/history`) has all. */
export const COMMENTS_KEPT = 10;
