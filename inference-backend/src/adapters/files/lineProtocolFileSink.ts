import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import type { PointSink, SeriesPoint } from '../../domain/series';
import { toLineProtocol } from '../influx/lineProtocol';

export interface LineFileOptions {
  /** Keep what the file already holds (default: start it afresh). */
  append?: boolean;
}

/**
 * A text file written as batches of lines through one stream. `writeLines` waits for 'drain'
 * when the stream's buffer is full, so a fast producer cannot grow memory without bound.
 * A write error is kept and rethrown by the next call rather than lost.
 */
export class LineFileWriter {
  private failure: Error | undefined;
  private lastWrite: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream
  ) {
    stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  static async open(path: string, options: LineFileOptions = {}): Promise<LineFileWriter> {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path, { flags: options.append ? 'a' : 'w', highWaterMark: 1 << 20 });
    const writer = new LineFileWriter(path, stream);
    await once(stream, 'open');
    return writer;
  }

  async writeLines(lines: readonly string[]): Promise<void> {
    this.throwIfFailed();
    if (this.closed) throw new Error(`${this.path} is already closed`);
    if (lines.length === 0) return;
    const chunk = lines.join('\n') + '\n';
    let accepted = true;
    this.lastWrite = new Promise<void>((resolve) => {
      accepted = this.stream.write(chunk, (error) => {
        if (error) this.failure ??= error;
        resolve();
      });
    });
    if (!accepted) await once(this.stream, 'drain');
    this.throwIfFailed();
  }

  /** Resolves once every line written so far has been handed to the operating system. */
  async flush(): Promise<void> {
    await this.lastWrite;
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.end();
    await finished(this.stream);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw new Error(`cannot write ${this.path}: ${this.failure.message}`);
  }
}

/** A PointSink that appends InfluxDB line protocol (precision u) to a file, one point per line. */
export class LineProtocolFileSink implements PointSink {
  constructor(private readonly file: LineFileWriter) {}

  async write(points: readonly SeriesPoint[]): Promise<void> {
    const lines = new Array<string>(points.length);
    for (let i = 0; i < points.length; i++) lines[i] = toLineProtocol(points[i]);
    await this.file.writeLines(lines);
  }

  flush(): Promise<void> {
    return this.file.flush();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

export async function createLineProtocolFileSink(path: string, options?: LineFileOptions): Promise<PointSink> {
  return new LineProtocolFileSink(await LineFileWriter.open(path, options));
}
