import { DEPARTMENTS, DEVICE_KINDS, EVENT_CLASSES, SITE_KINDS, type Department } from '@nocai/contract';
import { configuredDepartmentFor, departmentFor, eventsRoutedTo, type RoutedEvents } from './policy';

interface EventKinds {
  eventClass: (typeof EVENT_CLASSES)[number];
  deviceKind: string;
  siteKind: string;
}

/** What a filter built from `routes` would let through, read as the events repository turns it into InfluxQL. */
function isRouted(routes: RoutedEvents[], event: EventKinds): boolean {
  return routes.some(
    (route) =>
      route.eventClass === event.eventClass &&
      (route.only === undefined || route.only.kinds.includes(event[route.only.of])) &&
      !route.except.some((except) => except.kinds.includes(event[except.of]))
  );
}

// Kinds an event may carry: the inventory's, an unknown device's (`unknown` in the engine, no tag on the event).
const EVENTS: EventKinds[] = EVENT_CLASSES.flatMap((eventClass) =>
  [...DEVICE_KINDS, 'unknown', ''].flatMap((deviceKind) =>
    [...SITE_KINDS, 'unknown', ''].map((siteKind) => ({ eventClass, deviceKind, siteKind }))
  )
);
const SELECTIONS: Department[][] = [
  ...DEPARTMENTS.map((d) => [d]),
  ...DEPARTMENTS.flatMap((a, i) => DEPARTMENTS.slice(i + 1).map((b) => [a, b])),
  [...DEPARTMENTS],
];

describe('routing', () => {
  it('When a hardware fault is on a PLC or a sensor, then plant maintenance gets it; on IT gear, field technicians', () => {
    expect(departmentFor('hardware', 'plc', 'factory')).toBe('maintenance');
    expect(departmentFor('hardware', 'sensor', 'hospital')).toBe('maintenance');
    expect(departmentFor('hardware', 'server', 'factory')).toBe('field_technicians');
    expect(departmentFor('power', 'ups', 'hospital')).toBe('field_technicians');
    expect(departmentFor('power', 'ups', 'hospital', { hospital: 'facilities' })).toBe('facilities');
    expect(departmentFor('network', 'router', 'hotel')).toBe('network_ops');
  });

  it('When NOCAI_POWER_DEPARTMENT_BY_SITE_KIND names a site kind, then a power ticket there goes where it says, as an incident does; other tickets are left to their router', () => {
    const power = { hospital: 'facilities', factory: 'maintenance' } as const;
    for (const event of EVENTS) {
      const configured = configuredDepartmentFor(event.eventClass, event.deviceKind, event.siteKind, power);
      const named = event.eventClass === 'power' && event.siteKind in power;
      expect({ event, configured }).toEqual({
        event,
        configured: named ? departmentFor(event.eventClass, event.deviceKind, event.siteKind, power) : undefined,
      });
    }
    expect(configuredDepartmentFor('power', '', 'hospital', power)).toBe('facilities');
    expect(configuredDepartmentFor('power', 'ups', 'hotel', power)).toBeUndefined();
    expect(configuredDepartmentFor('network', 'router', 'hospital', power)).toBeUndefined();
    expect(configuredDepartmentFor('power', 'ups', 'hospital', {})).toBeUndefined();
  });

  it.each([
    ['by default', {}],
    ['with power routed per site kind', { hospital: 'facilities', factory: 'maintenance' } as const],
  ])(
    'When the events of some departments are asked for (%s), then exactly the events routed there match',
    (_name, power) => {
      for (const departments of SELECTIONS) {
        const routes = eventsRoutedTo(departments, power);
        const wrong = EVENTS.filter(
          (e) =>
            isRouted(routes, e) !== departments.includes(departmentFor(e.eventClass, e.deviceKind, e.siteKind, power))
        );
        expect({ departments, wrong }).toEqual({ departments, wrong: [] });
      }
    }
  );

  it('When maintenance or network operations are asked for, then the filter names the classes and device kinds they cover', () => {
    expect(eventsRoutedTo(['maintenance'])).toEqual([
      { eventClass: 'hardware', only: { of: 'deviceKind', kinds: ['plc', 'sensor'] }, except: [] },
    ]);
    expect(eventsRoutedTo(['network_ops'])).toEqual([{ eventClass: 'network', except: [] }]);
    expect(eventsRoutedTo(['field_technicians'])).toEqual([
      { eventClass: 'power', except: [] },
      { eventClass: 'hardware', except: [{ of: 'deviceKind', kinds: ['plc', 'sensor'] }] },
    ]);
  });
});
