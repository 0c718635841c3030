import { inventorySchema, SITE_KINDS } from '@nocai/contract';
import { parse } from 'yaml';
import { formatInventory, generateInventory } from './inventory';
import { Topology } from './topology';

describe('generateInventory', () => {
  const inventory = generateInventory({ seed: 42 });
  const topology = new Topology(inventory);

  it('When generated, then it validates against the contract schema and covers every site kind', () => {
    expect(inventorySchema.safeParse(inventory).success).toBe(true);
    expect(new Set(inventory.sites.map((s) => s.kind))).toEqual(new Set(SITE_KINDS));
  });

  it('When generated, then hospitals are the most critical sites and hotels the least', () => {
    const big = generateInventory({ seed: 3, sites: 40 });
    const mean = (kind: string) => {
      const values = big.sites.filter((s) => s.kind === kind).map((s) => s.criticality);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    expect(mean('hospital')).toBeGreaterThan(mean('factory'));
    expect(mean('factory')).toBeGreaterThan(mean('smart_city'));
    expect(mean('smart_city')).toBeGreaterThan(mean('hotel'));
  });

  it('When generated, then hostnames are unique and read like site-kind-number', () => {
    const hosts = inventory.devices.map((d) => d.host);
    expect(new Set(hosts).size).toBe(hosts.length);
    expect(hosts).toContain('hosp-01-ps-01');
    for (const host of hosts)
      expect(host).toMatch(/^(hosp|fact|hotel|city)-\d{2}-(ps|ups|sw|rtr|srv|mon|plc|sen)-\d{2}$/);
  });

  it('When generated, then every device except power gear depends, transitively, on its site power switch', () => {
    for (const device of topology.devices) {
      if (device.kind === 'power_switch' || device.kind === 'ups') continue;
      const ps = topology.powerSwitchOf(device.site.id);
      expect(ps).toBeDefined();
      expect(topology.dependsTransitively(device.host, ps?.host ?? '')).toBe(true);
    }
  });

  it('When generated, then the power switch depends on the UPS or nothing, endpoints on a switch, switches on the router', () => {
    for (const device of topology.devices) {
      const deps = device.dependsOn.map((h) => topology.device(h)?.kind);
      if (device.kind === 'power_switch') expect(deps.every((k) => k === 'ups')).toBe(true);
      if (device.kind === 'ups') expect(deps).toEqual([]);
      if (device.kind === 'network_switch') expect(deps).toContain('router');
      if (['server', 'patient_monitor', 'plc', 'sensor'].includes(device.kind))
        expect(deps).toContain('network_switch');
    }
  });

  it('When the seed is the same, then the inventory is the same; when it differs, the estate differs', () => {
    expect(generateInventory({ seed: 42 })).toEqual(inventory);
    expect(generateInventory({ seed: 43 })).not.toEqual(inventory);
  });

  it('When asked for N sites, then it creates N sites with rotating kinds', () => {
    const six = generateInventory({ seed: 1, sites: 6 });
    expect(six.sites.map((s) => s.id)).toEqual(['hosp-01', 'fact-01', 'hotel-01', 'city-01', 'hosp-02', 'fact-02']);
  });
});

describe('formatInventory', () => {
  it('When the YAML it writes is read back, then it validates to the same inventory', () => {
    const inventory = generateInventory({ seed: 9 });
    const text = formatInventory(inventory);
    expect(text.startsWith('#')).toBe(true);
    expect(inventorySchema.parse(parse(text))).toEqual(inventory);
  });
});
