import type { Decision, Department, EventClass, Explanation, Priority, TicketSource } from '@nocai/contract';

/** One syslog line after the log stage: masked, mined, classified. Times are µs since the epoch. */
export interface ClassifiedEvent {
  timeUs: number;
  hostname: string;
  appname: string;
  severity: string;
  message: string;
  templateId: string;
  eventClass: EventClass;
  decision: 'alert' | 'noise';
  confidence: number;
  modelVersion: string;
  explanation?: Explanation[];
  /**
   * Set by evidence that knows where its ticket belongs (a predicted problem names its department
   * and priority): the incident it opens or joins is routed so, titled so, and carries the advice.
   */
  routing?: EvidenceRouting;
}

export interface EvidenceRouting {
  department: Department;
  priority: Priority;
  title: string;
  /** What would avoid the problem, in words (issue 12 point 5). */
  recommendation?: string;
  /** The predicted problem's name: the ticket is one of that problem's alerts. */
  problem?: string;
}

/** "This device sent something at timeUs" (a syslog line, a metric or a sensor point). */
export interface Heartbeat {
  host: string;
  timeUs: number;
}

/** How an event is addressed in `aiops_events`: hostname plus timestamp (a host never logs twice in one µs). */
export function eventKey(hostname: string, timeUs: number): string {
  return `${hostname}@${timeUs}`;
}

export interface RootCauseSummary {
  host: string;
  deviceKind: string;
  silentSinceUs?: number;
  /** "power switch hosp-01-ps-01 silent since 2024-03-05T12:00:05Z, 14 dependants affected". */
  description: string;
  /** Hosts depending on the root that alerted or went silent during the incident, sorted. */
  dependants: string[];
}

/** What the incident is, beyond its class: it decides the title and the urgency. */
export type IncidentPattern = 'outage' | 'flapping' | 'brute_force' | 'alerts' | 'silence';

/** Everything a ticket is built from; serialisable, units in the names. */
export interface IncidentSummary {
  id: string;
  pattern: IncidentPattern;
  source: TicketSource;
  title: string;
  eventClass: EventClass;
  department: Department;
  priority: Priority;
  /** Confidence of the deciding event (or of the silence evidence) in [0, 1]. */
  confidence: number;
  needsReview: boolean;
  site: string;
  siteKind: string;
  host: string;
  deviceKind: string;
  rootCause?: RootCauseSummary;
  relatedAlertCount: number;
  /** First observable effect (first alert, or when the root went silent). */
  startedAtUs: number;
  lastAlertAtUs: number;
  /** Set once the incident is resolved. */
  resolvedAtUs?: number;
  /** `eventKey`s of the alerts grouped into it, oldest first (capped by `maxEventKeysPerIncident`). */
  eventKeys: string[];
  hosts: string[];
  explanation: Explanation[];
  modelVersion: string;
  /** From evidence with a routing (a predicted problem): what would avoid it. */
  recommendation?: string;
  /** From evidence with a routing: the predicted problem's name. */
  problem?: string;
}

export type TicketActionKind = 'open' | 'update' | 'resolve';

export interface TicketAction {
  kind: TicketActionKind;
  /** The `nowUs` of the `advance` call that produced it. */
  atUs: number;
  incident: IncidentSummary;
  /**
   * For `resolve`: `recovered` when every member device reports again and its downs recovered,
   * `quiet` when an incident of alerts alone simply went quiet (nothing reports that such a fault
   * is over, so its duration is no time to resolve).
   */
  resolution?: 'recovered' | 'quiet';
}

/** An event the engine re-labels after the fact; the caller rewrites it in `aiops_events`. */
export interface DecisionChange {
  key: string;
  hostname: string;
  timeUs: number;
  decision: Decision;
  /** Short machine-readable cause: `recovered`, `flapping`, `brute_force`, `isolated_login_failure`. */
  reason: string;
}

export interface SilenceChange {
  host: string;
  site: string;
  deviceKind: string;
  /** The last time the device was heard from. */
  silentSinceUs: number;
  /** Its learned reporting interval. */
  cadenceUs: number;
  state: 'silent' | 'recovered';
  /** When it is blamed on another device (its power switch, its network switch). */
  rootCauseHost?: string;
  /** Set when state is `recovered`: the first heartbeat after the silence. */
  recoveredAtUs?: number;
}

export interface EngineOutput {
  ticketActions: TicketAction[];
  decisionChanges: DecisionChange[];
  silences: SilenceChange[];
}

export interface IncidentEngineOptions {
  /** A power-loss or link-down alert that recovers within this window is a false alarm. */
  falseAlarmWindowMs: number;
  /** Alerts of a site this close together (since the incident's last alert) join one incident. */
  groupWindowMs: number;
  /** An incident never spans more than this, however busy the site (bounds grouping). */
  maxIncidentSpanMs: number;
  /** This many downs of one host and template within `flapWindowMs` are one flapping incident. */
  flapThreshold: number;
  flapWindowMs: number;
  /** Routing confidence below this sends the ticket to the review queue. */
  reviewThreshold: number;
  /** Silent after `silenceFactor` × the device's own reporting cadence, and at least `minSilenceMs`. */
  silenceFactor: number;
  minSilenceMs: number;
  /** Inter-arrival times kept per device to learn its cadence (their upper quartile). */
  cadenceSamples: number;
  /** Fewer samples than this and a device is never judged silent (its cadence is unknown). */
  minCadenceSamples: number;
  /** A silence with no silent ancestor waits this long for one to appear before it gets its own ticket. */
  rootCauseGraceMs: number;
  /** Confidence of a ticket that only rests on a silence (no classified event). */
  silenceConfidence: number;
  /** Resolve once nothing alerted for this long and no member device is still silent. */
  resolveQuietMs: number;
  /**
   * An incident of alerts alone (no power or link loss, no silence: nothing will report that it
   * recovered) resolves after this much quiet instead, and the same alert again (same host and
   * template) within it joins it: a temperature warning every 20 minutes is one ticket, not six.
   */
  repeatQuietMs: number;
  /** Login failures from one source on one host within `bruteForceWindowMs` that make a brute force. */
  bruteForceMinFailures: number;
  bruteForceWindowMs: number;
  /** Affected dependants from which the blast radius raises urgency by one step. */
  blastRadiusEscalation: number;
  /** Resolved incidents stay this long (late events, flapping revival) before they are forgotten. */
  retentionMs: number;
  maxEventKeysPerIncident: number;
  /** Power tickets per site kind; field technicians everywhere else. */
  powerDepartmentBySiteKind: Partial<Record<string, Department>>;
}

export const DEFAULT_INCIDENT_ENGINE_OPTIONS: IncidentEngineOptions = {
  falseAlarmWindowMs: 5 * 60_000,
  groupWindowMs: 15 * 60_000,
  maxIncidentSpanMs: 12 * 3_600_000,
  flapThreshold: 3,
  flapWindowMs: 20 * 60_000,
  reviewThreshold: 0.6,
  silenceFactor: 3,
  minSilenceMs: 2 * 60_000,
  cadenceSamples: 24,
  minCadenceSamples: 8,
  rootCauseGraceMs: 5 * 60_000,
  silenceConfidence: 0.9,
  resolveQuietMs: 15 * 60_000,
  repeatQuietMs: 2 * 3_600_000,
  bruteForceMinFailures: 10,
  bruteForceWindowMs: 10 * 60_000,
  blastRadiusEscalation: 5,
  retentionMs: 60 * 60_000,
  maxEventKeysPerIncident: 1000,
  powerDepartmentBySiteKind: {},
};
