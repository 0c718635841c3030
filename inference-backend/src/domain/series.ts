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
