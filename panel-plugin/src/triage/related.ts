import type { RelatedTicket } from '@nocai/contract';

import { statusLabel } from './workflow';

/** The other tickets of an expanded ticket's devices, as the panel has them: asked for, answered, or refused. */
export type RelatedTicketsState =
  { kind: 'loading' } | { kind: 'loaded'; tickets: RelatedTicket[] } | { kind: 'failed'; message: string };

/**
 * Priority, status, department and host of a related ticket, in that order: how urgent it is, whether someone is
 * on it, whose it is and which device. A field the backend left empty is left out rather than shown blank.
 */
export function relatedTicketFacts(ticket: RelatedTicket): string[] {
  return [ticket.priority, statusLabel(ticket.status), ticket.department, ticket.host].filter((fact) => fact !== '');
}
