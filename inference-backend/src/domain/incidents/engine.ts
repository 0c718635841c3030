import { SYSLOG_SEVERITY_CODES } from '@nocai/contract';
import type { Decision, EventClass, Inventory } from '@nocai/contract';
import { cadenceUs, newCadence, recordHeartbeat } from './cadence';
import { DependencyGraph } from './dependencyGraph';
import { isLoginFailure, isLoginSuccess, isRecovery, isTransientDown, loginSource } from './patterns';
import { emptyState, INCIDENT_STATE_VERSION } from './state';
import type { EngineState, HostState, IncidentState, LoginAttempt, SilenceRecord, TransientDown } from './state';
import { silenceClass } from './policy';
import { summarise } from './summary';
import { DEFAULT_INCIDENT_ENGINE_OPTIONS, eventKey } from './types';
import { ANOMALY_APPNAME } from '../timeseries/anomalyEvidence';
import { MAINTENANCE_APPNAME } from '../timeseries/maintenanceEvidence';
import { PROBLEM_APPNAME } from '../problems/evidence';
import type {
  ClassifiedEvent,
  DecisionChange,
  EngineOutput,
  Heartbeat,
  IncidentEngineOptions,
  IncidentSummary,
  SilenceChange,
  TicketAction,
} from './types';

const US_PER_MS = 1000;
/** Hosts outside the inventory are forgotten after this long without a heartbeat. */
const UNKNOWN_HOST_RETENTION_US = 24 * 3_600_000 * US_PER_MS;
/** An alert is blamed on a silent ancestor whose silence began at most this much after it. */
const ROOT_SLACK_US = 60_000 * US_PER_MS;

const INFRASTRUCTURE_KINDS: readonly string[] = ['power_switch', 'ups', 'router', 'network_switch'];
/** Alerts a silent power or network device upstream explains (a dependant on battery, a link down). */
const ROOT_EXPLAINED_CLASSES: readonly EventClass[] = ['power', 'network'];

const byTimeThenHost = (a: { timeUs: number; host: string }, b: { timeUs: number; host: string }): number =>
  a.timeUs - b.timeUs || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

/**
 * `items` sorted in place; one item or none is left alone (the engine sorts small lists at every
 * 30 s step, most of them empty: issue 13).
 */
function sortMany<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  return items.length > 1 ? items.sort(compare) : items;
}

const isActive = (incident: IncidentState): boolean => incident.status === 'pending' || incident.status === 'open';

/** Distinct (host, template) pairs remembered per incident for repeats. */
const MAX_ALERT_SOURCES = 64;
const alertSource = (event: ClassifiedEvent): string => `${event.hostname}|${event.templateId}`;

/** Syslog severities from the most severe (emerg, 0) to the mildest (debug, 7). */
const SEVERITY_RANK: Record<string, number> = SYSLOG_SEVERITY_CODES;
/** `warning` and milder: on its own such a line is not a ticket. */
const WEAK_SEVERITY = SEVERITY_RANK.warning;

/** Nothing but alerts: no down or silence whose recovery would say that the fault is over. */
const isAlertsOnly = (incident: IncidentState): boolean =>
  incident.downs.length === 0 && incident.silentHosts.length === 0 && !incident.flapping;

/** Nothing but metric anomaly episodes so far. */
const isAnomalyOnly = (incident: IncidentState): boolean =>
  incident.alertCount > 0 && (incident.anomalyAlerts ?? 0) >= incident.alertCount && isAlertsOnly(incident);

/**
 * One warning (or milder) line alone is not a ticket: a CRC-error or sag warning on a healthy
 * device is routine far more often than not. The incident opens its ticket once a second alert
 * joins it (the same warning again within `repeatQuietMs`, or another alert of its class nearby),
 * or at once when the line is an error or worse; it resolves without a ticket when nothing follows.
 * A metric's anomaly episode is evidence, never a ticket on its own: it opens one with an alert of
 * the device that joins it (the overheating PLC's warnings, its halt), and names the metric in it;
 * a metric alone pages through Grafana's "anomaly score high" rule, not through a ticket.
 */
const awaitsCorroboration = (incident: IncidentState): boolean =>
  isAlertsOnly(incident) &&
  incident.bruteForce === undefined &&
  // Anomaly episodes alone never open a ticket (the anomaly alert rule pages on them already).
  ((incident.anomalyAlerts ?? 0) >= incident.alertCount ||
    (incident.alertCount < 2 && (incident.strongestSeverity ?? WEAK_SEVERITY) >= WEAK_SEVERITY));

/**
 * Turns classified events and heartbeats into incidents, and incidents into ticket actions:
 * holds power and link alerts for the false-alarm window, folds flapping and brute forces into
 * one incident each, groups related alerts of a site, learns every device's reporting cadence to
 * spot silent devices, and blames dependants' alerts and silences on the silent device they
 * depend on. Deterministic: the same calls on the same state give the same outputs.
 *
 * Usage per pipeline tick: `observeEvents`, `observeHeartbeats`, then `advance(watermarkUs)`,
 * where the watermark is the time up to which telemetry is complete (silence is judged against it).
 */
export class IncidentEngine {
  readonly options: IncidentEngineOptions;
  private readonly graph: DependencyGraph;
  private state: EngineState;
  /**
   * The hosts of `state.hosts` in sorted order, or undefined when a host came or went since: the
   * engine walks them at every 30 s step (issue 13: sorting them each time was its largest cost).
   */
  private sortedHosts: string[] | undefined;
  /**
   * No host can be found silent before this time (µs): the 30 s steps before it skip the walk over
   * the hosts (issue 13: the engine's per-step cost). Derived, not persisted: a restored engine
   * starts at -Infinity and walks at its first step. A walk sets it to the earliest time a host
   * not silent could be overdue; a heartbeat since lowers it to its host's earliest possible
   * silence (last seen + minSilenceMs), a lower bound whatever the cadence it teaches.
   */
  private silenceCheckUs = -Infinity;
  /**
   * Likewise for the walk of prune: no recovered silence expires and no unknown host is forgotten
   * before this time. A silence that recovers, or a host that appears, since lowers it; an
   * incident pruned (its id may be named by a silence) or a restored state forces the walk.
   */
  private pruneCheckUs = -Infinity;

  constructor(inventory: Inventory, options: Partial<IncidentEngineOptions> = {}, state?: EngineState) {
    this.options = { ...DEFAULT_INCIDENT_ENGINE_OPTIONS, ...options };
    this.graph = new DependencyGraph(inventory);
    if (state !== undefined && state.version !== INCIDENT_STATE_VERSION) {
      throw new Error(`incident engine state version ${state.version} is not ${INCIDENT_STATE_VERSION}`);
    }
    this.state = state === undefined ? emptyState() : structuredClone(state);
  }

  static fromJSON(inventory: Inventory, json: unknown, options: Partial<IncidentEngineOptions> = {}): IncidentEngine {
    if (typeof json !== 'object' || json === null || (json as { version?: unknown }).version === undefined) {
      throw new Error('incident engine state is not an object with a version');
    }
    // The shape was written by toJSON; the version check above is the compatibility contract.
    return new IncidentEngine(inventory, options, json as EngineState);
  }

  toJSON(): EngineState {
    return structuredClone(this.state);
  }

  observeEvents(events: readonly ClassifiedEvent[]): void {
    this.state.inbox.events.push(...events);
  }

  observeHeartbeats(heartbeats: readonly Heartbeat[]): void {
    this.state.inbox.heartbeats.push(...heartbeats);
  }

  /** Processes everything observed, judges silences and pending incidents at `nowUs`, and reports. */
  advance(nowUs: number): EngineOutput {
    this.state.nowUs = Math.max(this.state.nowUs, nowUs);
    const now = this.state.nowUs;
    // Both passes read the events in time order: sorted once.
    const events = this.takeEvents();
    this.ingestHeartbeats(events);
    for (const event of events) this.ingestEvent(event);
    this.detectSilences(now);
    const ticketActions = this.evaluateIncidents(now);
    this.prune(now);
    const decisionChanges = dedupeChanges(this.state.outbox.decisionChanges);
    const silences = this.state.outbox.silences;
    this.state.outbox = { decisionChanges: [], silences: [] };
    return { ticketActions, decisionChanges, silences };
  }

  /** Incidents not yet closed, as the tickets would show them now (for a restart or a dashboard). */
  activeIncidents(): IncidentSummary[] {
    return this.state.incidents.filter(isActive).map((i) => this.summary(i));
  }

  // --- heartbeats and silences -------------------------------------------------------------

  private hostState(host: string, timeUs: number): HostState {
    let hs = this.state.hosts[host];
    if (hs === undefined) {
      hs = { cadence: newCadence(timeUs) };
      this.state.hosts[host] = hs;
      this.sortedHosts = undefined;
      if (!this.graph.isKnown(host))
        this.pruneCheckUs = Math.min(this.pruneCheckUs, timeUs + UNKNOWN_HOST_RETENTION_US);
    }
    return hs;
  }

  private hostsInOrder(): readonly string[] {
    this.sortedHosts ??= Object.keys(this.state.hosts).sort();
    return this.sortedHosts;
  }

  /** The inbox's events in time order (then by host), the inbox emptied. */
  private takeEvents(): ClassifiedEvent[] {
    const events = this.state.inbox.events;
    this.state.inbox.events = [];
    return sortMany(
      events,
      (a, b) => a.timeUs - b.timeUs || (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0)
    );
  }

  /**
   * Heartbeats and `events` (sorted by time then host), merged in that order: a syslog line is
   * telemetry too, whether or not the caller also sent it as a heartbeat. Merged rather than
   * copied into one array and sorted (issue 13: ten heartbeats a syslog line); entries with the
   * same time and host are the same heartbeat, whichever comes first.
   */
  private ingestHeartbeats(events: readonly ClassifiedEvent[]): void {
    const heartbeats = sortMany(this.state.inbox.heartbeats, byTimeThenHost);
    this.state.inbox.heartbeats = [];
    let h = 0;
    let e = 0;
    while (h < heartbeats.length || e < events.length) {
      let host: string;
      let timeUs: number;
      const beat = heartbeats[h];
      const event = events[e];
      if (
        event === undefined ||
        (beat !== undefined &&
          (beat.timeUs < event.timeUs || (beat.timeUs === event.timeUs && beat.host <= event.hostname)))
      ) {
        host = beat.host;
        timeUs = beat.timeUs;
        h++;
      } else {
        host = event.hostname;
        timeUs = event.timeUs;
        e++;
      }
      this.heartbeat(host, timeUs);
    }
  }

  private heartbeat(host: string, timeUs: number): void {
    const hs = this.hostState(host, timeUs);
    const silence = hs.silence;
    if (silence !== undefined && silence.recoveredAtUs === undefined && timeUs > silence.sinceUs) {
      silence.recoveredAtUs = timeUs;
      this.state.outbox.silences.push(this.silenceChange(host, silence));
      const incident = this.incidentById(silence.incidentId);
      if (incident !== undefined) incident.lastActivityUs = Math.max(incident.lastActivityUs, timeUs);
      this.pruneCheckUs = Math.min(this.pruneCheckUs, timeUs + this.options.retentionMs * US_PER_MS);
    }
    recordHeartbeat(hs.cadence, timeUs, this.options.cadenceSamples);
    this.silenceCheckUs = Math.min(this.silenceCheckUs, hs.cadence.lastSeenUs + this.options.minSilenceMs * US_PER_MS);
  }

  private silenceChange(host: string, silence: SilenceRecord): SilenceChange {
    const device = this.graph.device(host);
    return {
      host,
      site: device.site,
      deviceKind: device.deviceKind,
      silentSinceUs: silence.sinceUs,
      cadenceUs: silence.cadenceUs,
      state: silence.recoveredAtUs === undefined ? 'silent' : 'recovered',
      rootCauseHost: silence.rootHost === host ? undefined : silence.rootHost,
      recoveredAtUs: silence.recoveredAtUs,
    };
  }

  private isSilentNow(host: string): boolean {
    const s = this.state.hosts[host]?.silence;
    return s !== undefined && s.recoveredAtUs === undefined;
  }

  private detectSilences(now: number): void {
    if (now < this.silenceCheckUs) return;
    const minSilenceUs = this.options.minSilenceMs * US_PER_MS;
    let nextCheckUs = Infinity;
    const fresh: { host: string; record: SilenceRecord }[] = [];
    for (const host of this.hostsInOrder()) {
      const hs = this.state.hosts[host];
      if (hs.silence !== undefined && hs.silence.recoveredAtUs === undefined) continue;
      // No device is silent before minSilenceMs, whatever its cadence: most hosts stop here, on
      // every 30 s step, without sorting their gaps (issue 13: the engine's per-step cost).
      if (now - hs.cadence.lastSeenUs < minSilenceUs) {
        nextCheckUs = Math.min(nextCheckUs, hs.cadence.lastSeenUs + minSilenceUs);
        continue;
      }
      // Without a cadence it cannot be silent until a heartbeat teaches one (which lowers the bound).
      const cadence = cadenceUs(hs.cadence, this.options.minCadenceSamples);
      if (cadence === undefined) continue;
      const thresholdUs = this.silenceThresholdUs(cadence);
      if (now - hs.cadence.lastSeenUs < thresholdUs) {
        // Whole µs, not above the threshold: earlier than that it is not overdue.
        nextCheckUs = Math.min(nextCheckUs, hs.cadence.lastSeenUs + Math.floor(thresholdUs));
        continue;
      }
      const record: SilenceRecord = {
        sinceUs: hs.cadence.lastSeenUs,
        detectedAtUs: now,
        cadenceUs: cadence,
        rootHost: host,
      };
      hs.silence = record;
      fresh.push({ host, record });
    }
    this.silenceCheckUs = nextCheckUs;
    // Upstream devices first, so a dependant detected in the same pass finds its root already silent.
    sortMany(
      fresh,
      (a, b) =>
        a.record.sinceUs - b.record.sinceUs ||
        this.graph.ancestorsOf(a.host).length - this.graph.ancestorsOf(b.host).length ||
        (a.host < b.host ? -1 : 1)
    );
    for (const { host, record } of fresh) {
      const root = this.silentAncestorOf(host, record.sinceUs, this.silenceThresholdUs(record.cadenceUs));
      if (root !== undefined) {
        record.rootHost = root;
        this.attachDependantSilence(host, record, now);
      } else {
        this.claimSilentDependants(host, record);
        this.attachRootSilence(host, record, now);
      }
      this.state.outbox.silences.push(this.silenceChange(host, record));
    }
  }

  private silenceThresholdUs(cadence: number): number {
    return Math.max(this.options.silenceFactor * cadence, this.options.minSilenceMs * US_PER_MS);
  }

  /**
   * The most upstream silent device `host` depends on, when that one fell silent before `host`
   * was overdue (`overdueAfterUs` past its last report): then it explains the silence.
   */
  private silentAncestorOf(host: string, sinceUs: number, overdueAfterUs = ROOT_SLACK_US): string | undefined {
    for (const ancestor of this.graph.ancestorsOf(host)) {
      const s = this.state.hosts[ancestor]?.silence;
      if (s === undefined || s.sinceUs > sinceUs + overdueAfterUs) continue;
      if (s.recoveredAtUs !== undefined && s.recoveredAtUs < sinceUs) continue;
      return s.rootHost;
    }
    return undefined;
  }

  private attachDependantSilence(host: string, record: SilenceRecord, now: number): void {
    const rootRecord = this.state.hosts[record.rootHost]?.silence;
    const incident = this.incidentById(rootRecord?.incidentId);
    if (incident === undefined) return;
    record.incidentId = incident.id;
    if (!incident.silentHosts.includes(host)) incident.silentHosts.push(host);
    incident.lastActivityUs = Math.max(incident.lastActivityUs, now);
  }

  /** Devices that went silent before their root was detected are re-blamed on it. */
  private claimSilentDependants(root: string, rootRecord: SilenceRecord): void {
    for (const dependant of this.graph.dependantsOf(root)) {
      const s = this.state.hosts[dependant]?.silence;
      if (s === undefined || s.rootHost !== dependant || s.recoveredAtUs !== undefined) continue;
      if (s.sinceUs + this.silenceThresholdUs(s.cadenceUs) < rootRecord.sinceUs) continue;
      s.rootHost = root;
      const own = this.incidentById(s.incidentId);
      // A silence still waiting for its grace period folds into the root's; an announced one stays.
      if (own !== undefined && own.announced === undefined && own.alertCount === 0) own.status = 'dismissed';
      s.incidentId = undefined;
    }
  }

  private attachRootSilence(host: string, record: SilenceRecord, now: number): void {
    const device = this.graph.device(host);
    const dependants = this.graph.dependantsOf(host);
    const candidates = this.state.incidents.filter(
      (i) =>
        isActive(i) &&
        i.site === device.site &&
        // A dependant's metric drift alone (a sensor's power reading an hour ago) is not this outage.
        (i.hosts.includes(host) || (!isAnomalyOnly(i) && i.hosts.some((h) => dependants.has(h)))) &&
        now - i.lastAlertAtUs <= this.options.groupWindowMs * US_PER_MS + (now - record.sinceUs)
    );
    // An incident with log alerts first: metric drift alone is weaker evidence of what the silence is.
    let incident = candidates.sort(
      (a, b) => Number(isAnomalyOnly(a)) - Number(isAnomalyOnly(b)) || b.lastAlertAtUs - a.lastAlertAtUs
    )[0];
    if (incident !== undefined && isAnomalyOnly(incident)) incident.eventClass = silenceClass(device.deviceKind);
    if (incident === undefined) {
      incident = this.newIncident(host, device.site, silenceClass(device.deviceKind), record.sinceUs);
      if (this.graph.ancestorsOf(host).length > 0) {
        incident.notBeforeUs = now + this.options.rootCauseGraceMs * US_PER_MS;
      }
    }
    if (incident.rootHost === undefined || this.graph.dependantsOf(host).has(incident.rootHost)) {
      incident.rootHost = host;
    }
    if (!incident.silentHosts.includes(host)) incident.silentHosts.push(host);
    incident.lastActivityUs = Math.max(incident.lastActivityUs, now);
    record.incidentId = incident.id;
    // Dependants claimed above now belong to this incident too.
    for (const dependant of dependants) {
      const s = this.state.hosts[dependant]?.silence;
      if (s !== undefined && s.rootHost === host && s.recoveredAtUs === undefined) {
        s.incidentId = incident.id;
        if (!incident.silentHosts.includes(dependant)) incident.silentHosts.push(dependant);
      }
    }
  }

  // --- events ------------------------------------------------------------------------------

  private ingestEvent(event: ClassifiedEvent): void {
    if (isRecovery(event.message)) {
      // "Power restored" ends a fault whatever the classifier called it; it never starts one.
      this.recordRecovery(event);
      return;
    }
    if (isLoginFailure(event.eventClass, event.message)) {
      this.recordLoginFailure(event);
      return;
    }
    if (isLoginSuccess(event.message) && this.recordLoginSuccess(event)) return;
    if (event.decision !== 'alert' || event.eventClass === 'informational') return;
    if (isTransientDown(event.eventClass, event.message)) {
      this.recordTransientDown(event);
      return;
    }
    const incident =
      this.groupFor(event) ??
      this.newIncident(event.hostname, this.siteOf(event.hostname), event.eventClass, event.timeUs);
    // A metric's drift is evidence, not a solid alert: a flicker it joins is still a false alarm.
    if (event.appname !== ANOMALY_APPNAME) incident.hasSolidAlert = true;
    this.addAlert(incident, event);
  }

  private siteOf(host: string): string {
    return this.graph.device(host).site;
  }

  private recordRecovery(event: ClassifiedEvent): void {
    for (const incident of this.state.incidents) {
      if (!isActive(incident)) continue;
      let recovered = false;
      for (const down of incident.downs) {
        if (down.host === event.hostname && down.recoveredAtUs === undefined && down.timeUs <= event.timeUs) {
          down.recoveredAtUs = event.timeUs;
          recovered = true;
        }
      }
      if (recovered) incident.recoveryKeys.push(eventKey(event.hostname, event.timeUs));
    }
  }

  private recordTransientDown(event: ClassifiedEvent): void {
    const windowUs = this.options.flapWindowMs * US_PER_MS;
    const sameCircuit = (i: IncidentState): boolean =>
      i.downs.some(
        (d) => d.host === event.hostname && d.templateId === event.templateId && event.timeUs - d.timeUs <= windowUs
      );
    // A down on the same circuit as a recent one, even one already dismissed, is the same fault flapping.
    let incident = this.state.incidents.find((i) => (isActive(i) || i.status === 'false_alarm') && sameCircuit(i));
    if (incident !== undefined && incident.status === 'false_alarm') this.revive(incident);
    incident ??=
      this.groupFor(event) ??
      this.newIncident(event.hostname, this.siteOf(event.hostname), event.eventClass, event.timeUs);
    const key = eventKey(event.hostname, event.timeUs);
    incident.downs.push({
      key,
      host: event.hostname,
      templateId: event.templateId,
      timeUs: event.timeUs,
      eventClass: event.eventClass,
    });
    const flaps = incident.downs.filter(
      (d) => d.host === event.hostname && d.templateId === event.templateId && event.timeUs - d.timeUs <= windowUs
    ).length;
    if (flaps >= this.options.flapThreshold && !incident.flapping) {
      incident.flapping = true;
      incident.eventClass = event.eventClass;
    }
    this.addAlert(incident, event);
  }

  /** A dismissed false alarm that starts flapping was real after all: its events are alerts again. */
  private revive(incident: IncidentState): void {
    incident.status = 'pending';
    incident.closedAtUs = undefined;
    for (const key of [...incident.eventKeys, ...incident.recoveryKeys]) this.changeDecision(key, 'alert', 'flapping');
  }

  private recordLoginFailure(event: ClassifiedEvent): void {
    const source = `${event.hostname}|${loginSource(event.message)}`;
    const key = eventKey(event.hostname, event.timeUs);
    const ongoing = this.state.incidents.find((i) => isActive(i) && i.bruteForce === source);
    if (ongoing !== undefined && event.timeUs - ongoing.lastAlertAtUs <= this.options.groupWindowMs * US_PER_MS) {
      if (event.decision === 'noise') this.promote(ongoing, key);
      this.addAlert(ongoing, event);
      return;
    }
    const attempts = (this.state.logins[source] ??= []);
    attempts.push({ key, timeUs: event.timeUs, decision: event.decision });
    this.expireLogins(source, event.timeUs);
    if (attempts.length < this.options.bruteForceMinFailures) return;
    const incident = this.newIncident(event.hostname, this.siteOf(event.hostname), 'security', attempts[0].timeUs);
    incident.bruteForce = source;
    incident.hasSolidAlert = true;
    // The last attempt is this event, added with its confidence and explanation below.
    for (const attempt of attempts) {
      if (attempt.decision === 'noise') this.promote(incident, attempt.key);
      if (attempt.key === key) continue;
      incident.alertCount++;
      this.pushKey(incident, attempt.key);
    }
    this.addAlert(incident, event);
    delete this.state.logins[source];
  }

  private promote(incident: IncidentState, key: string): void {
    incident.promotedKeys.push(key);
    this.changeDecision(key, 'alert', 'brute_force');
  }

  /** True when the login ends a brute force from the same source (and is filed with it). */
  private recordLoginSuccess(event: ClassifiedEvent): boolean {
    const source = `${event.hostname}|${loginSource(event.message)}`;
    const incident = this.state.incidents.find((i) => isActive(i) && i.bruteForce === source);
    if (incident === undefined) return false;
    incident.breached = true;
    if (event.decision === 'noise') this.promote(incident, eventKey(event.hostname, event.timeUs));
    this.addAlert(incident, event);
    return true;
  }

  /** Drops attempts older than the brute-force window; isolated failures the classifier alerted on become noise. */
  private expireLogins(source: string, nowUs: number): void {
    const attempts = this.state.logins[source];
    if (attempts === undefined) return;
    const horizon = nowUs - this.options.bruteForceWindowMs * US_PER_MS;
    let drop = 0;
    while (drop < attempts.length && attempts[drop].timeUs < horizon) drop++;
    for (const attempt of attempts.slice(0, drop)) this.dismissLogin(attempt);
    attempts.splice(0, drop);
    if (attempts.length === 0) delete this.state.logins[source];
  }

  private dismissLogin(attempt: LoginAttempt): void {
    if (attempt.decision === 'alert') this.changeDecision(attempt.key, 'noise', 'isolated_login_failure');
  }

  /** The active incident an alert belongs to, if any. */
  private groupFor(event: ClassifiedEvent): IncidentState | undefined {
    const host = event.hostname;
    const site = this.siteOf(host);
    const silentRoot = this.silentAncestorOf(host, event.timeUs);
    if (silentRoot !== undefined) {
      const incident = this.incidentById(this.state.hosts[silentRoot]?.silence?.incidentId);
      if (incident !== undefined && isActive(incident)) return incident;
    }
    const onDevice = this.deviceIncidentFor(event);
    // Metric evidence and failure or problem predictions are about a device: they group by device alone.
    if (isDeviceEvidence(event)) return onDevice;
    if (onDevice !== undefined && isAnomalyOnly(onDevice) && onDevice.hosts.includes(host)) {
      // The device's own alert says what its metrics' drift was about (the overheating PLC's
      // warning names hardware where its power draw alone read as power). A linked device's alert
      // does not: the UPS's management card losing its link is not why the PLC runs hot.
      onDevice.eventClass = event.eventClass;
      return onDevice;
    }
    const groupUs = this.options.groupWindowMs * US_PER_MS;
    const spanUs = this.options.maxIncidentSpanMs * US_PER_MS;
    const repeatUs = this.options.repeatQuietMs * US_PER_MS;
    let best: IncidentState | undefined;
    for (const incident of this.state.incidents) {
      if (!isActive(incident) || incident.site !== site || incident.bruteForce !== undefined) continue;
      if (isAnomalyOnly(incident)) continue; // metric evidence groups by device (deviceIncidentFor)
      if (event.timeUs - incident.startedAtUs > spanUs) continue;
      // The same alert again joins; so does any alert of the class on a device whose metric went
      // anomalous here (a temperature trend, then the device's own warnings and its halt).
      const repeat =
        isAlertsOnly(incident) &&
        incident.eventClass === event.eventClass &&
        ((incident.alertSources ?? []).includes(alertSource(event)) ||
          ((incident.metricEvidence?.length ?? 0) > 0 && incident.hosts.includes(host))) &&
        event.timeUs - incident.lastAlertAtUs <= repeatUs;
      if (!repeat && event.timeUs - incident.lastActivityUs > groupUs) continue;
      if (incident.eventClass !== event.eventClass && !this.isDownstreamOf(host, incident)) continue;
      if (best === undefined || incident.lastActivityUs > best.lastActivityUs) best = incident;
    }
    return best;
  }

  /**
   * The active incident of the event's device, or of a device linked to it by the dependency
   * graph (the incident's first or root host feeds it, or it feeds that host): a metric's anomaly
   * is evidence about a device, never about its site. Anomalies of unrelated devices that drift
   * together (a factory's shift change) therefore never make one incident, and an anomaly on the
   * device of an open incident joins it, whatever its class, and names the metric there. Device
   * evidence joins a linked device's incident only of its own class (or one of metric evidence
   * alone): the PLC's temperature trend stays the PLC's, whatever its switch logs meanwhile.
   */
  private deviceIncidentFor(event: ClassifiedEvent): IncidentState | undefined {
    const host = event.hostname;
    const site = this.siteOf(host);
    const spanUs = this.options.maxIncidentSpanMs * US_PER_MS;
    const windowUs = Math.max(this.options.groupWindowMs, this.options.repeatQuietMs) * US_PER_MS;
    const evidence = isDeviceEvidence(event);
    let best: IncidentState | undefined;
    let bestRank = 0;
    for (const incident of this.state.incidents) {
      if (!isActive(incident) || incident.site !== site || incident.bruteForce !== undefined) continue;
      if (event.timeUs - incident.startedAtUs > spanUs || event.timeUs - incident.lastActivityUs > windowUs) continue;
      const own = incident.hosts.includes(host);
      if (!own && !this.graph.areLinked(host, incident.rootHost ?? incident.firstHost)) continue;
      // A linked device's fault explains a metric only when it is about the same thing (the
      // switch's link flaps and the PLC's interface counters): a PLC's overheating is not its
      // switch's network fault, nor its power supply's flicker.
      if (!own && evidence && !isAnomalyOnly(incident) && incident.eventClass !== event.eventClass) continue;
      // Its own device's incident first, then one with more than metric evidence, then the latest.
      const rank = (own ? 2 : 0) + (isAnomalyOnly(incident) ? 0 : 1);
      if (
        best === undefined ||
        rank > bestRank ||
        (rank === bestRank && incident.lastActivityUs > best.lastActivityUs)
      ) {
        best = incident;
        bestRank = rank;
      }
    }
    return best;
  }

  /**
   * Alerts of another class join only an incident where an infrastructure device upstream of
   * their host is down (silent, flapping, or with an unrecovered power or link loss): a mere
   * warning on the power switch must not swallow a server's unrelated crash.
   */
  private isDownstreamOf(host: string, incident: IncidentState): boolean {
    const upstream = incident.rootHost ?? incident.firstHost;
    if (!INFRASTRUCTURE_KINDS.includes(this.graph.device(upstream).deviceKind)) return false;
    const down =
      incident.silentHosts.length > 0 || incident.flapping || incident.downs.some((d) => d.recoveredAtUs === undefined);
    if (!down) return false;
    return this.graph.dependantsOf(upstream).has(host);
  }

  private newIncident(host: string, site: string, eventClass: EventClass, startedAtUs: number): IncidentState {
    const incident: IncidentState = {
      id: incidentId(site, host, startedAtUs),
      site,
      firstHost: host,
      eventClass,
      status: 'pending',
      startedAtUs,
      lastAlertAtUs: startedAtUs,
      lastActivityUs: startedAtUs,
      alertCount: 0,
      eventKeys: [],
      recoveryKeys: [],
      promotedKeys: [],
      hosts: [],
      downs: [],
      hasSolidAlert: false,
      flapping: false,
      breached: false,
      silentHosts: [],
    };
    this.state.incidents.push(incident);
    return incident;
  }

  private addAlert(incident: IncidentState, event: ClassifiedEvent): void {
    incident.alertCount++;
    const rank = SEVERITY_RANK[event.severity] ?? WEAK_SEVERITY;
    incident.strongestSeverity = Math.min(incident.strongestSeverity ?? rank, rank);
    this.pushKey(incident, eventKey(event.hostname, event.timeUs));
    incident.lastAlertAtUs = Math.max(incident.lastAlertAtUs, event.timeUs);
    incident.lastActivityUs = Math.max(incident.lastActivityUs, event.timeUs);
    if (!incident.hosts.includes(event.hostname)) incident.hosts.push(event.hostname);
    const source = alertSource(event);
    const sources = (incident.alertSources ??= []);
    if (!sources.includes(source) && sources.length < MAX_ALERT_SOURCES) sources.push(source);
    if (event.appname === ANOMALY_APPNAME || event.appname === MAINTENANCE_APPNAME) {
      // The metric (or the failure prediction's top factor) stays named in the ticket.
      if (event.appname === ANOMALY_APPNAME) incident.anomalyAlerts = (incident.anomalyAlerts ?? 0) + 1;
      const evidence = (incident.metricEvidence ??= []);
      for (const item of event.explanation ?? []) {
        const known = evidence.find((e) => e.feature === item.feature);
        if (known) known.weight = Math.max(known.weight, item.weight);
        else if (evidence.length < MAX_ALERT_SOURCES) evidence.push({ ...item });
      }
    }
    if (event.routing !== undefined) incident.routing = { ...event.routing };
    if (incident.deciding === undefined || event.confidence > incident.deciding.confidence) {
      incident.deciding = {
        key: eventKey(event.hostname, event.timeUs),
        confidence: event.confidence,
        explanation: event.explanation ?? [],
        modelVersion: event.modelVersion,
      };
    }
  }

  private pushKey(incident: IncidentState, key: string): void {
    if (incident.eventKeys.length < this.options.maxEventKeysPerIncident) incident.eventKeys.push(key);
  }

  private changeDecision(key: string, decision: Decision, reason: string): void {
    const at = key.lastIndexOf('@');
    this.state.outbox.decisionChanges.push({
      key,
      hostname: key.slice(0, at),
      timeUs: Number(key.slice(at + 1)),
      decision,
      reason,
    });
  }

  private incidentById(id: string | undefined): IncidentState | undefined {
    return id === undefined ? undefined : this.state.incidents.find((i) => i.id === id);
  }

  // --- lifecycle ---------------------------------------------------------------------------

  private evaluateIncidents(now: number): TicketAction[] {
    const actions: TicketAction[] = [];
    const windowUs = this.options.falseAlarmWindowMs * US_PER_MS;
    const ordered = sortMany(
      [...this.state.incidents],
      (a, b) => a.startedAtUs - b.startedAtUs || (a.id < b.id ? -1 : 1)
    );
    for (const incident of ordered) {
      if (incident.status === 'pending') this.judgePending(incident, now, windowUs);
      if (incident.status === 'open' && this.isOver(incident, now)) {
        incident.status = 'resolved';
        incident.closedAtUs = now;
        if (incident.announced !== undefined) {
          const resolution = isAlertsOnly(incident) ? 'quiet' : 'recovered';
          actions.push({ kind: 'resolve', atUs: now, incident: this.summary(incident), resolution });
        }
        continue;
      }
      if (incident.status !== 'open') continue;
      if (incident.announced === undefined && this.awaitsRoot(incident, now)) continue;
      if (incident.announced === undefined && awaitsCorroboration(incident)) continue;
      if (incident.announced === undefined) this.nameAfterRoot(incident);
      const summary = this.summary(incident);
      const signature = signatureOf(summary);
      if (incident.announced === undefined) {
        actions.push({ kind: 'open', atUs: now, incident: summary });
      } else if (incident.announced !== signature) {
        actions.push({ kind: 'update', atUs: now, incident: summary });
      }
      incident.announced = signature;
    }
    return actions;
  }

  /**
   * Whether to hold the first ticket of a power or network incident a little: while a power or network
   * device upstream of its first host, or fed by it, has not reported since the first alert (give or
   * take the slack of `silentAncestorOf`), that device may be the root cause about to be found silent, and the ticket should name it from the start (its id and root cause) rather than
   * in a later update. Held at most `rootCauseGraceMs`; a device that reported since, or whose cadence
   * is not learned yet, is not waited for.
   */
  private awaitsRoot(incident: IncidentState, now: number): boolean {
    if (incident.rootHost !== undefined || !ROOT_EXPLAINED_CLASSES.includes(incident.eventClass)) return false;
    if (now - incident.startedAtUs >= this.options.rootCauseGraceMs * US_PER_MS) return false;
    // Upstream of the first host, or fed by it (a UPS on battery whose power switch then goes dark).
    const related = [...this.graph.ancestorsOf(incident.firstHost), ...this.graph.dependantsOf(incident.firstHost)];
    return related.some((device) => {
      if (!INFRASTRUCTURE_KINDS.includes(this.graph.device(device).deviceKind)) return false;
      const hs = this.state.hosts[device];
      if (hs === undefined || cadenceUs(hs.cadence, this.options.minCadenceSamples) === undefined) return false;
      if (hs.silence !== undefined && hs.silence.recoveredAtUs === undefined) return false;
      // A device that fell silent shortly after the alert still explains it (as in silentAncestorOf).
      return hs.cadence.lastSeenUs < incident.startedAtUs + ROOT_SLACK_US;
    });
  }

  /**
   * The ticket id names the device the incident is about: its root cause when one is known by the
   * time the ticket opens (a power switch behind twenty silent monitors), not whichever dependant
   * alerted first. Only before it is announced: a ticket's id never changes.
   */
  private nameAfterRoot(incident: IncidentState): void {
    const root = incident.rootHost;
    if (root === undefined || root === incident.firstHost) return;
    const id = incidentId(incident.site, root, incident.startedAtUs);
    if (id === incident.id || this.incidentById(id) !== undefined) return;
    for (const hs of Object.values(this.state.hosts)) {
      if (hs.silence?.incidentId === incident.id) hs.silence.incidentId = id;
    }
    incident.id = id;
  }

  private judgePending(incident: IncidentState, now: number, windowUs: number): void {
    const onlySilence = incident.alertCount === 0;
    if (onlySilence) {
      if (incident.notBeforeUs !== undefined && now < incident.notBeforeUs) return;
      // A silence that ended within the grace period was a hiccup, not worth a ticket.
      const stillSilent = incident.silentHosts.some((h) => this.isSilentNow(h));
      incident.status = stillSilent ? 'open' : 'dismissed';
      if (!stillSilent) incident.closedAtUs = now;
      return;
    }
    const lasting = incident.downs.filter((d) => (d.recoveredAtUs ?? now) - d.timeUs >= windowUs);
    const confirmed =
      incident.hasSolidAlert ||
      // Nothing to wait for a recovery of (metric evidence only: held by awaitsCorroboration).
      incident.downs.length === 0 ||
      incident.flapping ||
      incident.silentHosts.length > 0 ||
      lasting.some((d) => this.isCorroborated(incident, d));
    if (confirmed) {
      incident.status = 'open';
      return;
    }
    const lastDownUs = Math.max(...incident.downs.map((d) => d.timeUs));
    if (now - lastDownUs < windowUs) return;
    if (lasting.length > 0) {
      // One end device on battery while its supply is fine: unplugged (a patient monitor moved
      // with its patient), not a power fault. Kept as noise rather than a ticket.
      incident.status = 'dismissed';
      incident.closedAtUs = now;
      for (const key of incident.eventKeys) this.changeDecision(key, 'noise', 'isolated_power_loss');
      return;
    }
    // Every down recovered within the window and nothing else happened: a false alarm.
    incident.status = 'false_alarm';
    incident.closedAtUs = now;
    for (const key of [...incident.eventKeys, ...incident.recoveryKeys])
      this.changeDecision(key, 'false_alarm', 'recovered');
  }

  /**
   * A lasting power loss is a fault when it comes from power or network infrastructure, when
   * several devices of the incident lost power, or when something upstream of the device is
   * silent. A lone end device reporting it while its power switch keeps reporting is not.
   */
  private isCorroborated(incident: IncidentState, down: TransientDown): boolean {
    if (down.eventClass !== 'power') return true;
    const kind = this.graph.device(down.host).deviceKind;
    if (!this.graph.isKnown(down.host) || INFRASTRUCTURE_KINDS.includes(kind)) return true;
    if (new Set(incident.downs.map((d) => d.host)).size > 1) return true;
    return this.silentAncestorOf(down.host, down.timeUs) !== undefined;
  }

  private isOver(incident: IncidentState, now: number): boolean {
    if (incident.silentHosts.some((h) => this.isSilentNow(h))) return false;
    const quietMs = isAlertsOnly(incident) ? this.options.repeatQuietMs : this.options.resolveQuietMs;
    return now - incident.lastActivityUs >= quietMs * US_PER_MS;
  }

  private summary(incident: IncidentState): IncidentSummary {
    return summarise(incident, {
      graph: this.graph,
      options: this.options,
      nowUs: this.state.nowUs,
      silenceOf: (host) => this.state.hosts[host]?.silence,
    });
  }

  // --- memory bounds -----------------------------------------------------------------------

  private prune(now: number): void {
    const retentionUs = this.options.retentionMs * US_PER_MS;
    const kept = (i: IncidentState) => isActive(i) || i.closedAtUs === undefined || now - i.closedAtUs < retentionUs;
    // Most steps drop none: no new array then (issue 13: the per-step cost).
    if (!this.state.incidents.every(kept)) {
      this.state.incidents = this.state.incidents.filter(kept);
      this.pruneCheckUs = -Infinity;
    }
    // Built when a silence names an incident: most steps have none (issue 13: the per-step cost).
    let live: Set<string> | undefined;
    const sources = Object.keys(this.state.logins);
    if (sources.length > 1) sources.sort();
    for (const source of sources) this.expireLogins(source, now);
    if (now < this.pruneCheckUs) return;
    let nextCheckUs = Infinity;
    let forgotten = false;
    for (const host of this.hostsInOrder()) {
      const hs = this.state.hosts[host];
      const s = hs.silence;
      if (s !== undefined && s.recoveredAtUs !== undefined) {
        if (now - s.recoveredAtUs >= retentionUs) hs.silence = undefined;
        else nextCheckUs = Math.min(nextCheckUs, s.recoveredAtUs + retentionUs);
      }
      if (s?.incidentId !== undefined) {
        live ??= new Set(this.state.incidents.map((i) => i.id));
        if (!live.has(s.incidentId)) s.incidentId = undefined;
      }
      if (this.graph.isKnown(host)) continue;
      if (hs.silence === undefined && now - hs.cadence.lastSeenUs > UNKNOWN_HOST_RETENTION_US) {
        delete this.state.hosts[host];
        forgotten = true;
      } else {
        // Not before then, whatever its silence does meanwhile (a heartbeat only puts it later).
        nextCheckUs = Math.min(nextCheckUs, hs.cadence.lastSeenUs + UNKNOWN_HOST_RETENTION_US);
      }
    }
    this.pruneCheckUs = nextCheckUs;
    if (forgotten) this.sortedHosts = undefined;
  }
}

/** Metric evidence and failure or problem predictions: about one device, grouped by device alone. */
function isDeviceEvidence(event: ClassifiedEvent): boolean {
  return (
    event.appname === ANOMALY_APPNAME || event.appname === MAINTENANCE_APPNAME || event.appname === PROBLEM_APPNAME
  );
}

function incidentId(site: string, host: string, startedAtUs: number): string {
  return `inc-${site}-${host}-${startedAtUs}`;
}

/** What makes a ticket worth an update: routing, priority, root cause, and the grouped count. */
function signatureOf(summary: IncidentSummary): string {
  return JSON.stringify([
    summary.title,
    summary.eventClass,
    summary.department,
    summary.priority,
    summary.needsReview,
    summary.relatedAlertCount,
    summary.rootCause?.host,
    summary.rootCause?.dependants.length,
  ]);
}

/** The last change of an event wins (a false alarm revived by flapping is an alert again). */
function dedupeChanges(changes: readonly DecisionChange[]): DecisionChange[] {
  const last = new Map<string, DecisionChange>();
  for (const change of changes) {
    last.delete(change.key);
    last.set(change.key, change);
  }
  return [...last.values()];
}
