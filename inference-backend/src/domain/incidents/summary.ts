import type { EventClass, Explanation } from '@nocai/contract';
import type { DependencyGraph } from './dependencyGraph';
import { departmentFor, deviceLabel, priorityFor, titleOf, urgencyOf } from './policy';
import type { IncidentState, SilenceRecord } from './state';
import type { IncidentEngineOptions, IncidentPattern, IncidentSummary, RootCauseSummary } from './types';

export interface SummaryContext {
  graph: DependencyGraph;
  options: IncidentEngineOptions;
  nowUs: number;
  silenceOf: (host: string) => SilenceRecord | undefined;
}

/** The version reported for decisions the engine makes without a classified event (silence only). */
export const INCIDENT_RULES_VERSION = 'incident-rules-1';

const POWER_KINDS: readonly string[] = ['power_switch', 'ups'];
const NETWORK_KINDS: readonly string[] = ['router', 'network_switch'];

/** "2024-03-05T12:00:05Z": second precision is what an operator reads. */
export function isoSecond(timeUs: number): string {
  return new Date(Math.floor(timeUs / 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function classOf(incident: IncidentState, rootKind: string | undefined): EventClass {
  // A silent power or network device explains its dependants' alerts, whatever they said.
  if (rootKind !== undefined && POWER_KINDS.includes(rootKind)) return 'power';
  if (rootKind !== undefined && NETWORK_KINDS.includes(rootKind) && incident.eventClass !== 'power') return 'network';
  return incident.eventClass;
}

function patternOf(incident: IncidentState, eventClass: EventClass, sustained: boolean): IncidentPattern {
  if (incident.bruteForce !== undefined) return 'brute_force';
  if (incident.flapping) return 'flapping';
  if (eventClass === 'power' && sustained) return 'outage';
  if (incident.alertCount === 0) return 'silence';
  return 'alerts';
}

export function summarise(incident: IncidentState, ctx: SummaryContext): IncidentSummary {
  const { graph, options } = ctx;
  const root = incident.rootHost;
  const host = root ?? incident.firstHost;
  const device = graph.device(host);
  const rootDevice = root === undefined ? undefined : graph.device(root);
  const eventClass = classOf(incident, rootDevice?.deviceKind);
  const windowUs = options.falseAlarmWindowMs * 1000;
  const sustained =
    root !== undefined || incident.downs.some((d) => (d.recoveredAtUs ?? ctx.nowUs) - d.timeUs >= windowUs);
  const pattern = patternOf(incident, eventClass, sustained);

  const downstream = graph.dependantsOf(host);
  const affected = [...new Set([...incident.hosts, ...incident.silentHosts])].filter((h) => downstream.has(h)).sort();
  let rootCause: RootCauseSummary | undefined;
  if (root !== undefined && rootDevice !== undefined) {
    const silence = ctx.silenceOf(root);
    const silentSinceUs = silence?.rootHost === root ? silence.sinceUs : undefined;
    const since = silentSinceUs === undefined ? 'reported a fault' : `silent since ${isoSecond(silentSinceUs)}`;
    rootCause = {
      host: root,
      deviceKind: rootDevice.deviceKind,
      silentSinceUs,
      description: `${deviceLabel(rootDevice.deviceKind)} ${root} ${since}, ${affected.length} of ${downstream.size} dependants affected`,
      dependants: affected,
    };
  }

  const urgency = urgencyOf({
    eventClass,
    pattern,
    deviceKind: device.deviceKind,
    sustainedOutage: eventClass === 'power' && sustained,
    breached: incident.breached,
    affectedDependants: affected.length,
    blastRadiusEscalation: options.blastRadiusEscalation,
  });
  const evidence = incident.deciding?.confidence ?? 0;
  // Evidence that knows its ticket (a predicted problem) routes it as its definition says.
  const routing = incident.routing;
  const confidence = incident.silentHosts.length > 0 ? Math.max(evidence, options.silenceConfidence) : evidence;
  return {
    id: incident.id,
    pattern,
    source: incident.alertCount === 0 ? 'silence' : 'logs',
    title:
      routing?.title ??
      titleOf({
        pattern,
        eventClass,
        host,
        deviceKind: device.deviceKind,
        site: device.site,
        rootHost: root,
        rootDeviceKind: rootDevice?.deviceKind,
        dependants: affected.length,
        breached: incident.breached,
      }),
    eventClass,
    department:
      routing?.department ??
      departmentFor(eventClass, device.deviceKind, device.siteKind, options.powerDepartmentBySiteKind),
    priority: routing?.priority ?? priorityFor(urgency, device.criticality),
    confidence,
    needsReview: confidence < options.reviewThreshold,
    site: device.site,
    siteKind: device.siteKind,
    host,
    deviceKind: device.deviceKind,
    rootCause,
    relatedAlertCount: incident.alertCount,
    startedAtUs: incident.startedAtUs,
    lastAlertAtUs: incident.lastAlertAtUs,
    resolvedAtUs: incident.status === 'resolved' ? incident.closedAtUs : undefined,
    eventKeys: [...incident.eventKeys],
    hosts: [...new Set([...incident.hosts, ...incident.silentHosts])].sort(),
    explanation: withMetricEvidence(incident.deciding?.explanation ?? [], incident.metricEvidence),
    modelVersion: incident.deciding?.modelVersion ?? INCIDENT_RULES_VERSION,
    ...(routing?.recommendation ? { recommendation: routing.recommendation } : {}),
    ...(routing?.problem ? { problem: routing.problem } : {}),
  };
}

/** The metrics that went anomalous come first: they say what a technician should look at. */
function withMetricEvidence(explanation: Explanation[], metrics: Explanation[] | undefined): Explanation[] {
  if (!metrics?.length) return explanation;
  const named = new Set(metrics.map((m) => m.feature));
  return [...metrics, ...explanation.filter((e) => !named.has(e.feature))];
}
