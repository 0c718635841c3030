import type { PointSink, SeriesPoint } from '../../domain/series';
import type { InfluxClient } from './client';
import { InfluxError } from './errors';
import { toLineProtocol } from './lineProtocol';

/** A point InfluxDB refused (or that line protocol cannot carry), kept with the reason. */
export interface RejectedLine {
  database: string;
  measurement: string;
  reason: string;
  line: string;
}

/** Where refused points go instead of blocking everything behind them (a bounded file). */
export interface DeadLetterSink {
  /** Durable when this resolves. */
  record(entries: readonly RejectedLine[]): Promise<void>;
}

export interface WriterOptions {
  database: string;
  retentionPolicy?: string;
  /** Lines per /write request; InfluxDB's guidance is 5,000–10,000. */
  batchSize?: number;
  /** A partial batch is sent after this long even if it is not full. */
  flushIntervalMs?: number;
  /**
   * What a failed send does with its lines. `keep` (default) leaves them queued for the next
   * flush; `drop` discards them because the owner replays its batch from a watermark (the
   * pipeline), and keeping them would queue each replay again.
   */
  onFailure?: 'keep' | 'drop';
  /** With `keep`, at most this many lines wait; a write beyond it fails (backpressure). */
  maxQueuedLines?: number;
  /**
   * With a dead letter, points InfluxDB refuses (400: field type conflict, unparsable line) are
   * isolated by bisecting the batch and recorded there with the reason, and the rest of the batch
   * is stored. Without one, a refusal fails the flush like an outage does.
   */
  deadLetter?: DeadLetterSink;
  /** Called after each successful request (metrics). */
  onWritten?: (lines: number, seconds: number) => void;
  /** Called once per set of lines sent to the dead letter (metrics, logs). */
  onRejected?: (rejected: readonly RejectedLine[]) => void;
}

/**
 * Batched line-protocol writer for one owner (the pipeline, the simulator); API requests write
 * through `DirectWriter` instead, so one caller's failure never reaches another's.
 *
 * Points are sent when a batch is full or the flush interval passes; `flush()` resolves once
 * everything written so far is stored (or dead-lettered) and rejects when something was not.
 * A failure is reported once, to the next `flush()`, and never blocks later writes: each flush
 * tries again, so the writer recovers as soon as InfluxDB does.
 */
export class InfluxWriter implements PointSink {
  private pending: string[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  /** A failure not yet reported to a caller of flush(). */
  private unreported: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueuedLines: number;

  constructor(
    private readonly client: InfluxClient,
    private readonly options: WriterOptions
  ) {
    this.batchSize = options.batchSize ?? 5000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxQueuedLines = options.maxQueuedLines ?? this.batchSize * 20;
  }

  async write(points: readonly SeriesPoint[]): Promise<void> {
    const unrepresentable: RejectedLine[] = [];
    for (const point of points) {
      try {
        this.pending.push(toLineProtocol(point));
      } catch (error) {
        if (!this.options.deadLetter) throw error;
        unrepresentable.push({
          database: this.options.database,
          measurement: point.measurement,
          reason: messageOf(error),
          line: JSON.stringify(point),
        });
      }
    }
    if (unrepresentable.length) await this.reject(unrepresentable);
    while (this.pending.length >= this.batchSize) {
      // Waiting for the request in flight before queueing the next one is the backpressure:
      // a fast producer cannot grow the buffer beyond about two batches.
      if (await this.sendNext()) continue;
      if (this.pending.length > this.maxQueuedLines) {
        throw this.takeFailure() ?? new Error(`${this.pending.length} lines wait for InfluxDB`);
      }
      break;
    }
    this.armTimer();
  }

  async flush(): Promise<void> {
    this.clearTimer();
    for (;;) {
      await this.inFlight;
      if (this.pending.length === 0) break;
      // A failed batch: stop here and report it rather than retry in a loop.
      if (!(await this.sendNext())) break;
    }
    const failure = this.takeFailure();
    if (failure) throw failure;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  get queuedLines(): number {
    return this.pending.length;
  }

  private takeFailure(): Error | undefined {
    const failure = this.unreported;
    this.unreported = undefined;
    return failure;
  }

  /**
   * Queues the next batch behind the request in flight. The chain is extended synchronously, so
   * a timer flush and a write() racing each other can never have two requests in flight, and
   * `await this.inFlight` always waits for every request started so far.
   */
  private sendNext(): Promise<boolean> {
    const next = this.inFlight.then(async () => {
      if (this.pending.length === 0) return true;
      const batch = this.pending.splice(0, this.batchSize);
      try {
        await this.send(batch);
        // Stored: whatever failed before is moot for the lines kept then and written now.
        if (this.options.onFailure !== 'drop' && this.pending.length === 0) this.unreported = undefined;
        return true;
      } catch (error) {
        if (this.options.onFailure !== 'drop') this.pending.unshift(...batch);
        this.unreported = error instanceof Error ? error : new Error(String(error));
        return false;
      }
    });
    this.inFlight = next.then(() => undefined);
    return next;
  }

  /** Writes `lines`; with a dead letter, a 400 is narrowed down to the lines that cause it. */
  private async send(lines: string[]): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await this.client.writeLines(this.options.database, lines, this.options.retentionPolicy);
      this.options.onWritten?.(lines.length, Number(process.hrtime.bigint() - started) / 1e9);
    } catch (error) {
      if (!this.options.deadLetter || !isRefusedByContent(error)) throw error;
      // Every line refused (one line, or InfluxDB counting them all as dropped: a whole batch into
      // a shard whose field types conflict): no need to look further. Bisecting such a batch down
      // to single lines would cost two requests a line, and a pipeline writing into a poisoned
      // shard would crawl.
      if (lines.length === 1 || droppedOf(error) === lines.length) {
        const reason = messageOf(error);
        await this.reject(
          lines.map((line) => ({ database: this.options.database, measurement: measurementOf(line), reason, line }))
        );
        return;
      }
      // InfluxDB 1.x stores the acceptable points of a partial write; sending them again in the
      // halves is harmless (same series and timestamp overwrite) and finds the refused ones.
      const middle = Math.ceil(lines.length / 2);
      await this.send(lines.slice(0, middle));
      await this.send(lines.slice(middle));
    }
  }

  private async reject(rejected: RejectedLine[]): Promise<void> {
    await this.options.deadLetter?.record(rejected);
    this.options.onRejected?.(rejected);
  }

  private armTimer(): void {
    if (this.timer || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => {
        // Reported to the next caller of flush(): the owner learns its points were not stored.
        this.unreported ??= error instanceof Error ? error : new Error(String(error));
      });
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Writes each call's points at once and resolves only when InfluxDB stored them: what the HTTP
 * API acknowledges. Nothing is shared between calls, so a refused or failed request fails only
 * its own caller, with a message about its own points.
 */
export class DirectWriter implements PointSink {
  constructor(
    private readonly client: InfluxClient,
    private readonly options: Pick<WriterOptions, 'database' | 'retentionPolicy' | 'onWritten'>
  ) {}

  async write(points: readonly SeriesPoint[]): Promise<void> {
    if (points.length === 0) return;
    const lines = points.map(toLineProtocol);
    const started = process.hrtime.bigint();
    await this.client.writeLines(this.options.database, lines, this.options.retentionPolicy);
    this.options.onWritten?.(lines.length, Number(process.hrtime.bigint() - started) / 1e9);
  }

  async flush(): Promise<void> {
    // Every write is already stored when it resolves.
  }

  async close(): Promise<void> {
    // Nothing buffered.
  }
}

/** 400 (bad line, field type conflict, too long) and 413: the points, not the server, are at fault. */
function isRefusedByContent(error: unknown): boolean {
  return error instanceof InfluxError && (error.status === 400 || error.status === 413);
}

/**
 * How many points InfluxDB 1.x says it dropped from a partial write (`… dropped=N`). Only type
 * conflicts are counted there (a line that does not parse is dropped with `dropped=0`), so a count
 * is trusted only when it covers the whole request.
 */
function droppedOf(error: unknown): number | undefined {
  const match = /\bdropped=(\d+)\s*$/.exec(messageOf(error));
  return match ? Number(match[1]) : undefined;
}

function measurementOf(line: string): string {
  const match = /^((?:[^\\, ]|\\.)+)/.exec(line);
  return match ? match[1].replace(/\\(.)/g, '$1') : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
