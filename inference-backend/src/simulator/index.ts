/**
 * The NOC simulator: an estate of sites and devices, their telemetry in Telegraf's shapes,
 * injected incidents with ground truth, and a ticket history. Pure generation; the command
 * (commands/simulate.ts) and the demo connect it to sinks and files.
 */
export { DEFAULT_SITE_COUNT, formatInventory, generateInventory } from './inventory';
export type { InventoryOptions } from './inventory';
export { Topology } from './topology';
export type { SimDevice } from './topology';
export { DEFAULT_INCIDENTS_PER_SITE_DAY, ScenarioError } from './incidents';
export { departmentFor, expectedTriage, priorityFor } from './triage';
export type { ScenarioSpec } from './incidents';
export {
  createSimulation,
  DEFAULT_METRICS_INTERVAL_SECONDS,
  DEFAULT_SENSOR_INTERVAL_SECONDS,
  Simulation,
} from './simulation';
export type { SimulationOptions, SliceOutput } from './simulation';
export { runBackfill, simulationFor, startLive } from './runner';
export type {
  BackfillOptions,
  BackfillProgress,
  BackfillResult,
  LiveOptions,
  LiveRun,
  LiveScript,
  LiveStats,
  RunSettings,
  TruthSink,
} from './runner';
export { createDemoLiveScript, DEMO_OPENING_US, demoHistoryScenarios, demoSettings } from './demoProfile';
export { DEFAULT_TICKETS_PER_SITE_DAY, generateTicketHistory, ticketsToCsv, ticketsToJsonl } from './tickets';
export type { TicketHistoryOptions } from './tickets';
export { HOLIDAYS_MM_DD } from './calendar';
export { MESSAGE_TEMPLATES } from './templates';
export type { MessageTemplate } from './templates';
