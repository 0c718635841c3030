/** Tickets built from incidents, and their lifecycle. */
export { ticketFromIncident } from './ticket';
export type { MttrEstimate, MttrFeatures, TicketBuildDeps } from './ticket';
export { applyFeedback, applyTicketAction, canTransition, transition, TicketTransitionError } from './lifecycle';
export { TicketIndex, DEFAULT_LIST_LOOKBACK_MS } from './ticketIndex';
