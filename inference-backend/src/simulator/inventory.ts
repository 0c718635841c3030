import type { Device, DeviceKind, Inventory, Site, SiteKind } from '@nocai/contract';
import { stringify } from 'yaml';
import { Rng, rngFor, STREAM } from './random';

export const DEFAULT_SITE_COUNT = 4;

/** Sites are assigned kinds in this order so that any four consecutive sites cover every kind. */
const SITE_KIND_CYCLE: readonly SiteKind[] = ['hospital', 'factory', 'hotel', 'smart_city'];

const SITE_PREFIX: Record<SiteKind, string> = { hospital: 'hosp', factory: 'fact', hotel: 'hotel', smart_city: 'city' };

export const DEVICE_ABBREVIATION: Record<DeviceKind, string> = {
  power_switch: 'ps',
  ups: 'ups',
  network_switch: 'sw',
  router: 'rtr',
  server: 'srv',
  patient_monitor: 'mon',
  plc: 'plc',
  sensor: 'sen',
};

const BASE_CRITICALITY: Record<SiteKind, number> = { hospital: 5, factory: 4, smart_city: 3, hotel: 2 };

const SITE_NAMES: Record<SiteKind, readonly string[]> = {
  hospital: [
    "St. Mary's General Hospital",
    'Northside Medical Centre',
    'Riverside Children’s Hospital',
    'Lakeview University Hospital',
    'Hillcrest Community Clinic',
  ],
  factory: ['Riverside Assembly Plant', 'Eastgate Bottling Works', 'Harbor Steel Mill', 'Westfield Packaging Plant'],
  hotel: ['Harbour View Hotel', 'Grand Central Suites', 'Parkside Inn', 'Seafront Resort & Spa'],
  smart_city: [
    'Old Town Smart District',
    'Port Quarter Mobility Hub',
    'Central Station Precinct',
    'Greenway Park Zone',
  ],
};

/** How many devices of each kind a site of a given kind has: [min, max]. */
const SITE_PROFILE: Record<SiteKind, Partial<Record<DeviceKind, readonly [number, number]>>> = {
  hospital: { ups: [1, 1], network_switch: [2, 3], server: [2, 2], patient_monitor: [10, 16], sensor: [3, 5] },
  factory: { ups: [1, 1], network_switch: [2, 2], server: [1, 1], plc: [4, 8], sensor: [6, 10] },
  hotel: { ups: [0, 1], network_switch: [1, 1], server: [1, 1], sensor: [3, 5] },
  smart_city: { ups: [1, 1], network_switch: [2, 2], server: [1, 1], plc: [1, 3], sensor: [8, 12] },
};

/** Devices that hang off a network switch (everything else is infrastructure). */
const ENDPOINT_KINDS: readonly DeviceKind[] = ['server', 'patient_monitor', 'plc', 'sensor'];

export interface InventoryOptions {
  seed: number;
  sites?: number;
}

function hostname(siteId: string, kind: DeviceKind, n: number): string {
  return `${siteId}-${DEVICE_ABBREVIATION[kind]}-${String(n).padStart(2, '0')}`;
}

function criticality(kind: SiteKind, rng: Rng): number {
  const base = BASE_CRITICALITY[kind];
  // A minority of sites deviate by one step (a small clinic, a flagship hotel).
  if (!rng.chance(0.2)) return base;
  return Math.min(5, Math.max(1, base + (rng.chance(0.5) ? -1 : 1)));
}

/**
 * A realistic estate: every device depends on its site's power switch (which depends on the UPS
 * when there is one), endpoints depend on a network switch, network switches on the router.
 */
export function generateInventory(options: InventoryOptions): Inventory {
  const siteCount = options.sites ?? DEFAULT_SITE_COUNT;
  if (!Number.isInteger(siteCount) || siteCount < 1)
    throw new Error(`sites must be a positive integer, got ${siteCount}`);
  const sites: Site[] = [];
  const devices: Device[] = [];
  const perKind = new Map<SiteKind, number>();
  for (let i = 0; i < siteCount; i++) {
    const kind = SITE_KIND_CYCLE[i % SITE_KIND_CYCLE.length];
    const n = (perKind.get(kind) ?? 0) + 1;
    perKind.set(kind, n);
    const rng = rngFor(options.seed, STREAM.inventory, i);
    const id = `${SITE_PREFIX[kind]}-${String(n).padStart(2, '0')}`;
    const names = SITE_NAMES[kind];
    const name = n <= names.length ? names[n - 1] : `${names[(n - 1) % names.length]} ${Math.ceil(n / names.length)}`;
    sites.push({ id, name, kind, criticality: criticality(kind, rng) });

    const profile = SITE_PROFILE[kind];
    const count = (k: DeviceKind): number => {
      const range = profile[k];
      return range ? rng.int(range[0], range[1]) : 0;
    };
    const ups = count('ups') > 0 ? hostname(id, 'ups', 1) : undefined;
    if (ups) devices.push({ host: ups, site: id, kind: 'ups', dependsOn: [] });
    const ps = hostname(id, 'power_switch', 1);
    devices.push({ host: ps, site: id, kind: 'power_switch', dependsOn: ups ? [ups] : [] });
    const router = hostname(id, 'router', 1);
    devices.push({ host: router, site: id, kind: 'router', dependsOn: [ps] });
    const switches: string[] = [];
    for (let s = 1; s <= count('network_switch'); s++) {
      const host = hostname(id, 'network_switch', s);
      switches.push(host);
      devices.push({ host, site: id, kind: 'network_switch', dependsOn: [ps, router] });
    }
    let attached = 0;
    for (const endpointKind of ENDPOINT_KINDS) {
      for (let e = 1, total = count(endpointKind); e <= total; e++) {
        const uplink = switches.length > 0 ? switches[attached++ % switches.length] : router;
        devices.push({ host: hostname(id, endpointKind, e), site: id, kind: endpointKind, dependsOn: [ps, uplink] });
      }
    }
  }
  return { sites, devices };
}

export function formatInventory(inventory: Inventory): string {
  const header =
    '# NOC AI inventory: sites, devices and what each device depends on.\n' +
    '# Written by `nocai simulate`; the backend reads the same file (NOCAI_INVENTORY).\n';
  return header + stringify(inventory, { lineWidth: 0 });
}
