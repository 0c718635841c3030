import type { TimeSeries } from './seriesTimes';

/**
 * parseSeriesTimes for InfluxDB's MessagePack answer to /query (`Accept: application/x-msgpack`,
 * which InfluxDB 1.x serves): the same answer, a map of `results` (or of `error`), each result a
 * map of `statement_id`, `series` and maybe `error`, each series a map of `name`, `tags`,
 * `columns` and `values`. InfluxDB spends about half the CPU on it that it spends writing the same
 * rows as JSON (the heartbeats, about ten rows per syslog line, were most of what InfluxDB did
 * for the pipeline, issue 13), and here a row is read without scanning text.
 *
 * The times are what Number() makes of the time column's value, as from JSON: an integer exactly
 * (as the nearest double beyond 2^53), a float as it is (InfluxDB writes times as integers when
 * asked for epoch times); an extension (a time not given as epoch) is NaN. Malformed or truncated
 * input throws a SyntaxError.
 */
export function parseSeriesTimesMsgpack(bytes: Uint8Array): {
  error?: string;
  results: Array<{ error?: string; series: TimeSeries[] }>;
} {
  const reader = new MsgpackReader(bytes);
  const answer = reader.document();
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new SyntaxError('not a map');
  const { error, results } = answer as { error?: unknown; results?: unknown };
  return {
    error: typeof error === 'string' ? error : undefined,
    results: (Array.isArray(results) ? (results as unknown[]) : []).map((result) => {
      const r = (result ?? {}) as { error?: unknown; series?: unknown };
      const series = Array.isArray(r.series) ? (r.series as RawSeries[]) : [];
      return {
        error: typeof r.error === 'string' ? r.error : undefined,
        series: series.map((s) => ({
          name: typeof s.name === 'string' ? s.name : '',
          tags: (s.tags ?? {}) as Record<string, string>,
          times: s[TIMES] ?? timesOf(s.columns, s.values),
        })),
      };
    }),
  };
}

/** The `error` of a MessagePack answer (a refused query), when it has one. */
export function msgpackError(bytes: Uint8Array): string | undefined {
  try {
    const answer = new MsgpackReader(bytes).document() as { error?: unknown } | null;
    return typeof answer?.error === 'string' ? answer.error : undefined;
  } catch {
    return undefined;
  }
}

/** Where the reader puts the times it read in place of `values`. */
const TIMES = Symbol('times');

interface RawSeries {
  name?: unknown;
  tags?: unknown;
  columns?: unknown;
  values?: unknown;
  [TIMES]?: number[];
}

function timesOf(columns: unknown, values: unknown): number[] {
  const at = Array.isArray(columns) ? columns.indexOf('time') : -1;
  if (at < 0 || !Array.isArray(values)) return [];
  return values.map((row) => asTime(Array.isArray(row) ? (row as unknown[])[at] : undefined));
}

function asTime(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class MsgpackReader {
  private i = 0;
  private readonly view: DataView;

  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  document(): unknown {
    const value = this.value();
    if (this.i !== this.b.length) this.fail();
    return value;
  }

  private fail(): never {
    throw new SyntaxError(`unexpected input at byte ${this.i} of InfluxDB's MessagePack answer`);
  }

  /** Moves past `n` bytes and returns where they start; throws when the input ends before. */
  private take(n: number): number {
    const at = this.i;
    if (at + n > this.b.length) this.fail();
    this.i = at + n;
    return at;
  }

  private byte(): number {
    return this.b[this.take(1)];
  }

  private value(): unknown {
    const c = this.byte();
    if (c <= 0x7f) return c;
    if (c >= 0xe0) return c - 0x100;
    if (c <= 0x8f) return this.map(c & 0x0f);
    if (c <= 0x9f) return this.array(c & 0x0f);
    if (c <= 0xbf) return this.string(c & 0x1f);
    const v = this.view;
    switch (c) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const n = this.length(c - 0xc4);
        const at = this.take(n);
        return this.b.slice(at, at + n);
      }
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        const n = this.length(c - 0xc7);
        this.take(1 + n);
        return undefined; // an extension (a time not given as epoch): no number
      }
      case 0xca:
        return v.getFloat32(this.take(4));
      case 0xcb:
        return v.getFloat64(this.take(8));
      case 0xcc:
        return v.getUint8(this.take(1));
      case 0xcd:
        return v.getUint16(this.take(2));
      case 0xce:
        return v.getUint32(this.take(4));
      case 0xcf:
        return Number(v.getBigUint64(this.take(8)));
      case 0xd0:
        return v.getInt8(this.take(1));
      case 0xd1:
        return v.getInt16(this.take(2));
      case 0xd2:
        return v.getInt32(this.take(4));
      case 0xd3:
        return this.int64();
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        this.take(1 + (1 << (c - 0xd4)));
        return undefined;
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.string(this.length(c - 0xd9));
      case 0xdc:
      case 0xdd:
        return this.array(this.length(c - 0xdc + 1));
      case 0xde:
      case 0xdf:
        return this.map(this.length(c - 0xde + 1));
      default:
        // 0xc1: never used
        this.i--;
        return this.fail();
    }
  }

  /** A length of 1, 2 or 4 bytes (width 0, 1, 2). */
  private length(width: number): number {
    if (width === 0) return this.view.getUint8(this.take(1));
    if (width === 1) return this.view.getUint16(this.take(2));
    return this.view.getUint32(this.take(4));
  }

  /** A signed 64-bit integer: exact while safe, else the nearest double (as Number() of its digits). */
  private int64(): number {
    const at = this.take(8);
    const high = this.view.getInt32(at);
    const low = this.view.getUint32(at + 4);
    const n = high * 0x1_0000_0000 + low;
    return Number.isSafeInteger(n) ? n : Number(this.view.getBigInt64(at));
  }

  private string(n: number): string {
    const at = this.take(n);
    try {
      return utf8.decode(this.b.subarray(at, at + n));
    } catch {
      this.i = at;
      return this.fail();
    }
  }

  private array(n: number): unknown[] {
    // Each element takes a byte at least: a length beyond the input is malformed, not allocated.
    if (n > this.b.length - this.i) this.fail();
    const out = new Array<unknown>(n);
    for (let k = 0; k < n; k++) out[k] = this.value();
    return out;
  }

  private map(n: number): Record<string, unknown> {
    if (2 * n > this.b.length - this.i) this.fail();
    const out: Record<string, unknown> = {};
    for (let k = 0; k < n; k++) {
      const key = this.value();
      if (typeof key !== 'string') this.fail();
      const at = key === 'values' && Array.isArray(out.columns) ? out.columns.indexOf('time') : -1;
      if (at >= 0) (out as RawSeries)[TIMES] = this.rowTimes(at);
      else if (key === '__proto__') {
        // An own key, as JSON.parse makes it, not the object's prototype.
        Object.defineProperty(out, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
      } else out[key] = this.value();
    }
    return out;
  }

  /** An array of rows, keeping column `at` of each as a time (NaN when the row has none). */
  private rowTimes(at: number): number[] {
    const c = this.byte();
    let n: number;
    if (c >= 0x90 && c <= 0x9f) n = c & 0x0f;
    else if (c === 0xdc || c === 0xdd) n = this.length(c - 0xdc + 1);
    else {
      // Not an array of rows: no times (as timesOf reads it).
      this.i--;
      this.value();
      return [];
    }
    if (n > this.b.length - this.i) this.fail();
    const times = new Array<number>(n);
    const b = this.b;
    for (let r = 0; r < n; r++) {
      // InfluxDB's heartbeat rows: a fixarray of two, an int64 time first.
      if (at === 0 && b[this.i] === 0x92 && b[this.i + 1] === 0xd3) {
        this.i += 2;
        times[r] = this.int64();
        this.skip();
        continue;
      }
      const row = this.value();
      times[r] = asTime(Array.isArray(row) ? (row as unknown[])[at] : undefined);
    }
    return times;
  }

  /** Past a value that is not kept (strings not decoded, but their bytes must be there). */
  private skip(): void {
    const c = this.byte();
    if (c <= 0x7f || c >= 0xe0 || c === 0xc0 || c === 0xc2 || c === 0xc3) return;
    if (c === 0xcb) this.take(8);
    else if (c === 0xd3 || c === 0xcf) this.take(8);
    else if (c >= 0xa0 && c <= 0xbf) this.take(c & 0x1f);
    else {
      this.i--;
      this.value();
    }
  }
}
