/**
 * Closed vocabularies shared by the simulator, the backend and the Grafana plugins.
 * They become InfluxDB tag values, so they must stay small and stable (bounded cardinality).
 */

export const SITE_KINDS = ['hospital', 'factory', 'hotel', 'smart_city'] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

export const DEVICE_KINDS = [
  'power_switch',
  'ups',
  'network_switch',
  'router',
  'server',
  'patient_monitor',
  'plc',
  'sensor',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** What an event is about. `informational` is the class of routine chatter. */
export const EVENT_CLASSES = [
  'power',
  'network',
  'hardware',
  'software',
  'security',
  'environment',
  'informational',
] as const;
export type EventClass = (typeof EVENT_CLASSES)[number];

/** alert: worth a ticket; noise: routine; false_alarm: looked like an alert but recovered on its own. */
export const DECISIONS = ['alert', 'noise', 'false_alarm', 'needs_review'] as const;
export type Decision = (typeof DECISIONS)[number];

export const DEPARTMENTS = [
  'field_technicians',
  'network_ops',
  'it_ops',
  'security',
  'facilities',
  'maintenance',
] as const;
export type Department = (typeof DEPARTMENTS)[number];

/** P1 is the most urgent. */
export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** RFC 5424 severity keywords as Telegraf's syslog input writes them in the `severity` tag. */
export const SYSLOG_SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type SyslogSeverity = (typeof SYSLOG_SEVERITIES)[number];
/** RFC 5424's numeric codes: emerg 0 (the most severe) to debug 7 (the mildest). */
export const SYSLOG_SEVERITY_CODES = Object.fromEntries(SYSLOG_SEVERITIES.map((s, code) => [s, code])) as Record<
  SyslogSeverity,
  number
>;

export function isEventClass(value: string): value is EventClass {
  return (EVENT_CLASSES as readonly string[]).includes(value);
}

export function isDepartment(value: string): value is Department {
  return (DEPARTMENTS as readonly string[]).includes(value);
}

export function isSyslogSeverity(value: string): value is SyslogSeverity {
  return (SYSLOG_SEVERITIES as readonly string[]).includes(value);
}

/** The places a filter names: `site` and `host` (the `hostname` of an event, a ticket's host). */
export const PLACE_TAGS = ['site', 'host'] as const;
export type PlaceTag = (typeof PLACE_TAGS)[number];

export function isPlaceTag(value: string): value is PlaceTag {
  return (PLACE_TAGS as readonly string[]).includes(value);
}
