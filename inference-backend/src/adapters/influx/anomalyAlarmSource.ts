import { ANOMALY_SERIES } from '@nocai/contract';
import type { AnomalyAlarmRecord } from '../../domain/timeseries/anomalyEvidence';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';

const A = ANOMALY_SERIES;

/** Reads the anomaly episodes the metric stage opened (aiops_anomalies points with alarm = true). */
export class AnomalyAlarmSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string
  ) {}

  /** Alarms with fromUs < time ≤ toUs, oldest first. */
  async read(fromUs: number, toUs: number): Promise<AnomalyAlarmRecord[]> {
    const f = A.fields;
    const t = A.tags;
    const columns = [f.value, f.expected, f.lower, f.upper, f.score, f.modelVersion].map(quoteIdentifier).join(', ');
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(A.measurement)} ` +
      `WHERE ${quoteIdentifier(f.alarm)} = true AND time > ${timeLiteralUs(fromUs)} AND time <= ${timeLiteralUs(toUs)} ` +
      `GROUP BY ${[t.host, t.deviceKind, t.metric, t.instance].map(quoteIdentifier).join(', ')}`;
    const series = await this.client.query(this.database, q);
    const out: AnomalyAlarmRecord[] = [];
    for (const s of series) {
      for (const row of s.rows) {
        out.push({
          timeUs: Number(row.time),
          host: s.tags[t.host] ?? '',
          deviceKind: s.tags[t.deviceKind] ?? '',
          metric: s.tags[t.metric] ?? '',
          instance: s.tags[t.instance] ?? '',
          value: Number(row[f.value]),
          expected: Number(row[f.expected]),
          lower: Number(row[f.lower]),
          upper: Number(row[f.upper]),
          score: Number(row[f.score]),
          modelVersion: String(row[f.modelVersion] ?? ''),
        });
      }
    }
    return out
      .filter((a) => a.host !== '')
      .sort((a, b) => a.timeUs - b.timeUs || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }
}
