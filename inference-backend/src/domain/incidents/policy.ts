import { DEVICE_KINDS, EVENT_CLASSES, PRIORITIES } from '@nocai/contract';
import type { Department, DeviceKind, EventClass, Priority } from '@nocai/contract';
import type { IncidentPattern } from './types';

/**
 * Routing and priority of an incident. Kept in step with the simulator's ground truth
 * (`simulator/triage.ts`) so that evaluation on simulated incidents is meaningful, except that
 * power goes to field technicians unless configured otherwise (see `powerDepartmentBySiteKind`).
 */

/** Device kinds whose failure directly endangers people: one step more urgent. */
export const LIFE_CRITICAL_DEVICE_KINDS: readonly string[] = ['patient_monitor'];

/** What an event says about where it happened besides its class: its device's kind and its site's kind. */
export type RoutingKind = 'deviceKind' | 'siteKind';

/** Events whose device (or site) is of one of `kinds`. */
export interface KindMatch {
  of: RoutingKind;
  kinds: readonly string[];
}

/** Where a class's events go: `department`, unless the first of `exceptions` that matches sends them elsewhere. */
interface ClassRoute {
  department: Department;
  exceptions: ReadonlyArray<KindMatch & { department: Department }>;
}

/**
 * The routing as data, so that `departmentFor` and `eventsRoutedTo` (the events list's department filter)
 * read the same rules. Machines and field sensors are looked after by plant maintenance, IT gear by technicians.
 */
const CLASS_ROUTES: Record<EventClass, ClassRoute> = {
  security: { department: 'security', exceptions: [] },
  network: { department: 'network_ops', exceptions: [] },
  software: { department: 'it_ops', exceptions: [] },
  informational: { department: 'it_ops', exceptions: [] },
  environment: { department: 'facilities', exceptions: [] },
  power: { department: 'field_technicians', exceptions: [] },
  hardware: {
    department: 'field_technicians',
    exceptions: [{ of: 'deviceKind', kinds: ['plc', 'sensor'], department: 'maintenance' }],
  },
};

/** The exceptions the configuration adds to a class's route: power at sites of the kinds NOCAI_POWER_DEPARTMENT_BY_SITE_KIND names. */
function configuredExceptions(
  eventClass: EventClass,
  powerDepartmentBySiteKind: Partial<Record<string, Department>>
): ClassRoute['exceptions'] {
  if (eventClass !== 'power') return [];
  return Object.entries(powerDepartmentBySiteKind).flatMap(([siteKind, department]) =>
    department === undefined ? [] : [{ of: 'siteKind' as const, kinds: [siteKind], department }]
  );
}

function routeOf(eventClass: EventClass, powerDepartmentBySiteKind: Partial<Record<string, Department>>): ClassRoute {
  const route = CLASS_ROUTES[eventClass];
  const configured = configuredExceptions(eventClass, powerDepartmentBySiteKind);
  return configured.length === 0 ? route : { ...route, exceptions: [...route.exceptions, ...configured] };
}

function firstMatching(exceptions: ClassRoute['exceptions'], deviceKind: string, siteKind: string) {
  const kindOf: Record<RoutingKind, string> = { deviceKind, siteKind };
  return exceptions.find((e) => e.kinds.includes(kindOf[e.of]));
}

export function departmentFor(
  eventClass: EventClass,
  deviceKind: string,
  siteKind: string,
  powerDepartmentBySiteKind: Partial<Record<string, Department>> = {}
): Department {
  const route = routeOf(eventClass, powerDepartmentBySiteKind);
  return firstMatching(route.exceptions, deviceKind, siteKind)?.department ?? route.department;
}

/**
 * The department the configuration sends a ticket of `eventClass` at a site of `siteKind` to, whatever routed it
 * (NOCAI_POWER_DEPARTMENT_BY_SITE_KIND: power at a hospital to facilities), or undefined when it says nothing. A
 * complaint's or a Grafana alert's department comes from the models, which learnt the organisation's own routing
 * but not this setting: it overrides them, as it does the rules for an incident (`departmentFor`).
 */
export function configuredDepartmentFor(
  eventClass: EventClass,
  deviceKind: string,
  siteKind: string,
  powerDepartmentBySiteKind: Partial<Record<string, Department>>
): Department | undefined {
  return firstMatching(configuredExceptions(eventClass, powerDepartmentBySiteKind), deviceKind, siteKind)?.department;
}

/**
 * What a ticket's explanation says first when `configuredDepartmentFor` chose its department: the setting as an
 * operator writes it, so that the words after it are read as the reasons for its class, not for its department.
 */
export function configuredDepartmentReason(siteKind: string, department: Department): string {
  return `department set by NOCAI_POWER_DEPARTMENT_BY_SITE_KIND (${siteKind}=${department})`;
}

/** Events of one class, only those whose device or site `only` matches if set, less those any of `except` matches. */
export interface RoutedEvents {
  eventClass: EventClass;
  only?: KindMatch;
  except: KindMatch[];
}

/**
 * The events `departmentFor` sends to one of `departments`, as conditions on their class and kinds, any of
 * which matches: an event stores no department of its own, so the events list filters by department with these.
 * Empty when no event goes there.
 */
export function eventsRoutedTo(
  departments: readonly Department[],
  powerDepartmentBySiteKind: Partial<Record<string, Department>> = {}
): RoutedEvents[] {
  const wanted = (department: Department) => departments.includes(department);
  const kindMatch = ({ of, kinds }: KindMatch): KindMatch => ({ of, kinds });
  const routed: RoutedEvents[] = [];
  for (const eventClass of EVENT_CLASSES) {
    const { department, exceptions } = routeOf(eventClass, powerDepartmentBySiteKind);
    const elsewhere = exceptions.filter((exception) => !wanted(exception.department));
    if (wanted(department) && elsewhere.length === 0) {
      routed.push({ eventClass, except: [] });
      continue;
    }
    // An event goes where the first exception it matches says, so one that an earlier exception sends to a
    // department not wanted is left out; one that an earlier wanted exception matches is in by that one.
    exceptions.forEach((exception, i) => {
      if (!wanted(exception.department)) return;
      const before = exceptions.slice(0, i).filter((earlier) => !wanted(earlier.department));
      routed.push({ eventClass, only: kindMatch(exception), except: before.map(kindMatch) });
    });
    if (wanted(department)) routed.push({ eventClass, except: elsewhere.map(kindMatch) });
  }
  return routed;
}

/** What a device going silent is about: a power device's silence is power, a network device's the network. */
export function silenceClass(deviceKind: string): EventClass {
  if (deviceKind === 'power_switch' || deviceKind === 'ups') return 'power';
  if (deviceKind === 'router' || deviceKind === 'network_switch') return 'network';
  return 'hardware';
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

/**
 * The urgency of a fault known only from words (a complaint, an alert's text the rules route): its class's and its
 * device's, as `urgencyOf` has them, since words say neither whether a power loss lasted, nor whether a login
 * succeeded, nor how many devices it reached.
 */
export function reportedUrgencyOf(eventClass: EventClass, deviceKind: string): number {
  return urgencyOf({
    eventClass,
    pattern: 'alerts',
    deviceKind,
    sustainedOutage: false,
    breached: false,
    affectedDependants: 0,
    blastRadiusEscalation: Number.POSITIVE_INFINITY,
  });
}

/** The criticality of a site nobody described: neither raised nor lowered by `priorityFor`. */
export const UNKNOWN_SITE_CRITICALITY = 3;

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
