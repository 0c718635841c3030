import type { ShardSpec } from '../../domain/sharding/shards';
import type { Clock } from '../../domain/series';
import type { InfluxClient } from './client';
import { equalsCondition, quoteIdentifier } from './influxql';

/** One point per replica and poll: how far its log stage has committed (`aiops_shards`). */
const MEASUREMENT = 'aiops_shards';

/**
 * Sharded replicas tell each other how far each has got, through InfluxDB. A replica stamps its
 * ticket points with the time of the events they come from, so a replica that restarts behind the
 * others writes points older than the newest any other has seen: the others re-read tickets from
 * the slowest shard's watermark on, which is where such points can still appear.
 */
export class ShardProgress {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly shard: ShardSpec,
    private readonly clock: Clock,
    /** Where a shard that has never reported starts (its log stage's start lookback). */
    private readonly startLookbackMs: number
  ) {}

  /** Records this shard's committed watermark (µs); nothing before its first commit. */
  async publish(watermarkUs: number | undefined): Promise<void> {
    if (watermarkUs === undefined) return;
    const line =
      `${MEASUREMENT},shard=${this.shard.index},shards=${this.shard.count} ` +
      `watermark_us=${Math.trunc(watermarkUs)}i ${Math.trunc(this.clock.nowMs() * 1000)}`;
    await this.client.writeLines(this.database, [line]);
  }

  /** The oldest watermark of all shards (µs); a shard that never reported counts from its start. */
  async slowestUs(): Promise<number> {
    const q =
      `SELECT last(${quoteIdentifier('watermark_us')}) FROM ${quoteIdentifier(MEASUREMENT)} ` +
      `WHERE ${equalsCondition('shards', String(this.shard.count))} GROUP BY ${quoteIdentifier('shard')}`;
    const series = await this.client.query(this.database, q);
    const reported = new Map(series.map((s) => [s.tags.shard, Number(s.rows[0]?.last)]));
    const neverUs = (this.clock.nowMs() - this.startLookbackMs) * 1000;
    let slowest = Number.POSITIVE_INFINITY;
    for (let index = 0; index < this.shard.count; index++) {
      const us = reported.get(String(index));
      slowest = Math.min(slowest, us !== undefined && Number.isFinite(us) ? us : neverUs);
    }
    return slowest;
  }
}
