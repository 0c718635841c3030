/** Tickets built from incidents, their lifecycle and the people's workflow on them. */
export { ticketFromIncident, isIncidentTicket, mttrFields, withMttrEstimate } from './ticket';
export type { MttrEstimate, MttrFeatures, TicketBuildDeps } from './ticket';
export { applyTicketAction, canTransition } from './lifecycle';
export {
  addComment,
  applyFeedback,
  applyWorkflowChange,
  checkVersion,
  ENGINE_ACTOR,
  GRAFANA_ACTOR,
  isSameRouting,
  keptRouting,
  nextState,
  resolveBySystem,
} from './workflow';
export type { Actor, WorkflowChange } from './workflow';
export { placesNamedIn } from './namedPlaces';
export type { NamedPlaces } from './namedPlaces';
export { TicketError, TicketTransitionError } from './errors';
export type { TicketErrorKind } from './errors';
export { TicketIndex, DEFAULT_LIST_LOOKBACK_MS, DEFAULT_TICKET_RETENTION_MS } from './ticketIndex';
export type { TicketIndexOptions } from './ticketIndex';
