import { PRIORITIES } from '@nocai/contract';
import type { Department, EventClass, Priority } from '@nocai/contract';
import type { IncidentPattern } from './types';

/**
 * Routing and priority of an incident. Kept in step with the simulator's ground truth
 * (`simulator/triage.ts`) so that evaluation on simulated incidents is meaningful, except that
 * power goes to field technicians unless configured otherwise (see `powerDepartmentBySiteKind`).
 */

/** Device kinds whose failure directly endangers people: one step more urgent. */
export const LIFE_CRITICAL_DEVICE_KINDS: readonly string[] = ['patient_monitor'];

export function departmentFor(
  eventClass: EventClass,
  deviceKind: string,
  siteKind: string,
  powerDepartmentBySiteKind: Partial<Record<string, Department>> = {}
): Department {
  switch (eventClass) {
    case 'security':
      return 'security';
    case 'network':
      return 'network_ops';
    case 'software':
    case 'informational':
      return 'it_ops';
    case 'environment':
      return 'facilities';
    case 'power':
      return powerDepartmentBySiteKind[siteKind] ?? 'field_technicians';
    case 'hardware':
      // Machines and field sensors are looked after by plant maintenance, IT gear by technicians.
      return deviceKind === 'plc' || deviceKind === 'sensor' ? 'maintenance' : 'field_technicians';
  }
}

export interface UrgencyInput {
  eventClass: EventClass;
  pattern: IncidentPattern;
  deviceKind: string;
  /** A power loss confirmed by silence or by outlasting the false-alarm window. */
  sustainedOutage: boolean;
  /** A brute force followed by a successful login from the same source. */
  breached: boolean;
  affectedDependants: number;
  blastRadiusEscalation: number;
}

/** Base urgency per class, 1 = drop everything, before site criticality. */
const CLASS_URGENCY: Record<EventClass, number> = {
  power: 2,
  hardware: 2,
  environment: 2,
  software: 2,
  network: 3,
  security: 3,
  informational: 4,
};

export function urgencyOf(input: UrgencyInput): number {
  let urgency = CLASS_URGENCY[input.eventClass];
  if (input.eventClass === 'power' && input.sustainedOutage) urgency = 1;
  if (input.pattern === 'silence') urgency = Math.min(urgency, 2);
  if (input.breached) urgency = 1;
  if (LIFE_CRITICAL_DEVICE_KINDS.includes(input.deviceKind)) urgency -= 1;
  if (input.affectedDependants >= input.blastRadiusEscalation) urgency -= 1;
  return Math.max(1, urgency);
}

/** Urgency shifted one step up for life-critical sites (5) and one down for low ones (≤ 2). */
export function priorityFor(urgency: number, criticality: number): Priority {
  const shift = criticality >= 5 ? -1 : criticality <= 2 ? 1 : 0;
  const level = Math.min(4, Math.max(1, Math.round(urgency) + shift));
  return PRIORITIES[level - 1];
}

const DEVICE_LABEL: Record<string, string> = {
  power_switch: 'power switch',
  ups: 'UPS',
  network_switch: 'network switch',
  router: 'router',
  server: 'server',
  patient_monitor: 'patient monitor',
  plc: 'PLC',
  sensor: 'sensor',
};

export function deviceLabel(deviceKind: string): string {
  return DEVICE_LABEL[deviceKind] ?? 'device';
}

const CLASS_TITLE: Record<EventClass, string> = {
  power: 'Power fault',
  network: 'Network fault',
  hardware: 'Hardware fault',
  software: 'Software fault',
  security: 'Security alert',
  environment: 'Environment alarm',
  informational: 'Event',
};

export interface TitleInput {
  pattern: IncidentPattern;
  eventClass: EventClass;
  host: string;
  deviceKind: string;
  site: string;
  rootHost?: string;
  rootDeviceKind?: string;
  dependants: number;
  breached: boolean;
}

export function titleOf(input: TitleInput): string {
  const where = `${deviceLabel(input.deviceKind)} ${input.host}`;
  switch (input.pattern) {
    case 'outage':
      return input.rootHost
        ? `Power outage at ${input.site}: ${deviceLabel(input.rootDeviceKind ?? '')} ${input.rootHost} down, ${input.dependants} dependants affected`
        : `Power loss at ${input.site} on ${where}`;
    case 'flapping':
      return `Link flapping on ${where} at ${input.site}`;
    case 'brute_force':
      return `Brute-force logins on ${where} at ${input.site}${input.breached ? ', then one succeeded' : ''}`;
    case 'silence':
      return `${deviceLabel(input.rootDeviceKind ?? input.deviceKind)} ${input.rootHost ?? input.host} silent at ${input.site}${input.dependants > 0 ? `, ${input.dependants} dependants affected` : ''}`;
    case 'alerts':
      return `${CLASS_TITLE[input.eventClass]} on ${where} at ${input.site}`;
  }
}
