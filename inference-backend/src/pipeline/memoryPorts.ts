import type { PointSink, SeriesPoint } from '../domain/series';
import type { StateStore } from '../domain/state';

/**
 * In-memory ports for unit tests of the stages' pure logic: a state store that round-trips through
 * JSON like the file store, and a sink whose flush can be made to fail once (InfluxDB down), losing
 * what was written since the last flush as a failed HTTP write would.
 */
export class MemoryStore implements StateStore {
  saved = new Map<string, string>();
  async load<T>(key: string): Promise<T | undefined> {
    const text = this.saved.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
  async save<T>(key: string, value: T): Promise<void> {
    this.saved.set(key, JSON.stringify(value));
  }
}

export class MemorySink implements PointSink {
  points: SeriesPoint[] = [];
  failNextFlush = false;
  private pending: SeriesPoint[] = [];
  async write(points: readonly SeriesPoint[]) {
    this.pending.push(...points);
  }
  async flush() {
    if (this.failNextFlush) {
      this.failNextFlush = false;
      this.pending = [];
      throw new Error('InfluxDB is down');
    }
    this.points.push(...this.pending);
    this.pending = [];
  }
  async close() {}
}
