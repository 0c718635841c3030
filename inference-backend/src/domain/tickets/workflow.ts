import {
  COMMENTS_KEPT,
  ROUTING_FIELDS,
  STATUS_MOVES,
  canMove,
  correctedFields,
  isDoneStatus,
  type FeedbackRequest,
  type Ticket,
  type TicketChangeKind,
  type TicketRouting,
  type TicketStatus,
  type TicketUpdateRequest,
} from '@nocai/contract';
import { TicketError, TicketTransitionError } from './errors';

/** Who makes a change, and when. */
export interface Actor {
  by: string;
  atMs: number;
}

/** What the backend signs its own changes with. */
export const ENGINE_ACTOR = 'nocai';
export const GRAFANA_ACTOR = 'grafana';

/** A workflow change without the version it was made against (checked by `checkVersion`). */
export type WorkflowChange = Omit<TicketUpdateRequest, 'version'>;

/**
 * The next state of a ticket: the version moves on by one and the change (what, who, when) is
 * recorded. Every write of a ticket goes through here, so its version counts its state changes.
 */
export function nextState(
  ticket: Ticket,
  patch: Partial<Ticket>,
  change: { kind: TicketChangeKind; summary: string },
  actor: Actor
): Ticket {
  return {
    ...ticket,
    ...patch,
    updatedAtMs: actor.atMs,
    version: (ticket.version ?? 0) + 1,
    change: { kind: change.kind, by: actor.by, atMs: actor.atMs, summary: change.summary },
  };
}

/**
 * Refuses a change made against another version than the ticket's (two operators at once: the
 * second one saw a state that is gone). `expected` undefined means the caller sent `If-Match: *`.
 */
export function checkVersion(ticket: Ticket, expected: number | undefined): void {
  const current = ticket.version ?? 0;
  if (expected === undefined || expected === current) return;
  const by = ticket.change ? ` (last by ${ticket.change.by}: ${ticket.change.summary})` : '';
  throw new TicketError(
    'stale_version',
    `ticket ${ticket.id} is at version ${current}, not ${expected}: it changed since you read it${by}; reload it and try again`,
    current
  );
}

function refuseClosed(ticket: Ticket, what: string): void {
  if (ticket.status === 'closed') {
    throw new TicketError(
      'ticket_closed',
      `ticket ${ticket.id} is closed: it takes no ${what}; a fault that comes back is a new ticket`
    );
  }
}

/** The state a status move leads to, with what goes with it (resolution time, review flag, auto marker). */
function moveTo(ticket: Ticket, to: TicketStatus, atMs: number): Partial<Ticket> {
  const patch: Partial<Ticket> = { status: to, needsReview: to === 'needs_review' };
  if (to === 'resolved' || to === 'auto_resolved') {
    patch.resolvedAtMs = atMs;
    patch.autoResolved = to === 'auto_resolved' ? true : undefined;
  } else if (!isDoneStatus(to)) {
    // Reopened (or still active): no longer resolved, by anyone.
    patch.resolvedAtMs = undefined;
    patch.autoResolved = undefined;
  }
  if (to === 'closed' && ticket.resolvedAtMs === undefined) patch.resolvedAtMs = atMs;
  return patch;
}

function withComment(ticket: Ticket, text: string, actor: Actor): Ticket['comments'] {
  return [...(ticket.comments ?? []), { text, by: actor.by, atMs: actor.atMs }].slice(-COMMENTS_KEPT);
}

/**
 * A person's workflow change: a status move (only those `STATUS_MOVES` allows), an assignee, a
 * correction of class, department or priority (the models' routing is kept in `predicted`: it is a
 * label for the next training; the fields set are listed in `corrected`), and an optional comment
 * saying why. Returns the ticket itself when nothing would change. Throws `TicketError` on a closed
 * ticket or a move that is not allowed.
 */
export function applyWorkflowChange(ticket: Ticket, change: WorkflowChange, actor: Actor): Ticket {
  refuseClosed(ticket, 'workflow changes');
  const patch: Partial<Ticket> = {};
  const said: string[] = [];
  let kind: TicketChangeKind | undefined;

  if (change.status !== undefined && change.status !== ticket.status) {
    if (!canMove(ticket.status, change.status)) {
      throw new TicketTransitionError(ticket.id, ticket.status, change.status, STATUS_MOVES[ticket.status]);
    }
    Object.assign(patch, moveTo(ticket, change.status, actor.atMs));
    said.push(`status ${ticket.status} → ${change.status}`);
    kind = 'status';
  }

  const changed = ROUTING_FIELDS.filter((field) => change[field] !== undefined && change[field] !== ticket[field]);
  if (changed.length > 0) {
    const predicted = ticket.predicted ?? routingOf(ticket);
    const routing = { ...routingOf(ticket), ...pickRouting(change) };
    Object.assign(patch, routing);
    // A field set is the person's, unless set back to what the models said; the others stay as they were.
    const before = correctedFields(ticket);
    const corrected = ROUTING_FIELDS.filter((field) =>
      changed.includes(field) ? routing[field] !== predicted[field] : before.includes(field)
    );
    // Nothing corrected any more: no models' routing to keep as a label either.
    patch.corrected = corrected.length > 0 ? corrected : undefined;
    patch.predicted = corrected.length > 0 ? predicted : undefined;
    for (const field of changed) said.push(`${field} ${ticket[field]} → ${routing[field]}`);
    kind ??= 'corrected';
  }

  if (change.assignee !== undefined && (change.assignee ?? undefined) !== ticket.assignee) {
    patch.assignee = change.assignee ?? undefined;
    said.push(change.assignee === null ? 'unassigned' : `assignee → ${change.assignee}`);
    kind ??= 'assigned';
  }

  if (kind === undefined) return ticket;
  if (change.comment !== undefined) {
    patch.comments = withComment(ticket, change.comment, actor);
    // Named as a comment alone is (`addComment`): the history shows that one came with the change.
    said.push('comment');
  }
  return nextState(ticket, patch, { kind, summary: said.join('; ') }, actor);
}

/**
 * The routing of a ticket rebuilt from the models' latest answer (`models`) over its stored state
 * (`existing`, undefined for a new ticket): routing a person corrected stays theirs (and stays
 * `corrected`, even when the models come to agree with it: their next answer may not), the rest
 * follows the models, and the models' answer becomes the `predicted` routing the correction is a
 * label against. Nothing corrected: the models' routing, without `predicted` or `corrected`.
 * Computed before the ticket is built, so that what is estimated from the routing (the time to
 * resolve) is for this one.
 */
export function keptRouting(
  existing: Ticket | undefined,
  models: TicketRouting
): TicketRouting & Pick<Ticket, 'predicted' | 'corrected'> {
  const routing = routingOf(models);
  const corrected = existing === undefined ? [] : correctedFields(existing);
  if (existing === undefined || corrected.length === 0) return routing;
  for (const field of corrected) Object.assign(routing, { [field]: existing[field] });
  return { ...routing, predicted: routingOf(models), corrected };
}

/** The class, department and priority of a ticket (or of any routing), alone. */
function routingOf(source: TicketRouting): TicketRouting {
  return { eventClass: source.eventClass, department: source.department, priority: source.priority };
}

export function isSameRouting(a: TicketRouting, b: TicketRouting): boolean {
  return ROUTING_FIELDS.every((field) => a[field] === b[field]);
}

function pickRouting(source: Partial<TicketRouting>): Partial<TicketRouting> {
  const routing: Partial<TicketRouting> = {};
  for (const field of ROUTING_FIELDS)
    if (source[field] !== undefined) Object.assign(routing, { [field]: source[field] });
  return routing;
}

/** A comment on its own. Throws on a closed ticket. */
export function addComment(ticket: Ticket, text: string, actor: Actor): Ticket {
  refuseClosed(ticket, 'comments');
  return nextState(
    ticket,
    { comments: withComment(ticket, text, actor) },
    { kind: 'commented', summary: 'comment' },
    actor
  );
}

/**
 * Attaches an operator's verdict. `invalid` says the ticket is a false positive: it leaves
 * `needs_review` (or wherever it was) and is closed. `valid` or `avoided` on a ticket waiting for
 * review confirms it (→ open). Verdicts are labels and are taken on closed tickets too; they then
 * change nothing else.
 */
export function applyFeedback(ticket: Ticket, feedback: FeedbackRequest, actor: Actor): Ticket {
  // An empty comment is no comment: stored, it is an absent field, so it must not differ before a restart.
  const comment = feedback.comment === '' ? undefined : feedback.comment;
  const patch: Partial<Ticket> = {
    feedback: { verdict: feedback.verdict, comment, atMs: actor.atMs },
  };
  const verdict = `verdict ${feedback.verdict}`;
  let to: TicketStatus | undefined;
  if (feedback.verdict === 'invalid' && ticket.status !== 'closed') to = 'closed';
  else if (feedback.verdict !== 'invalid' && ticket.status === 'needs_review') to = 'open';
  if (to === undefined) return nextState(ticket, patch, { kind: 'verdict', summary: verdict }, actor);
  const reason = to === 'closed' ? ' (false positive)' : '';
  return nextState(
    ticket,
    { ...patch, ...moveTo(ticket, to, actor.atMs) },
    { kind: 'status', summary: `${verdict}; status ${ticket.status} → ${to}${reason}` },
    actor
  );
}

/**
 * The backend's own resolution of an active ticket: `resolved` when a recovery or a cleared alert
 * says the fault is over, `auto_resolved` when only quiet time does. A ticket already resolved or
 * closed is left as it is (a late resolve is harmless): returns it unchanged.
 */
export function resolveBySystem(
  ticket: Ticket,
  to: 'resolved' | 'auto_resolved',
  actor: Actor,
  resolvedAtMs = actor.atMs
): Ticket {
  if (isDoneStatus(ticket.status)) return ticket;
  const why = to === 'auto_resolved' ? ' (quiet time, no recovery reported)' : '';
  return nextState(
    ticket,
    { ...moveTo(ticket, to, actor.atMs), resolvedAtMs },
    { kind: 'status', summary: `status ${ticket.status} → ${to}${why}` },
    actor
  );
}
