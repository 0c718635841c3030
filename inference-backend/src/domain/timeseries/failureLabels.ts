/**
 * Run-to-failure rows from what production records: the sensors of every device in
 * `bucketMs` means (InfluxQL's `GROUP BY time(10m)`, empty buckets left out). A PLC that halts
 * stops sending readings until it reboots, so a halt shows as a gap of at least `minGapBuckets`
 * empty buckets in its series; a gap that every other sensor device of its site shares is an
 * outage of the site (power, uplink), not a failure of the PLC, and is not counted. A site with
 * no other sensor device cannot tell the two apart: its gaps count as halts.
 *
 * Rows have the columns of the simulated training histories (`simulator/maintenanceHistory.ts`):
 * `host`, `t` (bucket start, ms), the sensor means, the failure target (`yes` when the PLC halts
 * within the horizon after `t`) and the remaining life in hours capped at `capH`, plus
 * `device_kind` (the segment the promotion gate compares). A label the window cannot know yet
 * (no halt seen and fewer than horizon/cap hours left before `knownUntilMs`) is empty: such rows
 * still feed the rolling windows of later rows but are never learnt from or scored.
 */
export interface SensorSeries {
  host: string;
  deviceKind: string;
  site: string;
  /** Oldest first. */
  buckets: ReadonlyArray<{ startMs: number; values: Readonly<Record<string, number | undefined>> }>;
}

export interface Halt {
  host: string;
  /** End of the last bucket with readings before the gap. */
  atMs: number;
}

export interface FailureLabelOptions {
  bucketMs: number;
  /** Empty buckets in a row that make a halt (2 × 10 min: the shortest reboot the simulator knows is 30 min). */
  minGapBuckets: number;
  /** The device kind whose halts are failures (`plc`). */
  deviceKind: string;
  fields: readonly string[];
  target: string;
  horizonH: number;
  remainingLifeColumn: string;
  capH: number;
}

const HOUR_MS = 3_600_000;

/** Index of the first element of sorted `values` that is ≥ `x`. */
function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The halts of the `deviceKind` devices in `series`, oldest first; the series end at `untilMs` (exclusive). */
export function detectHalts(series: readonly SensorSeries[], untilMs: number, options: FailureLabelOptions): Halt[] {
  const startsByHost = new Map(series.map((s) => [s.host, s.buckets.map((b) => b.startMs)] as const));
  const othersOf = (s: SensorSeries) =>
    series.filter((o) => o.site === s.site && o.host !== s.host).map((o) => startsByHost.get(o.host) ?? []);
  const reported = (starts: readonly number[], fromMs: number, toMs: number) => {
    const i = lowerBound(starts, fromMs);
    return i < starts.length && starts[i] < toMs;
  };
  const halts: Halt[] = [];
  for (const s of series) {
    if (s.deviceKind !== options.deviceKind || s.buckets.length === 0) continue;
    const others = othersOf(s);
    const gapIsOwn = (fromMs: number, toMs: number) =>
      others.length === 0 || others.some((starts) => reported(starts, fromMs, toMs));
    const starts = startsByHost.get(s.host) ?? [];
    for (let i = 0; i < starts.length; i++) {
      const endMs = starts[i] + options.bucketMs;
      const nextMs = i + 1 < starts.length ? starts[i + 1] : untilMs;
      const missing = Math.floor((nextMs - endMs) / options.bucketMs);
      if (missing >= options.minGapBuckets && gapIsOwn(endMs, nextMs)) halts.push({ host: s.host, atMs: endMs });
    }
  }
  return halts.sort((a, b) => a.atMs - b.atMs || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/**
 * One row per bucket of each `deviceKind` device, in host then time order, labelled from the
 * `halts` known up to `knownUntilMs` (later halts are ignored: the caller's time slice).
 */
export function runToFailureRows(
  series: readonly SensorSeries[],
  halts: readonly Halt[],
  knownUntilMs: number,
  options: FailureLabelOptions
): Array<Record<string, string>> {
  const haltsByHost = new Map<string, number[]>();
  for (const h of halts)
    if (h.atMs <= knownUntilMs) haltsByHost.set(h.host, [...(haltsByHost.get(h.host) ?? []), h.atMs]);
  const rows: Array<Record<string, string>> = [];
  const plcs = series
    .filter((s) => s.deviceKind === options.deviceKind)
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (const s of plcs) {
    const own = haltsByHost.get(s.host) ?? [];
    for (const bucket of s.buckets) {
      if (bucket.startMs >= knownUntilMs) break;
      const next = own[lowerBound(own, bucket.startMs + 1)];
      const leftH = (knownUntilMs - bucket.startMs) / HOUR_MS;
      const toHaltH = next === undefined ? undefined : (next - bucket.startMs) / HOUR_MS;
      const fails =
        toHaltH !== undefined && toHaltH <= options.horizonH ? 'yes' : leftH >= options.horizonH ? 'no' : '';
      const life =
        toHaltH !== undefined ? Math.min(toHaltH, options.capH) : leftH >= options.capH ? options.capH : undefined;
      const row: Record<string, string> = { host: s.host, t: String(bucket.startMs), device_kind: s.deviceKind };
      for (const field of options.fields) {
        const v = bucket.values[field];
        row[field] = v === undefined ? '' : String(v);
      }
      row[options.target] = fails;
      row[options.remainingLifeColumn] = life === undefined ? '' : life.toFixed(3);
      rows.push(row);
    }
  }
  return rows;
}
