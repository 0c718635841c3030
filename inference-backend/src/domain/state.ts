/** Durable key → JSON state (watermarks, miner state). `save` is atomic: all or nothing. */
export interface StateStore {
  load<T>(key: string): Promise<T | undefined>;
  save<T>(key: string, value: T): Promise<void>;
}
