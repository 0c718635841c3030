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
    // Columns, not row objects: the pipeline reads every line once, and an object per row was
    // half of what parsing a page allocated (issue 13).
    const series = (await this.client.queryAllColumns(this.database, q))[0]?.[0];
    if (!series) return [];
    const at = (name: string) => series.columns.indexOf(name);
    const [time, message, hostname, appname, facility, severity] = [
      'time',
      S.fields.message,
      t.hostname,
      t.appname,
      t.facility,
      t.severity,
    ].map(at);
    const cell = (row: unknown[], column: number) => (column < 0 ? '' : stringOr(row[column]));
    return series.values.map((row) => ({
      timeUs: Number(row[time]),
      hostname: cell(row, hostname),
      appname: cell(row, appname),
      facility: cell(row, facility),
      severity: cell(row, severity),
      message: cell(row, message),
    }));
  }
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}
