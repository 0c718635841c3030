import { canMove, type Ticket } from '@nocai/contract';
import type { TicketAction } from '../incidents/types';
import { ticketFromIncident } from './ticket';
import type { TicketBuildDeps } from './ticket';
import { ENGINE_ACTOR, keptRouting, nextState, resolveBySystem } from './workflow';

/**
 * A ticket's life as the incident engine drives it: born `open` or `needs_review` (low
 * confidence), refreshed while the incident grows, and resolved when it ends. People move it
 * through the rest of the workflow (`workflow.ts`, moves in the contract's `STATUS_MOVES`).
 */

export const canTransition = canMove;

/**
 * Applies an engine action to the stored ticket (undefined before `open`). Updates refresh what
 * the engine knows (count, root cause, priority) but keep what people decided: the status, the
 * assignee, comments, verdicts, and any routing they corrected (`keptRouting`: the time to resolve
 * is then estimated for the corrected routing, and `deps.predictMttr` is asked for that). A resolve ends an active ticket as
 * `resolved` when devices reported their recovery, or `auto_resolved` when only quiet time did
 * (an incident of alerts alone).
 */
export function applyTicketAction(existing: Ticket | undefined, action: TicketAction, deps: TicketBuildDeps): Ticket {
  // Routing a person corrected stays theirs, and the time to resolve is estimated for it.
  const { predicted, corrected, ...routing } = keptRouting(existing, action.incident);
  const built = ticketFromIncident(action.incident, deps, routing);
  const actor = { by: ENGINE_ACTOR, atMs: deps.nowMs };
  if (existing === undefined) {
    if (action.kind !== 'open') throw new Error(`ticket ${action.incident.id}: ${action.kind} before open`);
    const opened: Ticket = { ...built, status: built.needsReview ? 'needs_review' : 'open', resolvedAtMs: undefined };
    return nextState({ ...opened, version: 0 }, {}, { kind: 'opened', summary: 'opened' }, actor);
  }
  if (action.kind === 'open') throw new Error(`ticket ${existing.id} is already open`);
  const refreshed: Ticket = {
    ...built,
    ...(predicted ? { predicted } : {}),
    ...(corrected ? { corrected } : {}),
    status: existing.status,
    needsReview: existing.needsReview,
    resolvedAtMs: existing.resolvedAtMs,
    autoResolved: existing.autoResolved,
    feedback: existing.feedback,
    assignee: existing.assignee,
    comments: existing.comments,
    version: existing.version,
    change: existing.change,
  };
  if (action.kind === 'resolve') {
    const resolved = resolveBySystem(refreshed, action.resolution === 'quiet' ? 'auto_resolved' : 'resolved', actor);
    if (resolved !== refreshed) return resolved;
  }
  return nextState(refreshed, {}, { kind: 'updated', summary: updateSummary(existing, refreshed) }, actor);
}

function updateSummary(before: Ticket, after: Ticket): string {
  const said: string[] = [];
  if (after.relatedAlertCount !== before.relatedAlertCount) said.push(`${after.relatedAlertCount} related alerts`);
  if (after.priority !== before.priority) said.push(`priority ${before.priority} → ${after.priority}`);
  if (after.rootCause?.host !== before.rootCause?.host && after.rootCause)
    said.push(`root cause ${after.rootCause.host}`);
  return said.length ? `updated: ${said.join('; ')}` : 'updated';
}
