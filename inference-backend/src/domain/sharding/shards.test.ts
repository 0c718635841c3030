import type { Inventory } from '@nocai/contract';
import { ordinalOfHostname, ShardMap, shardOfKey, siteGroups } from './shards';

function estate(siteCount: number, crossLinks: Array<[number, number]> = []): Inventory {
  const sites = Array.from({ length: siteCount }, (_, i) => ({
    id: `site-${String(i).padStart(3, '0')}`,
    name: `Site ${i}`,
    kind: 'hospital',
    criticality: 3,
  }));
  const devices = sites.flatMap((s) => [
    { host: `${s.id}-sw`, site: s.id, kind: 'network_switch', dependsOn: [] as string[] },
    { host: `${s.id}-srv`, site: s.id, kind: 'server', dependsOn: [`${s.id}-sw`] },
  ]);
  for (const [from, to] of crossLinks) {
    devices.find((d) => d.host === `${sites[from].id}-srv`)?.dependsOn.push(`${sites[to].id}-sw`);
  }
  return { sites, devices } as Inventory;
}

describe('shard assignment', () => {
  it('When the shard count grows from 3 to 4, then only sites that move go to the new shard (rendezvous)', () => {
    const keys = Array.from({ length: 400 }, (_, i) => `site:s${i}`);
    const moved = keys.filter((k) => shardOfKey(k, 3) !== shardOfKey(k, 4));
    expect(moved.every((k) => shardOfKey(k, 4) === 3)).toBe(true);
    // About a quarter move (1/4 expected); far from a reshuffle of two thirds.
    expect(moved.length).toBeGreaterThan(50);
    expect(moved.length).toBeLessThan(150);
  });

  it('When 400 sites are spread over 4 shards, then every shard gets a share', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) counts[shardOfKey(`site:s${i}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  it('When a site is added to the inventory, then no other site changes shard', () => {
    const before = new ShardMap({ count: 3, index: 0 }, estate(20));
    const after = new ShardMap({ count: 3, index: 0 }, estate(21));
    for (let i = 0; i < 20; i++) {
      const site = `site-${String(i).padStart(3, '0')}`;
      expect(after.shardOfSite(site)).toBe(before.shardOfSite(site));
      expect(after.shardOfHost(`${site}-srv`)).toBe(before.shardOfSite(site));
    }
  });

  it('When a device depends on a device of another site, then both sites are in one group and one shard', () => {
    const inventory = estate(30, [
      [1, 7],
      [7, 12],
    ]);
    const groups = siteGroups(inventory);
    expect(groups.get('site-012')).toBe('site-001');
    expect(groups.get('site-007')).toBe('site-001');
    for (let count = 2; count <= 5; count++) {
      const map = new ShardMap({ count, index: 0 }, inventory);
      expect(map.shardOfSite('site-007')).toBe(map.shardOfSite('site-001'));
      expect(map.shardOfSite('site-012')).toBe(map.shardOfSite('site-001'));
    }
  });

  it('When every replica takes its own part, then each site and each host belongs to exactly one of them', () => {
    const inventory = estate(25, [[3, 4]]);
    const maps = [0, 1, 2].map((index) => new ShardMap({ count: 3, index }, inventory));
    const owned = maps.map((m) => m.ownInventory());
    const sites = owned.flatMap((inv) => inv?.sites.map((s) => s.id) ?? []);
    expect(sites.sort()).toEqual(inventory.sites.map((s) => s.id).sort());
    const hosts = [...inventory.devices.map((d) => d.host), 'stranger-1', 'stranger-2', 'printer-9'];
    for (const host of hosts) expect(maps.filter((m) => m.ownsHost(host))).toHaveLength(1);
    // Each part holds every device its devices depend on.
    for (const inv of owned) {
      const present = new Set(inv?.devices.map((d) => d.host));
      for (const d of inv?.devices ?? []) for (const dep of d.dependsOn) expect(present.has(dep)).toBe(true);
    }
  });

  it('When there is one shard, then it owns everything and keeps the whole inventory', () => {
    const inventory = estate(5);
    const map = new ShardMap({ count: 1, index: 0 }, inventory);
    expect(map.ownInventory()).toBe(inventory);
    expect(map.ownsHost('anything')).toBe(true);
  });

  it('When the index is outside the shard count, then it is refused', () => {
    expect(() => new ShardMap({ count: 2, index: 2 }, undefined)).toThrow('shard index must be in 0..1');
  });
});

describe('ordinalOfHostname', () => {
  it('When the hostname is a StatefulSet pod name, then its ordinal is the trailing number', () => {
    expect(ordinalOfHostname('nocai-backend-2')).toBe(2);
    expect(ordinalOfHostname('nocai-backend-12')).toBe(12);
  });

  it('When the hostname has no trailing ordinal, then there is none', () => {
    expect(ordinalOfHostname('laptop')).toBeUndefined();
    expect(ordinalOfHostname('nocai-backend-')).toBeUndefined();
  });
});
