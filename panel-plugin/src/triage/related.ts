import { isDoneStatus, type RelatedTicket } from '@nocai/contract';

import { statusLabel } from './workflow';

/**
 * The other tickets of an expanded ticket's devices, as the panel has them: asked for, answered, or refused. A
 * complaint linked to an incident is answered with that incident too (`parent`), as it is now.
 */
export type RelatedTicketsState =
  | { kind: 'loading' }
  | { kind: 'loaded'; tickets: RelatedTicket[]; parent?: RelatedTicket }
  | { kind: 'failed'; message: string };

/**
 * Priority, status, department and host of a related ticket, in that order: how urgent it is, whether someone is
 * on it, whose it is and which device. A field the backend left empty is left out rather than shown blank.
 */
export function relatedTicketFacts(ticket: RelatedTicket): string[] {
  return [ticket.priority, statusLabel(ticket.status), ticket.department, ticket.host].filter((fact) => fact !== '');
}

/**
 * When the incident a complaint is linked to was resolved (or closed), or undefined while it is still worked on:
 * then the complaint only needs its reporter to confirm. `null` when it is done but the backend gave no time.
 */
export function parentResolvedAtMs(parent: RelatedTicket): number | null | undefined {
  if (!isDoneStatus(parent.status)) {
    return undefined;
  }
  return parent.resolvedAtMs ?? null;
}

/** A related ticket linked to the expanded one: a complaint about the fault the expanded incident is. */
export function isLinkedTo(ticket: RelatedTicket, ticketId: string): boolean {
  return ticket.parentId === ticketId;
}
