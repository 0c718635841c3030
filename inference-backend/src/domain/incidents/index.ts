/** Incident detection: the engine, its options and what it reports. */
export { IncidentEngine } from './engine';
export { DependencyGraph } from './dependencyGraph';
export { departmentFor, eventsRoutedTo, priorityFor, silenceClass, urgencyOf } from './policy';
export type { KindMatch, RoutedEvents, RoutingKind } from './policy';
export { isLoginFailure, isRecovery, isTransientDown, RECOVERY_PATTERNS, TRANSIENT_DOWN_PATTERNS } from './patterns';
export { INCIDENT_STATE_VERSION } from './state';
export type { EngineState } from './state';
export { DEFAULT_INCIDENT_ENGINE_OPTIONS, eventKey } from './types';
export type {
  ClassifiedEvent,
  DecisionChange,
  EngineOutput,
  Heartbeat,
  IncidentEngineOptions,
  IncidentPattern,
  IncidentSummary,
  RootCauseSummary,
  SilenceChange,
  TicketAction,
  TicketActionKind,
} from './types';
