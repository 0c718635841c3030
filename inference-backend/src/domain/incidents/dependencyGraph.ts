import type { Inventory } from '@nocai/contract';

export interface DeviceInfo {
  host: string;
  site: string;
  siteKind: string;
  /** 1 (low) to 5 (life-critical). */
  criticality: number;
  deviceKind: string;
}

/** Hosts missing from the inventory still get tickets, with neutral context. */
const UNKNOWN_CRITICALITY = 3;

/** The inventory as the incident engine reads it: who a host is, and who it depends on. */
export class DependencyGraph {
  private readonly devices = new Map<string, DeviceInfo>();
  private readonly dependsOn = new Map<string, readonly string[]>();
  private readonly directDependants = new Map<string, string[]>();
  private readonly ancestorCache = new Map<string, readonly string[]>();
  private readonly dependantCache = new Map<string, ReadonlySet<string>>();

  constructor(inventory: Inventory) {
    const sites = new Map(inventory.sites.map((s) => [s.id, s] as const));
    for (const d of inventory.devices) {
      const site = sites.get(d.site);
      this.devices.set(d.host, {
        host: d.host,
        site: d.site,
        siteKind: site?.kind ?? 'unknown',
        criticality: site?.criticality ?? UNKNOWN_CRITICALITY,
        deviceKind: d.kind,
      });
      this.dependsOn.set(d.host, d.dependsOn);
      for (const dep of d.dependsOn) {
        const list = this.directDependants.get(dep) ?? [];
        list.push(d.host);
        this.directDependants.set(dep, list);
      }
    }
  }

  device(host: string): DeviceInfo {
    return (
      this.devices.get(host) ?? {
        host,
        site: 'unknown',
        siteKind: 'unknown',
        criticality: UNKNOWN_CRITICALITY,
        deviceKind: 'unknown',
      }
    );
  }

  isKnown(host: string): boolean {
    return this.devices.has(host);
  }

  /** Every host `host` depends on, directly or not, nearest first (breadth-first). */
  ancestorsOf(host: string): readonly string[] {
    const cached = this.ancestorCache.get(host);
    if (cached) return cached;
    const seen = new Set<string>([host]);
    const order: string[] = [];
    const queue = [host];
    for (let i = 0; i < queue.length; i++) {
      for (const next of this.dependsOn.get(queue[i]) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        order.push(next);
        queue.push(next);
      }
    }
    this.ancestorCache.set(host, order);
    return order;
  }

  /** Every host that depends on `host`, directly or not. */
  dependantsOf(host: string): ReadonlySet<string> {
    const cached = this.dependantCache.get(host);
    if (cached) return cached;
    const seen = new Set<string>([host]);
    const queue = [host];
    for (let i = 0; i < queue.length; i++) {
      for (const next of this.directDependants.get(queue[i]) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    seen.delete(host);
    this.dependantCache.set(host, seen);
    return seen;
  }

  /** True when one of the two hosts depends on the other. */
  areLinked(a: string, b: string): boolean {
    return a === b || this.dependantsOf(a).has(b) || this.dependantsOf(b).has(a);
  }
}
