import type { MetricSpec } from '../../domain/timeseries/metricSpec';
import { metricName } from '../../domain/timeseries/metricSpec';
import type { InfluxClient } from './client';
import { equalsCondition, quoteIdentifier, timeLiteralUs } from './influxql';
import { ALL_HOSTS, type HostFilter } from './shardHosts';

/** One raw sample of one series: a host's metric (and instance: disk path, interface, CPU). */
export interface MetricSample {
  /** `measurement.field`. */
  metric: string;
  host: string;
  /** The disk path, network interface or CPU of a per-instance measurement; '' otherwise. */
  instance: string;
  timeUs: number;
  /** As stored; null when the field is absent or not a number at that instant. */
  value: number | null;
  counter: boolean;
  /** Only a value above (`rise`) or below (`fall`) the expected one opens an episode; absent: either. */
  alarmOn?: 'rise' | 'fall';
}

/**
 * The tag that tells the instances of one host apart, per Telegraf input. Other tags (a disk's
 * device and file system, say) describe the instance and are not part of its identity.
 */
const INSTANCE_TAGS: Record<string, string> = {
  cpu: 'cpu',
  disk: 'path',
  net: 'interface',
  diskio: 'name',
  sensors: '',
};

/** The tag that tells a host's instances of `measurement` apart ('' when it has one per host). */
export function instanceTagOf(measurement: string): string {
  return INSTANCE_TAGS[measurement] ?? '';
}

/** Reads the configured Telegraf series, one query per measurement, in time order. */
export class MetricSource {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly specs: readonly MetricSpec[],
    /** Sharded replicas read only their own hosts' series. */
    private readonly hosts: HostFilter = ALL_HOSTS
  ) {}

  /** Samples with fromUs < time ≤ toUs, oldest first (ties in series order: deterministic). */
  async read(fromUs: number, toUs: number): Promise<MetricSample[]> {
    const out: MetricSample[] = [];
    for (const spec of this.specs) {
      const instanceTag = instanceTagOf(spec.measurement);
      const groupBy = ['host', instanceTag]
        .filter((t) => t !== '')
        .map(quoteIdentifier)
        .join(', ');
      const hosts = await this.hosts.condition(spec.measurement, 'host');
      if (hosts === null) continue;
      const filters = Object.entries(spec.where).map(([tag, value]) => ` AND ${equalsCondition(tag, value)}`);
      if (hosts) filters.push(` AND ${hosts}`);
      const q =
        `SELECT ${quoteIdentifier(spec.field)} FROM ${quoteIdentifier(spec.measurement)} ` +
        `WHERE time > ${timeLiteralUs(fromUs)} AND time <= ${timeLiteralUs(toUs)}${filters.join('')} GROUP BY ${groupBy}`;
      const series = await this.client.query(this.database, q);
      for (const s of series) {
        const host = s.tags.host ?? '';
        if (host === '') continue;
        const instance = instanceTag ? (s.tags[instanceTag] ?? '') : '';
        for (const row of s.rows) {
          const raw = row[spec.field];
          out.push({
            metric: metricName(spec),
            host,
            instance,
            timeUs: Number(row.time),
            value: typeof raw === 'number' ? raw : null,
            counter: spec.counter,
            ...(spec.alarmOn === 'both' ? {} : { alarmOn: spec.alarmOn }),
          });
        }
      }
    }
    return out.sort(
      (a, b) =>
        a.timeUs - b.timeUs || compare(a.metric, b.metric) || compare(a.host, b.host) || compare(a.instance, b.instance)
    );
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
