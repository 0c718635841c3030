import { INPUT } from '@nocai/contract';
import type { SyslogLine } from '../../domain/logs/syslogLine';
import type { InfluxClient } from './client';
import { quoteIdentifier, timeLiteralUs } from './influxql';
import { ALL_HOSTS, type HostFilter } from './shardHosts';

const S = INPUT.syslog;

/** Reads Telegraf `syslog` points in time order. */
export class SyslogSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    /** Sharded replicas read only their own hosts' lines. */
    private readonly hosts: HostFilter = ALL_HOSTS
  ) {}

  /** Lines with fromUs ≤ time ≤ toUs, oldest first, at most `limit`. */
  async read(fromUs: number, toUs: number, limit: number): Promise<SyslogLine[]> {
    const t = S.tags;
    const columns = [S.fields.message, t.hostname, t.appname, t.facility, t.severity].map(quoteIdentifier).join(', ');
    const hosts = await this.hosts.condition(S.measurement, t.hostname);
    if (hosts === null) return [];
    const q =
      `SELECT ${columns} FROM ${quoteIdentifier(S.measurement)} ` +
      `WHERE time >= ${timeLiteralUs(fromUs)} AND time <= ${timeLiteralUs(toUs)}${hosts ? ` AND ${hosts}` : ''} ` +
      `ORDER BY time ASC LIMIT ${Math.max(1, Math.trunc(limit))}`;
    const series = await this.client.query(this.database, q);
    const rows = series[0]?.rows ?? [];
    return rows.map((row) => ({
      timeUs: Number(row.time),
      hostname: stringOr(row[t.hostname]),
      appname: stringOr(row[t.appname]),
      facility: stringOr(row[t.facility]),
      severity: stringOr(row[t.severity]),
      message: stringOr(row[S.fields.message]),
    }));
  }
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}
