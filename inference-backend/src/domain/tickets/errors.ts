import type { TicketStatus } from '@nocai/contract';

/**
 * Why a ticket use case refused: the HTTP adapter maps each kind to a status (not found 404; a
 * closed ticket, a move the workflow does not allow and a stale version 409; no version 428; an
 * unknown site or host 400). Nothing is written when one of these is thrown.
 */
export type TicketErrorKind =
  'not_found' | 'ticket_closed' | 'invalid_transition' | 'stale_version' | 'version_required' | 'unknown_place';

export class TicketError extends Error {
  constructor(
    readonly kind: TicketErrorKind,
    message: string,
    /** The ticket's current version, when the caller should retry against it. */
    readonly currentVersion?: number
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class TicketTransitionError extends TicketError {
  constructor(
    readonly ticketId: string,
    readonly from: TicketStatus,
    readonly to: TicketStatus,
    allowed: readonly TicketStatus[]
  ) {
    super(
      'invalid_transition',
      `ticket ${ticketId} cannot go from ${from} to ${to}: ` +
        (allowed.length ? `from ${from} it can go to ${allowed.join(', ')}` : `${from} is final`)
    );
  }
}
