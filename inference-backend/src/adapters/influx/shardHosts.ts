import type { ShardMap } from '../../domain/sharding/shards';
import type { InfluxClient } from './client';
import { quoteIdentifier, regexLiteralFor } from './influxql';

/**
 * Restricts a source's reads to the hosts of one shard, in the query itself (InfluxDB sends only
 * this shard's points). `undefined`: no restriction (one replica); `null`: this shard owns no host
 * of that measurement, nothing to read.
 */
export interface HostFilter {
  condition(measurement: string, tag: string): Promise<string | undefined | null>;
}

/** Every host: the single-replica case. */
export const ALL_HOSTS: HostFilter = { condition: async () => undefined };

/**
 * The shard's hosts are its inventory devices plus the hosts the inventory does not know whose
 * name hashes to it. Telegraf's syslog and metric points carry a host tag but no site tag, so the
 * filter is a host list (`"hostname" =~ /^(a|b)$/`, every name escaped). Unknown hosts are
 * discovered with SHOW TAG VALUES right before each read: a host that first appears after that
 * query has points newer than the read's upper bound (now − settle), unless they were written
 * later than the settle window allows, the same bound that holds for any late point.
 */
export class ShardHostFilter implements HostFilter {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly shard: ShardMap
  ) {}

  async condition(measurement: string, tag: string): Promise<string | undefined | null> {
    if (!this.shard.isSharded) return undefined;
    const hosts = new Set(this.shard.ownInventory()?.devices.map((d) => d.host) ?? []);
    for (const host of await this.tagValues(measurement, tag)) {
      if (!this.shard.knowsHost(host) && this.shard.ownsHost(host)) hosts.add(host);
    }
    if (hosts.size === 0) return null;
    return `${quoteIdentifier(tag)} =~ ${regexLiteralFor([...hosts].sort())}`;
  }

  private async tagValues(measurement: string, tag: string): Promise<string[]> {
    const q = `SHOW TAG VALUES FROM ${quoteIdentifier(measurement)} WITH KEY = ${quoteIdentifier(tag)}`;
    const series = await this.client.query(this.database, q);
    return series.flatMap((s) => s.rows.map((row) => row.value)).filter((v): v is string => typeof v === 'string');
  }
}
