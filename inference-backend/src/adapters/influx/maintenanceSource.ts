import { INPUT, MAINTENANCE_SERIES } from '@nocai/contract';
import type { MaintenanceAlarmRecord } from '../../domain/timeseries/maintenanceEvidence';
import type { SensorBuckets } from '../../pipeline/maintenanceStage';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';

const S = INPUT.sensors;
const M = MAINTENANCE_SERIES;

/**
 * Reads the sensors of every device as the maintenance model wants them: the mean of each field
 * per bucket (`bucketMs`, aligned to the epoch as InfluxDB aligns GROUP BY time), per host, with
 * empty buckets left out (a halted device has none, as in the model's training histories).
 */
export class SensorBucketSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly fields: readonly string[],
    private readonly bucketMs: number
  ) {}

  /** Buckets starting in [fromMs, toMs), oldest first per host. */
  async read(fromMs: number, toMs: number): Promise<SensorBuckets[]> {
    const columns = this.fields.map((f) => `mean(${quoteIdentifier(f)}) AS ${quoteIdentifier(f)}`).join(', ');
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(S.measurement)} ` +
      `WHERE time >= ${timeLiteralUs(fromMs * 1000)} AND time < ${timeLiteralUs(toMs * 1000)} ` +
      `GROUP BY time(${Math.round(this.bucketMs / 1000)}s), ${quoteIdentifier(S.tags.host)}, ${quoteIdentifier(S.tags.kind)} fill(none)`;
    const out: SensorBuckets[] = [];
    for (const s of await this.client.query(this.database, q)) {
      const host = s.tags[S.tags.host] ?? '';
      if (host === '') continue;
      const buckets = s.rows.map((row) => ({
        startMs: Math.floor(Number(row.time) / 1000),
        values: Object.fromEntries(
          this.fields.map((f) => [f, typeof row[f] === 'number' && Number.isFinite(row[f]) ? (row[f] as number) : undefined])
        ),
      }));
      out.push({ host, deviceKind: s.tags[S.tags.kind] ?? '', buckets });
    }
    return out;
  }
}

/** The `top_factors` JSON of a point; nothing for points written before it existed or by occlusion. */
function factorsOf(cell: unknown): Pick<MaintenanceAlarmRecord, 'factors'> {
  if (typeof cell !== 'string' || cell === '') return {};
  try {
    const parsed: unknown = JSON.parse(cell);
    if (!Array.isArray(parsed)) return {};
    const factors = parsed.filter(
      (f): f is { feature: string; value?: number; weight: number } =>
        typeof f === 'object' && f !== null && typeof f.feature === 'string' && typeof f.weight === 'number'
    );
    return factors.length ? { factors } : {};
  } catch {
    return {};
  }
}

/** Reads the maintenance alarms the stage wrote (aiops_maintenance points with alarm = true). */
export class MaintenanceAlarmSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string
  ) {}

  /** Alarms with fromUs < time ≤ toUs, oldest first. */
  async read(fromUs: number, toUs: number): Promise<MaintenanceAlarmRecord[]> {
    const f = M.fields;
    const t = M.tags;
    const columns = [f.failureProbability, f.horizonHours, f.topFactor, f.topFactors, f.modelVersion]
      .map(quoteIdentifier)
      .join(', ');
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(M.measurement)} ` +
      `WHERE ${quoteIdentifier(f.alarm)} = true AND time > ${timeLiteralUs(fromUs)} AND time <= ${timeLiteralUs(toUs)} ` +
      `GROUP BY ${[t.host, t.deviceKind].map(quoteIdentifier).join(', ')}`;
    const out: MaintenanceAlarmRecord[] = [];
    for (const s of await this.client.query(this.database, q)) {
      for (const row of s.rows) {
        out.push({
          timeUs: Number(row.time),
          host: s.tags[t.host] ?? '',
          deviceKind: s.tags[t.deviceKind] ?? '',
          probability: Number(row[f.failureProbability]),
          horizonHours: Number(row[f.horizonHours]),
          topFactor: String(row[f.topFactor] ?? ''),
          ...factorsOf(row[f.topFactors]),
          modelVersion: String(row[f.modelVersion] ?? ''),
        });
      }
    }
    return out
      .filter((a) => a.host !== '')
      .sort((a, b) => a.timeUs - b.timeUs || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }
}
