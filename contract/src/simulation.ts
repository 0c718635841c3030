import { z } from 'zod';
import { DEVICE_KINDS, EVENT_CLASSES, PRIORITIES, SITE_KINDS } from './vocabulary';
import type { Decision, Department, EventClass, Priority, SiteKind } from './vocabulary';

/**
 * What the NOC simulator knows and the backend must find out. These records are written as
 * files next to the simulated series (`truth/`, `history/`), never into the telegraf database,
 * so evaluation can compare the backend's decisions with what really happened.
 */

export const INCIDENT_KINDS = [
  'power_failure',
  'power_flicker',
  'overheating',
  'link_flapping',
  'disk_full',
  'crash_loop',
  'brute_force',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export function isIncidentKind(value: string): value is IncidentKind {
  return (INCIDENT_KINDS as readonly string[]).includes(value);
}

/** What a perfect triage would say about an incident. */
export interface ExpectedTriage {
  eventClass: EventClass;
  department: Department;
  priority: Priority;
}

/** One line of truth/incidents.jsonl. */
export interface GroundTruthIncident {
  id: string;
  kind: IncidentKind;
  site: string;
  siteKind: SiteKind;
  /** The device where the fault is (for a site power failure: the power switch). */
  rootHost: string;
  /** Every host whose telemetry the incident changed, root included. */
  affectedHosts: string[];
  /** First and last observable effect, microseconds since the epoch. */
  startUs: number;
  endUs: number;
  /** It looked like an alert but recovered on its own (a power flicker). */
  isFalseAlarm: boolean;
  expected: ExpectedTriage;
  summary: string;
}

/** One line of truth/events.jsonl: the truth about one syslog line, keyed like it (hostname + time). */
export interface GroundTruthEvent {
  timeUs: number;
  hostname: string;
  templateId: string;
  eventClass: EventClass;
  /** alert for lines of a real incident, false_alarm for lines of a false alarm, noise otherwise. */
  decision: Decision;
  incidentId: string | null;
}

/** Columns of history/tickets.csv, in order (history/tickets.jsonl uses the same keys). */
export const TICKET_HISTORY_COLUMNS = [
  'id',
  'opened_at',
  'resolved_at',
  'site',
  'site_kind',
  'host',
  'device_kind',
  'class',
  'department',
  'priority',
  'title',
  'description',
  'resolution',
  'incident_id',
] as const;

/** One resolved ticket of the history used for training (`nocai train --history FILE`). */
export const ticketHistoryRowSchema = z.object({
  id: z.string().min(1),
  /** ISO 8601, UTC. */
  opened_at: z.iso.datetime(),
  resolved_at: z.iso.datetime(),
  site: z.string().min(1),
  site_kind: z.enum(SITE_KINDS),
  host: z.string().min(1),
  device_kind: z.enum(DEVICE_KINDS),
  class: z.enum(EVENT_CLASSES),
  /**
   * One of the six `DEPARTMENTS` or a department of the organisation's own: a label, not a closed set (see
   * `Ticket.department`), which the department model and the MTTR trees learn from this history.
   */
  department: z.string().min(1),
  priority: z.enum(PRIORITIES),
  title: z.string(),
  description: z.string(),
  resolution: z.string(),
  /** The ground-truth incident the ticket was opened for; empty for ordinary background issues. */
  incident_id: z.string(),
  /**
   * Optional (`nocai labels` writes it): `true` when the backend closed the ticket after quiet time
   * rather than anyone resolving it; `resolved_at` is then no time to resolve, and MTTR training
   * leaves the row out.
   */
  auto_resolved: z.enum(['true', 'false']).optional(),
});
export type TicketHistoryRow = z.infer<typeof ticketHistoryRowSchema>;
