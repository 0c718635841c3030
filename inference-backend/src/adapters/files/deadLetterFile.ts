import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetterSink, RejectedLine } from '../influx/writer';

export interface DeadLetterFileOptions {
  /** The current file is rotated once it would grow past this many bytes. */
  maxBytes?: number;
  /** Rotated files kept (`dead-letter.1.jsonl` is the newest); older ones are deleted. */
  keepFiles?: number;
  /** Injected for tests; the time each entry is recorded. */
  nowMs?: () => number;
}

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

/**
 * Points InfluxDB refused, one JSON object a line (`time`, `database`, `measurement`, `reason`,
 * `line`), appended and fsynced before the batch that produced them is committed, so a refused
 * point is never lost without a trace. Bounded: the file rotates at `maxBytes` and only
 * `keepFiles` rotated files are kept. Writes are serialised: concurrent callers never interleave.
 */
export class DeadLetterFile implements DeadLetterSink {
  private queue: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly keepFiles: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly dir: string,
    options: DeadLetterFileOptions = {}
  ) {
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.keepFiles = options.keepFiles ?? 5;
    this.nowMs = options.nowMs ?? Date.now;
  }

  get path(): string {
    return join(this.dir, DEAD_LETTER_FILE);
  }

  record(entries: readonly RejectedLine[]): Promise<void> {
    const next = this.queue.then(() => this.append(entries));
    // A failed append is reported to its caller; the queue itself carries on.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async append(entries: readonly RejectedLine[]): Promise<void> {
    if (entries.length === 0) return;
    const time = new Date(this.nowMs()).toISOString();
    const text = entries
      .map((e) => JSON.stringify({ time, database: e.database, measurement: e.measurement, reason: e.reason, line: e.line }))
      .join('\n')
      .concat('\n');
    await mkdir(this.dir, { recursive: true });
    const size = await stat(this.path).then(
      (s) => s.size,
      () => 0
    );
    if (size > 0 && size + Buffer.byteLength(text) > this.maxBytes) await this.rotate();
    const file = await open(this.path, 'a');
    const before = (await file.stat()).size;
    try {
      await file.writeFile(text);
      await file.sync();
    } catch (error) {
      // A disk that filled up mid-append leaves part of a line: cut it off, so that every line of
      // the file stays a whole entry (the batch is not committed and records them again).
      await file.truncate(before).catch(() => undefined);
      throw new Error(`the dead-letter file ${this.path} cannot be appended to: ${(error as Error).message}`);
    } finally {
      await file.close();
    }
  }

  private async rotate(): Promise<void> {
    const rotated = (n: number) => join(this.dir, DEAD_LETTER_FILE.replace(/\.jsonl$/, `.${n}.jsonl`));
    await rm(rotated(this.keepFiles), { force: true });
    for (let n = this.keepFiles - 1; n >= 1; n--) {
      await rename(rotated(n), rotated(n + 1)).catch(() => undefined);
    }
    if (this.keepFiles >= 1) await rename(this.path, rotated(1));
    else await rm(this.path, { force: true });
  }
}
