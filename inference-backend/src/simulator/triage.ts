import { PRIORITIES } from '@nocai/contract';
import type {
  Department,
  DeviceKind,
  EventClass,
  ExpectedTriage,
  IncidentKind,
  Priority,
  SiteKind,
} from '@nocai/contract';
import type { SimDevice } from './topology';

/**
 * What a perfect triage says about an incident: the policy the simulator labels ground truth
 * and ticket history with, so that models trained on the history can be scored on the truth.
 */

/** 1 = drop everything; shifted by site criticality into a priority. */
export const URGENCY: Record<IncidentKind, number> = {
  power_failure: 1,
  power_flicker: 4,
  overheating: 2,
  link_flapping: 3,
  disk_full: 2,
  crash_loop: 2,
  brute_force: 3,
};

export function departmentFor(eventClass: EventClass, deviceKind: DeviceKind, _siteKind: SiteKind): Department {
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
      // A power switch or UPS fault needs an electrician on site, whatever the site kind (issue 3:
      // "one ticket for field technicians that names the root device").
      return 'field_technicians';
    case 'hardware':
      return deviceKind === 'plc' || deviceKind === 'sensor' ? 'maintenance' : 'field_technicians';
  }
}

/** Urgency 1-4 shifted one step up for life-critical sites (5) and one down for low ones (≤ 2). */
export function priorityFor(urgency: number, criticality: number): Priority {
  const shift = criticality >= 5 ? -1 : criticality <= 2 ? 1 : 0;
  const level = Math.min(4, Math.max(1, Math.round(urgency) + shift));
  return PRIORITIES[level - 1];
}

function classOf(kind: IncidentKind, root: SimDevice): EventClass {
  switch (kind) {
    case 'power_failure':
    case 'power_flicker':
      return 'power';
    case 'overheating':
      return root.kind === 'sensor' ? 'environment' : 'hardware';
    case 'link_flapping':
      return 'network';
    case 'disk_full':
    case 'crash_loop':
      return 'software';
    case 'brute_force':
      return 'security';
  }
}

export function expectedTriage(kind: IncidentKind, root: SimDevice, urgency = URGENCY[kind]): ExpectedTriage {
  const eventClass = classOf(kind, root);
  return {
    eventClass,
    department: departmentFor(eventClass, root.kind, root.site.kind),
    // A false alarm needs no one in a hurry, whatever the site.
    priority: kind === 'power_flicker' ? 'P4' : priorityFor(urgency, root.site.criticality),
  };
}
