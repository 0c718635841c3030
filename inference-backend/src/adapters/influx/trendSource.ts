import type { ThresholdRule, TrendSample, TrendSeries } from '../../domain/timeseries/timeToThreshold';
import type { InfluxClient } from './client';
import { equalsCondition, quoteIdentifier, timeLiteralUs } from './influxql';
import { instanceTagOf } from './metricSource';

/** Bucket lengths of the two reads: fine for the recent hours, coarse for the days before. */
const FINE_BUCKET = { literal: '1m', ms: 60_000 };
const COARSE_BUCKET = { literal: '15m', ms: 900_000 };

/**
 * Reads the recent history of every watched Telegraf series (NOCAI_FORECAST_THRESHOLDS) as the
 * time-to-threshold forecast wants it: means per minute over the last hours, means per 15 minutes
 * over the days before (so a week of a hundred disks is a few hundred thousand numbers, not
 * millions), each weighted by the samples it averages. One query per rule and resolution.
 */
export class TrendSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly rules: readonly ThresholdRule[]
  ) {}

  /** Bucket means over (fromMs, fineFromMs] by 15 minutes and (fineFromMs, toMs] by minute, oldest first. */
  async read(fromMs: number, fineFromMs: number, toMs: number): Promise<TrendSeries[]> {
    const out: TrendSeries[] = [];
    for (const rule of this.rules) {
      const byKey = new Map<string, TrendSeries>();
      for (const [from, to, bucket] of [
        [fromMs, fineFromMs, COARSE_BUCKET],
        [fineFromMs, toMs, FINE_BUCKET],
      ] as const) {
        if (to <= from) continue;
        for (const s of await this.query(rule, from, to, bucket.literal)) {
          const host = s.tags.host ?? '';
          if (host === '') continue;
          const instance = s.instance;
          const key = `${host}\u0000${instance}`;
          let series = byKey.get(key);
          if (!series) {
            series = { rule, host, instance, samples: [] };
            byKey.set(key, series);
          }
          for (const row of s.rows) {
            const value = row.value;
            const count = row.count;
            if (typeof value !== 'number' || typeof count !== 'number' || !(count > 0)) continue;
            // A bucket's row is stamped with its start; its samples lie around its middle.
            const startMs = Math.floor(Number(row.time) / 1000);
            const sample: TrendSample = { timeMs: startMs + bucket.ms / 2, value, weight: count };
            series.samples.push(sample);
          }
        }
      }
      out.push(...[...byKey.values()].filter((s) => s.samples.length > 0));
    }
    return out;
  }

  private async query(rule: ThresholdRule, fromMs: number, toMs: number, bucket: string) {
    const { measurement, field, where } = rule.spec;
    const instanceTag = instanceTagOf(measurement);
    const groupBy = [
      `time(${bucket})`,
      quoteIdentifier('host'),
      ...(instanceTag ? [quoteIdentifier(instanceTag)] : []),
    ];
    const filters = Object.entries(where).map(([tag, value]) => ` AND ${equalsCondition(tag, value)}`);
    const q =
      `SELECT mean(${quoteIdentifier(field)}) AS "value", count(${quoteIdentifier(field)}) AS "count" ` +
      `FROM ${quoteIdentifier(measurement)} WHERE time > ${timeLiteralUs(fromMs * 1000)} ` +
      `AND time <= ${timeLiteralUs(toMs * 1000)}${filters.join('')} GROUP BY ${groupBy.join(', ')} fill(none)`;
    const series = await this.client.query(this.database, q);
    return series.map((s) => ({ ...s, instance: instanceTag ? (s.tags[instanceTag] ?? '') : '' }));
  }
}
