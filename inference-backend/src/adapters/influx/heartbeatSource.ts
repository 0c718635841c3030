import type { InfluxClient } from './client';
import { quoteIdentifier, regexLiteralFor, timeLiteralUs } from './influxql';

export interface Heartbeat {
  host: string;
  timeUs: number;
}

/** One telemetry series that proves a device is alive: measurement, one of its fields, and the host tag. */
export interface HeartbeatSeries {
  measurement: string;
  field: string;
  hostTag: string;
}

/** `system.load1,sensors.temperature_c` (host tag `host`, as Telegraf writes it). */
export function parseHeartbeatSeries(spec: string): HeartbeatSeries[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [measurement, field, hostTag = 'host'] = entry.split('.');
      if (!measurement || !field) throw new Error(`heartbeat series "${entry}" is not measurement.field`);
      return { measurement, field, hostTag };
    });
}

/**
 * Reads the times at which each device sent telemetry in a window: the silent-device detector
 * learns each device's cadence from them. Only one field per measurement is read, which is
 * enough to know a point arrived.
 */
export class HeartbeatSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly series: readonly HeartbeatSeries[],
    /** A sharded replica's own devices: the only hosts whose silence its incident engine tracks. */
    private readonly hosts?: readonly string[]
  ) {}

  async read(afterUs: number, toUs: number): Promise<Heartbeat[]> {
    if (toUs <= afterUs || this.series.length === 0 || this.hosts?.length === 0) return [];
    const statements = this.series.map(
      (s) =>
        `SELECT ${quoteIdentifier(s.field)} FROM ${quoteIdentifier(s.measurement)} ` +
        `WHERE time > ${timeLiteralUs(afterUs)} AND time <= ${timeLiteralUs(toUs)}${this.hostCondition(s.hostTag)} ` +
        `GROUP BY ${quoteIdentifier(s.hostTag)}`
    );
    // Times alone, not rows: a day holds about a hundred thousand heartbeats (issue 13).
    const results = await this.client.queryTimes(this.database, statements.join('; '));
    const beats: Heartbeat[] = [];
    results.forEach((series, i) => {
      const hostTag = this.series[i].hostTag;
      for (const s of series) {
        const host = s.tags[hostTag];
        if (!host) continue;
        for (const timeUs of s.times) beats.push({ host, timeUs });
      }
    });
    // Host after host, each in time order: the incident step orders them as it needs (issue 13:
    // sorting a batch's heartbeats, about ten per syslog line, was most of reading them).
    return beats;
  }

  private hostCondition(tag: string): string {
    return this.hosts ? ` AND ${quoteIdentifier(tag)} =~ ${regexLiteralFor(this.hosts)}` : '';
  }
}
