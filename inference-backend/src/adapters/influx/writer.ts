import type { PointSink, SeriesPoint } from '../../domain/series';
import type { InfluxClient } from './client';
import { toLineProtocol } from './lineProtocol';

export interface WriterOptions {
  database: string;
  retentionPolicy?: string;
  /** Lines per /write request; InfluxDB's guidance is 5,000–10,000. */
  batchSize?: number;
  /** A partial batch is sent after this long even if it is not full. */
  flushIntervalMs?: number;
  /** Called after each successful request (metrics). */
  onWritten?: (lines: number, seconds: number) => void;
}

/**
 * Batched line-protocol writer. Points are sent when a batch is full or the flush interval
 * passes; `flush()` resolves only once everything written so far is stored. A refused write
 * (4xx) or one still failing after the client's retries is never dropped silently: the error
 * is rethrown by the next `write`/`flush`, and the failed lines stay queued so a caller that
 * fixes the cause can flush again.
 */
export class InfluxWriter implements PointSink {
  private pending: string[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;

  constructor(
    private readonly client: InfluxClient,
    private readonly options: WriterOptions
  ) {
    this.batchSize = options.batchSize ?? 5000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  async write(points: readonly SeriesPoint[]): Promise<void> {
    this.throwIfFailed();
    for (const point of points) this.pending.push(toLineProtocol(point));
    while (this.pending.length >= this.batchSize) {
      // Waiting for the request in flight before queueing the next one is the backpressure:
      // a fast producer cannot grow the buffer beyond about two batches.
      await this.sendNext();
      this.throwIfFailed();
    }
    this.armTimer();
  }

  async flush(): Promise<void> {
    this.clearTimer();
    while (this.pending.length > 0 && !this.failure) await this.sendNext();
    await this.inFlight;
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    await this.flush();
  }

  get queuedLines(): number {
    return this.pending.length;
  }

  private async sendNext(): Promise<void> {
    await this.inFlight;
    if (this.failure || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.batchSize);
    const started = process.hrtime.bigint();
    this.inFlight = this.client.writeLines(this.options.database, batch, this.options.retentionPolicy).then(
      () => this.options.onWritten?.(batch.length, Number(process.hrtime.bigint() - started) / 1e9),
      (error: unknown) => {
        this.pending.unshift(...batch);
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
    );
    await this.inFlight;
  }

  /** Clears a recorded failure so that queued lines can be retried by the next flush. */
  resetFailure(): void {
    this.failure = undefined;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private armTimer(): void {
    if (this.timer || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => {
        // Recorded in this.failure and rethrown to the next caller of write/flush.
      });
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
