import type { EventClass, Explanation } from '@nocai/contract';
import type { CadenceState } from './cadence';
import type { ClassifiedEvent, DecisionChange, EvidenceRouting, Heartbeat, SilenceChange } from './types';

/**
 * The engine's whole memory as plain JSON: `IncidentEngine.toJSON()` returns it and
 * `IncidentEngine.fromJSON()` resumes from it, so the log stage can persist it with its watermark.
 */

/** Bump when the shape changes; `fromJSON` refuses other versions rather than guessing. */
export const INCIDENT_STATE_VERSION = 1;

/** A power-loss or link-down alert waiting to see whether its host recovers. */
export interface TransientDown {
  key: string;
  host: string;
  templateId: string;
  timeUs: number;
  recoveredAtUs?: number;
  /** The class of the line; absent in state saved before it was recorded (then always corroborated). */
  eventClass?: EventClass;
}

export interface SilenceRecord {
  /** Last heartbeat before the silence. */
  sinceUs: number;
  detectedAtUs: number;
  cadenceUs: number;
  /** The device blamed for it: itself, or a silent device it depends on. */
  rootHost: string;
  incidentId?: string;
  recoveredAtUs?: number;
}

export interface HostState {
  cadence: CadenceState;
  silence?: SilenceRecord;
}

export type IncidentStatus = 'pending' | 'open' | 'resolved' | 'false_alarm' | 'dismissed';

export interface DecidingEvent {
  key: string;
  confidence: number;
  explanation: Explanation[];
  modelVersion: string;
}

export interface IncidentState {
  id: string;
  site: string;
  /** Host of the first alert (or of the silent device for silence-only incidents). */
  firstHost: string;
  eventClass: EventClass;
  status: IncidentStatus;
  startedAtUs: number;
  lastAlertAtUs: number;
  /** Latest alert or silence recovery: resolution waits for quiet after it. */
  lastActivityUs: number;
  alertCount: number;
  eventKeys: string[];
  /** Recovery lines that closed one of its transient downs (re-labelled with it if it was a false alarm). */
  recoveryKeys: string[];
  /** Events whose decision the engine changed to `alert` because they belong here. */
  promotedKeys: string[];
  hosts: string[];
  /** `host|templateId` of its alerts (bounded): the same alert again joins it for longer. */
  alertSources?: string[];
  downs: TransientDown[];
  /** An alert that is not a transient down: the incident is real whatever recovers. */
  hasSolidAlert: boolean;
  flapping: boolean;
  /** `host|source` of a brute force. */
  bruteForce?: string;
  breached: boolean;
  deciding?: DecidingEvent;
  /** Rank of its most severe alert's syslog severity (emerg 0 … debug 7). */
  strongestSeverity?: number;
  /** How many of its alerts are anomaly episodes of the metric stage. */
  anomalyAlerts?: number;
  /** Metrics whose anomaly episodes joined it (the metric stage's evidence), strongest score each. */
  metricEvidence?: Explanation[];
  /** The routing of the latest evidence that carried one (a predicted problem): it overrides the policy's. */
  routing?: EvidenceRouting;
  rootHost?: string;
  silentHosts: string[];
  /** Silence-only incidents wait until then for a silent ancestor to claim them. */
  notBeforeUs?: number;
  /** JSON of what was last announced; undefined until the ticket is opened. */
  announced?: string;
  closedAtUs?: number;
}

export interface LoginAttempt {
  key: string;
  timeUs: number;
  decision: 'alert' | 'noise';
}

export interface EngineState {
  version: number;
  nowUs: number;
  hosts: Record<string, HostState>;
  incidents: IncidentState[];
  /** Recent login failures per `host|source`, oldest first. */
  logins: Record<string, LoginAttempt[]>;
  /** Observed but not yet processed (processed in time order by the next `advance`). */
  inbox: { events: ClassifiedEvent[]; heartbeats: Heartbeat[] };
  outbox: { decisionChanges: DecisionChange[]; silences: SilenceChange[] };
}

export function emptyState(): EngineState {
  return {
    version: INCIDENT_STATE_VERSION,
    nowUs: 0,
    hosts: {},
    incidents: [],
    logins: {},
    inbox: { events: [], heartbeats: [] },
    outbox: { decisionChanges: [], silences: [] },
  };
}
