import type { Inventory } from '@nocai/contract';
import { ShardHostFilter } from '../../inference-backend/src/adapters/influx/shardHosts';
import { SyslogSource } from '../../inference-backend/src/adapters/influx/syslogSource';
import { ShardMap } from '../../inference-backend/src/domain/sharding/shards';
import { freshDatabase } from '../support/influx';
import { syslogLineProtocol } from '../support/syslog';

const INVENTORY = {
  sites: ['a', 'b', 'c', 'd'].map((id) => ({ id: `site-${id}`, name: id, kind: 'hospital', criticality: 3 })),
  devices: ['a', 'b', 'c', 'd'].flatMap((id) => [
    { host: `site-${id}-sw`, site: `site-${id}`, kind: 'network_switch', dependsOn: [] },
    { host: `site-${id}-srv`, site: `site-${id}`, kind: 'server', dependsOn: [`site-${id}-sw`] },
  ]),
} as Inventory;

// Hosts the inventory does not know, with what InfluxQL quoting and regexes must survive.
const STRANGERS = [
  "o'brien",
  'back\\slash',
  'dots.and|pipes',
  'slash/host',
  '(paren)*+?',
  'sp ace,comma=eq',
  '"quoted"',
  'ünïcødé-ホスト',
  '^$[x]{2}',
];

describe('shard host filter', () => {
  it('When two shards read the same syslog, then each gets exactly its own hosts’ lines, whatever the host names hold', async () => {
    const { client, database } = await freshDatabase('shard_hosts');
    const hosts = [...INVENTORY.devices.map((d) => d.host), ...STRANGERS];
    const baseUs = (Date.now() - 60_000) * 1000;
    await client.writeLines(
      database,
      hosts.flatMap((hostname, h) =>
        [0, 1, 2].map((k) =>
          syslogLineProtocol({ hostname, message: `line ${k} of ${hostname}`, timeUs: baseUs + h * 10 + k })
        )
      )
    );

    const read = [0, 1].map(async (index) => {
      const shard = new ShardMap({ count: 2, index }, INVENTORY);
      const source = new SyslogSource(client, database, new ShardHostFilter(client, database, shard));
      const lines = await source.read(baseUs - 1, baseUs + 1_000_000, 10_000);
      return { shard, lines };
    });
    const [zero, one] = await Promise.all(read);

    // Every line is read by exactly one shard, and by the one that owns its host.
    expect(zero.lines.length + one.lines.length).toBe(hosts.length * 3);
    for (const { shard, lines } of [zero, one]) {
      for (const line of lines) expect(shard.ownsHost(line.hostname)).toBe(true);
      const expected = hosts.filter((h) => shard.ownsHost(h)).sort();
      expect([...new Set(lines.map((l) => l.hostname))].sort()).toEqual(expected);
    }
    // Sites stay whole: a site's devices are read by one shard.
    for (const site of INVENTORY.sites) {
      const readers = [zero, one].filter(({ lines }) => lines.some((l) => l.hostname.startsWith(`${site.id}-`)));
      expect(readers).toHaveLength(1);
    }
  });
});
