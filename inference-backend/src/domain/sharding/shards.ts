import type { Inventory } from '@nocai/contract';

/**
 * Sharding of the estate between backend replicas. An incident needs a site's devices and every
 * device they depend on, so the unit of assignment is a *group* of sites: sites joined by a
 * `dependsOn` that crosses from one to the other stay in one group (connected components). Each
 * group goes to a shard by rendezvous hashing of its anchor (its smallest site id): adding a site
 * moves no other site, and changing the shard count moves only the groups whose winner changed.
 * Hosts the inventory does not know go to a shard by the same hash of the host name.
 */

export interface ShardSpec {
  /** Replicas in all; 1 means no sharding. */
  count: number;
  /** This replica's shard, 0 ≤ index < count. */
  index: number;
}

/** FNV-1a, 32 bits, over the UTF-16 code units: stable across processes, platforms and Node versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A 32-bit finaliser (murmur3's fmix32): FNV alone mixes short keys' last characters poorly. */
function mix(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Rendezvous (highest random weight) choice of a shard for `key`; ties go to the lower shard. */
export function shardOfKey(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`shard count must be a positive integer, got ${count}`);
  let best = 0;
  let bestWeight = -1;
  for (let shard = 0; shard < count; shard++) {
    const weight = mix(fnv1a(`${shard}\u0000${key}`));
    if (weight > bestWeight) {
      best = shard;
      bestWeight = weight;
    }
  }
  return best;
}

/** The groups of sites that must stay together, each named by its anchor (smallest site id). */
export function siteGroups(inventory: Inventory): Map<string, string> {
  const parent = new Map(inventory.sites.map((s) => [s.id, s.id]));
  const find = (site: string): string => {
    let root = site;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(site, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The smaller id becomes the root, so the root is the group's anchor.
    if (ra < rb) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  const siteOfHost = new Map(inventory.devices.map((d) => [d.host, d.site]));
  for (const device of inventory.devices) {
    for (const dependency of device.dependsOn) {
      const other = siteOfHost.get(dependency);
      if (other !== undefined && other !== device.site) union(device.site, other);
    }
  }
  return new Map(inventory.sites.map((s) => [s.id, find(s.id)]));
}

/** Which shard owns what: sites (with their groups), the inventory's hosts, and any other host. */
export class ShardMap {
  private readonly siteShard = new Map<string, number>();
  private readonly hostShard = new Map<string, number>();

  constructor(
    readonly spec: ShardSpec,
    readonly inventory: Inventory | undefined
  ) {
    if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= spec.count) {
      throw new RangeError(`shard index must be in 0..${spec.count - 1}, got ${spec.index}`);
    }
    if (!inventory) return;
    for (const [site, anchor] of siteGroups(inventory))
      this.siteShard.set(site, shardOfKey(`site:${anchor}`, spec.count));
    for (const device of inventory.devices) this.hostShard.set(device.host, this.siteShard.get(device.site) ?? 0);
  }

  get isSharded(): boolean {
    return this.spec.count > 1;
  }

  /** Shard 0 also runs the estate-wide jobs (forecasts, retraining, accuracy, drift, reports). */
  get runsGlobalJobs(): boolean {
    return this.spec.index === 0;
  }

  shardOfSite(site: string): number {
    return this.siteShard.get(site) ?? shardOfKey(`site:${site}`, this.spec.count);
  }

  shardOfHost(host: string): number {
    return this.hostShard.get(host) ?? shardOfKey(`host:${host}`, this.spec.count);
  }

  ownsHost(host: string): boolean {
    return this.shardOfHost(host) === this.spec.index;
  }

  /** Whether the inventory lists `host` (its shard follows its site, not its name). */
  knowsHost(host: string): boolean {
    return this.hostShard.has(host);
  }

  /** The part of the inventory this shard owns: its sites and their devices (closed under dependsOn). */
  ownInventory(): Inventory | undefined {
    const inventory = this.inventory;
    if (!inventory || !this.isSharded) return inventory;
    const sites = inventory.sites.filter((s) => this.shardOfSite(s.id) === this.spec.index);
    const siteIds = new Set(sites.map((s) => s.id));
    return { ...inventory, sites, devices: inventory.devices.filter((d) => siteIds.has(d.site)) };
  }

  /** Of `hosts`, those this shard owns, in the order given. */
  ownHosts(hosts: Iterable<string>): string[] {
    return [...hosts].filter((h) => this.ownsHost(h));
  }
}

/** `nocai-backend-2` → 2: a StatefulSet pod's ordinal, the number after its name's last dash. */
export function ordinalOfHostname(hostname: string): number | undefined {
  const match = /-(\d+)$/.exec(hostname.trim());
  if (!match) return undefined;
  const ordinal = Number(match[1]);
  return Number.isSafeInteger(ordinal) ? ordinal : undefined;
}
