import { INPUT } from '@nocai/contract';
import type { SensorSeries } from '../../domain/timeseries/failureLabels';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';

const S = INPUT.sensors;

/**
 * The sensor history of every device (all kinds: the other devices of a site tell a PLC's halt
 * from an outage of the site) as `bucketMs` means, per host, kind and site, empty buckets left
 * out, for buckets starting in [fromMs, toMs): what the retraining builds run-to-failure rows from.
 */
export async function readSensorHistory(
  client: InfluxClient,
  database: string,
  fields: readonly string[],
  bucketMs: number,
  fromMs: number,
  toMs: number
): Promise<SensorSeries[]> {
  const columns = fields.map((f) => `mean(${quoteIdentifier(f)}) AS ${quoteIdentifier(f)}`).join(', ');
  const q =
    `SELECT ${columns} FROM ${quoteIdentifier(S.measurement)} ` +
    `WHERE time >= ${timeLiteralUs(fromMs * 1000)} AND time < ${timeLiteralUs(toMs * 1000)} ` +
    `GROUP BY time(${Math.round(bucketMs / 1000)}s), ${[S.tags.host, S.tags.kind, S.tags.site].map(quoteIdentifier).join(', ')} fill(none)`;
  const out: SensorSeries[] = [];
  for (const s of await client.query(database, q)) {
    const host = s.tags[S.tags.host] ?? '';
    if (host === '') continue;
    out.push({
      host,
      deviceKind: s.tags[S.tags.kind] ?? '',
      site: s.tags[S.tags.site] ?? '',
      buckets: s.rows.map((row) => ({
        startMs: Math.floor(Number(row.time) / 1000),
        values: Object.fromEntries(
          fields.map((f) => [f, typeof row[f] === 'number' && Number.isFinite(row[f]) ? (row[f] as number) : undefined])
        ),
      })),
    });
  }
  return out;
}
