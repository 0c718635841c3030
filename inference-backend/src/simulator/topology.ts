import type { Device, DeviceKind, Inventory, Site } from '@nocai/contract';

export interface SimDevice {
  /** Position in the inventory: the stable key of the device's random streams. */
  index: number;
  host: string;
  kind: DeviceKind;
  site: Site;
  /** Position of the site in the inventory (used for addressing, 10.<site>.x.y). */
  siteIndex: number;
  dependsOn: readonly string[];
}

/** The inventory as a graph: lookups by host and site, and who depends on whom. */
export class Topology {
  readonly devices: readonly SimDevice[];
  readonly sites: readonly Site[];
  private readonly byHost = new Map<string, SimDevice>();
  private readonly bySite = new Map<string, SimDevice[]>();
  private readonly directDependants = new Map<string, string[]>();
  private readonly dependantsCache = new Map<string, readonly SimDevice[]>();

  constructor(readonly inventory: Inventory) {
    this.sites = inventory.sites;
    const siteIndex = new Map(inventory.sites.map((s, i) => [s.id, i] as const));
    this.devices = inventory.devices.map((d: Device, index) => {
      const site = inventory.sites[siteIndex.get(d.site) ?? -1];
      if (!site) throw new Error(`device ${d.host} is on unknown site ${d.site}`);
      return { index, host: d.host, kind: d.kind, site, siteIndex: siteIndex.get(d.site) ?? 0, dependsOn: d.dependsOn };
    });
    for (const device of this.devices) {
      this.byHost.set(device.host, device);
      const list = this.bySite.get(device.site.id) ?? [];
      list.push(device);
      this.bySite.set(device.site.id, list);
      for (const dep of device.dependsOn) {
        const dependants = this.directDependants.get(dep) ?? [];
        dependants.push(device.host);
        this.directDependants.set(dep, dependants);
      }
    }
  }

  device(host: string): SimDevice | undefined {
    return this.byHost.get(host);
  }

  site(id: string): Site | undefined {
    return this.sites.find((s) => s.id === id);
  }

  devicesOf(siteId: string, kind?: DeviceKind): readonly SimDevice[] {
    const all = this.bySite.get(siteId) ?? [];
    return kind ? all.filter((d) => d.kind === kind) : all;
  }

  powerSwitchOf(siteId: string): SimDevice | undefined {
    return this.devicesOf(siteId, 'power_switch')[0];
  }

  /** Every device that depends on `host`, directly or transitively, in inventory order. */
  dependantsOf(host: string): readonly SimDevice[] {
    const cached = this.dependantsCache.get(host);
    if (cached) return cached;
    const seen = new Set<string>([host]);
    const queue = [host];
    while (queue.length > 0) {
      const current = queue.shift() as string;
      for (const next of this.directDependants.get(current) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    seen.delete(host);
    const result = this.devices.filter((d) => seen.has(d.host));
    this.dependantsCache.set(host, result);
    return result;
  }

  /** True when `host` depends on `on`, directly or through other devices. */
  dependsTransitively(host: string, on: string): boolean {
    return this.dependantsOf(on).some((d) => d.host === host);
  }
}
