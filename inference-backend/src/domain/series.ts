/**
 * The storage interface the domain needs. Implemented by adapters/influx (InfluxDB v1 HTTP API)
 * and by the line-protocol file sink of the simulator.
 *
 * Times are microseconds since the Unix epoch: InfluxDB's JSON returns integers, and
 * nanosecond epochs (~1.8e18) do not fit a JS number exactly, microseconds (~1.8e15) do.
 */
export type FieldValue = number | string | boolean;

export interface SeriesPoint {
  measurement: string;
  tags: Record<string, string>;
  /** Numbers are written as floats. */
  fields: Record<string, FieldValue>;
  /** Written as InfluxDB integers (`42i`), e.g. Telegraf's `severity_code`. */
  intFields?: Record<string, number>;
  timeUs: number;
}

/** Where points go. `write` may buffer; `flush` resolves once everything written so far is durable. */
export interface PointSink {
  write(points: readonly SeriesPoint[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * A point's identity in InfluxDB is its measurement, tag set and timestamp: two records with the
 * same tags at the same instant overwrite each other. Records written as they happen (a complaint,
 * a verdict) take their timestamp from here: the clock's time in µs, but always after the last
 * one handed out, so no two records of this process ever share an instant.
 */
export class UniqueMicros {
  private lastUs = 0;

  constructor(
    private readonly clock: Clock,
    /**
     * Sharded replicas write records side by side: replica `index` of `count` takes only the
     * microseconds ≡ index (mod count), so two replicas never hand out the same instant either.
     */
    private readonly lane: { index: number; count: number } = { index: 0, count: 1 }
  ) {}

  /** Now (or `atMs`, if later than everything handed out) as a µs timestamp never given before. */
  next(atMs = this.clock.nowMs()): number {
    const { index, count } = this.lane;
    const earliest = Math.max(Math.trunc(atMs * 1000), this.lastUs + 1);
    const us = earliest + ((((index - earliest) % count) + count) % count);
    this.lastUs = us;
    return us;
  }
}

/**
 * Moves points that would overwrite an earlier point of the same list (same measurement, tags and
 * timestamp) to the next free microsecond, keeping their order: the later of two state changes
 * stays the later one. Points of one `chainOf` key (the successive states of one ticket, whose
 * points differ in their tags) also get strictly increasing times, so the newest point of a chain
 * is always its last state. Deterministic, so a replayed batch writes the very same points.
 */
export function separateCollisions(
  points: SeriesPoint[],
  chainOf?: (point: SeriesPoint, index: number) => string | undefined
): SeriesPoint[] {
  const taken = new Set<string>();
  const chainUs = new Map<string, number>();
  return points.map((point, index) => {
    const series = seriesKeyOf(point);
    let timeUs = point.timeUs;
    // Successive points of one chain (the states of one ticket) keep their order in time, strictly.
    const chain = chainOf?.(point, index);
    const previousUs = chain === undefined ? undefined : chainUs.get(chain);
    if (previousUs !== undefined && timeUs <= previousUs) timeUs = previousUs + 1;
    while (taken.has(`${series}@${timeUs}`)) timeUs++;
    taken.add(`${series}@${timeUs}`);
    if (chain !== undefined) chainUs.set(chain, timeUs);
    return timeUs === point.timeUs ? point : { ...point, timeUs };
  });
}

function seriesKeyOf(point: SeriesPoint): string {
  const tags = Object.entries(point.tags)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([point.measurement, tags]);
}
