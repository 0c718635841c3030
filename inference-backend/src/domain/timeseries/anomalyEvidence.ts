import type { EventClass } from '@nocai/contract';
import type { ClassifiedEvent } from '../incidents/types';

/** An anomaly episode of one metric series, as the metric stage stored it (aiops_anomalies, alarm = true). */
export interface AnomalyAlarmRecord {
  timeUs: number;
  host: string;
  deviceKind: string;
  /** `measurement.field`. */
  metric: string;
  instance: string;
  value: number;
  expected: number;
  lower: number;
  upper: number;
  score: number;
  modelVersion: string;
}

/** The appname of anomaly evidence in the incident engine (and in a ticket's related alerts). */
export const ANOMALY_APPNAME = 'nocai-anomaly';

/**
 * What a metric going wrong is about, by the first family whose pattern (a regex on `measurement.field`, written
 * so that JavaScript and InfluxQL read it alike) the metric matches. A room sensor's temperature is the
 * environment (the HVAC), a machine's temperature or vibration is its hardware; a disk filling up or a CPU
 * saturated is the software on it; interface counters are the network; a power reading is power. As data, so
 * that the anomaly panels' department filter (`aiops_anomalies` stores no class) reads the same rules.
 */
export interface AnomalyMetricFamily {
  /** Unanchored at the end; empty matches every metric. */
  pattern: string;
  classOf(deviceKind: string): EventClass;
}

export const ANOMALY_METRIC_FAMILIES: readonly AnomalyMetricFamily[] = [
  { pattern: '^sensors\\.power', classOf: () => 'power' },
  {
    pattern: '^sensors\\.(temperature|humidity)',
    classOf: (deviceKind) => (deviceKind === 'sensor' ? 'environment' : 'hardware'),
  },
  { pattern: '^sensors(\\.|$)', classOf: () => 'hardware' },
  { pattern: '^net(\\.|$)', classOf: () => 'network' },
  { pattern: '', classOf: () => 'software' },
];

const FAMILY_PATTERNS = ANOMALY_METRIC_FAMILIES.map(({ pattern }) => new RegExp(pattern));

export function anomalyClass(metric: string, deviceKind: string): EventClass {
  // The last family's empty pattern matches every metric.
  const index = Math.max(
    0,
    FAMILY_PATTERNS.findIndex((pattern) => pattern.test(metric))
  );
  return ANOMALY_METRIC_FAMILIES[index].classOf(deviceKind);
}

const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2));

/**
 * The alarm as an alert of the incident engine: joined with the device's log alerts into one
 * incident, and named in the ticket's explanation (the metric, weighted by its score).
 */
export function anomalyEvent(alarm: AnomalyAlarmRecord): ClassifiedEvent {
  const where = alarm.instance ? ` (${alarm.instance})` : '';
  const direction = alarm.value > alarm.upper ? 'above' : alarm.value < alarm.lower ? 'below' : 'outside';
  return {
    timeUs: alarm.timeUs,
    hostname: alarm.host,
    appname: ANOMALY_APPNAME,
    severity: 'warning',
    message:
      `${alarm.metric}${where} at ${num(alarm.value)}, ${direction} the expected ${num(alarm.lower)}–${num(alarm.upper)} ` +
      `(anomaly score ${alarm.score.toFixed(2)})`,
    templateId: `anomaly.${alarm.metric}`,
    eventClass: anomalyClass(alarm.metric, alarm.deviceKind),
    decision: 'alert',
    confidence: Math.max(0, Math.min(1, alarm.score)),
    modelVersion: alarm.modelVersion,
    explanation: [{ feature: alarm.metric, weight: Math.round(alarm.score * 1000) / 1000 }],
  };
}
