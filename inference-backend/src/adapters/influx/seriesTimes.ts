/**
 * A reader of InfluxDB's JSON answer to /query for callers that need only the times of the rows
 * (the heartbeats the silent-device detector learns cadences from: about ten rows per syslog
 * line, issue 13). JSON.parse would build an array per row and a number object per value, most
 * of what reading them cost, and all of it kept until the batch that reads them ran; here a
 * series' times are read straight into one array and the other columns are skipped.
 *
 * Everything else of the answer (names, tags, errors, columns, other keys) is read as JSON.parse
 * reads it. A series whose `values` come before its `columns` (InfluxDB writes columns first)
 * is read whole and its times taken from it. Malformed JSON throws a SyntaxError.
 */

/** One series of a statement's result: its times, one per row, in the order InfluxDB sent them. */
export interface TimeSeries {
  name: string;
  tags: Record<string, string>;
  times: number[];
}

interface RawAnswer {
  error?: unknown;
  results?: unknown;
}

/** The series of each statement; an `error` of the answer or of a statement is returned as such. */
export function parseSeriesTimes(text: string): SeriesTimesAnswer {
  return seriesTimesOf(new Reader(text).document(), (s) => (s as RawSeries)[TIMES]);
}

/** The answer of a times-only read: the series of each statement, or the errors InfluxDB gave. */
export interface SeriesTimesAnswer {
  error?: string;
  results: Array<{ error?: string; series: TimeSeries[] }>;
}

/**
 * An answer to /query decoded as a value (from JSON or MessagePack) as `SeriesTimesAnswer`: each
 * series' times are `read(series)` when the decoder took them out already, else the time column of
 * its `values`, each as Number() makes it.
 */
export function seriesTimesOf(answer: unknown, read: (series: object) => number[] | undefined): SeriesTimesAnswer {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new SyntaxError('not an object');
  const { error, results } = answer as RawAnswer;
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
          times: read(s) ?? timesOf(s.columns, s.values),
        })),
      };
    }),
  };
}

/** Where the reader puts the times it read in place of `values` (not a key JSON can hold). */
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
  return values.map((row) => Number(Array.isArray(row) ? (row as unknown[])[at] : undefined));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

class Reader {
  private i = 0;

  constructor(private readonly s: string) {}

  document(): unknown {
    const value = this.value();
    this.space();
    if (this.i !== this.s.length) this.fail();
    return value;
  }

  private fail(): never {
    throw new SyntaxError(`unexpected input at position ${this.i} of InfluxDB's answer`);
  }

  private space(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  private expect(code: number): void {
    this.space();
    if (this.s.charCodeAt(this.i) !== code) this.fail();
    this.i++;
  }

  /** Whether the next character (after spaces) is `code`; taken when it is. */
  private take(code: number): boolean {
    this.space();
    if (this.s.charCodeAt(this.i) !== code) return false;
    this.i++;
    return true;
  }

  private value(): unknown {
    this.space();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === QUOTE) return this.string();
    return this.scalar();
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    if (this.take(0x7d)) return out;
    do {
      this.space();
      if (this.s.charCodeAt(this.i) !== QUOTE) this.fail();
      const key = this.string();
      this.expect(0x3a);
      const at = key === 'values' && Array.isArray(out.columns) ? out.columns.indexOf('time') : -1;
      if (at >= 0) (out as RawSeries)[TIMES] = this.rowTimes(at);
      else if (key === '__proto__') {
        // An own key, as JSON.parse makes it, not the object's prototype.
        Object.defineProperty(out, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
      } else out[key] = this.value();
    } while (this.take(0x2c));
    this.expect(0x7d);
    return out;
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    if (this.take(0x5d)) return out;
    do out.push(this.value());
    while (this.take(0x2c));
    this.expect(0x5d);
    return out;
  }

  /** `[[…], …]` rows, keeping column `at` of each as a number (what Number() makes of the value; NaN when absent). */
  private rowTimes(at: number): number[] {
    const times: number[] = [];
    this.expect(0x5b);
    if (this.take(0x5d)) return times;
    do {
      // InfluxDB's own rows: `[` integer time `,` number or literal `]`, without spaces.
      if (at === 0) {
        const time = this.plainRow();
        if (time !== undefined) {
          times.push(time);
          continue;
        }
      }
      this.expect(0x5b);
      let time = NaN;
      let column = 0;
      if (!this.take(0x5d)) {
        do {
          if (column === at) time = this.number();
          else this.skip();
          column++;
        } while (this.take(0x2c));
        this.expect(0x5d);
      }
      times.push(time);
    } while (this.take(0x2c));
    this.expect(0x5d);
    return times;
  }

  /**
   * The time of a row `[t,v]` at the reader's position, t a plain integer and v a number, true,
   * false or null (InfluxDB's heartbeat rows), the reader moved past it; undefined (and the reader
   * left where it was) for any other row, which the general path then reads. An integer summed
   * digit by digit in a double is exact while it is a safe integer: every partial sum is smaller,
   * and once the true value is beyond 2^53 so is the sum (larger ones are left to Number()).
   */
  private plainRow(): number | undefined {
    const s = this.s;
    let i = this.i;
    if (s.charCodeAt(i) !== 0x5b) return undefined;
    const digits = ++i;
    let n = 0;
    for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i)) n = n * 10 + (c - ZERO);
    if (i === digits || n > Number.MAX_SAFE_INTEGER || (s.charCodeAt(digits) === ZERO && i > digits + 1))
      return undefined;
    if (s.charCodeAt(i) !== 0x2c) return undefined;
    const value = ++i;
    for (let c = s.charCodeAt(i); c < 128 && IN_SCALAR[c] === 1; c = s.charCodeAt(++i));
    if (i === value || s.charCodeAt(i) !== 0x5d) return undefined;
    // Checked as JSON: a number or a literal, nothing else.
    SCALAR.lastIndex = value;
    if (!SCALAR.test(s) || SCALAR.lastIndex !== i) return undefined;
    this.i = i + 1;
    return n;
  }

  /** A time: a JSON integer read digit by digit; anything else as Number() reads the value. */
  private number(): number {
    this.space();
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === MINUS) i++;
    let n = 0;
    const digits = i;
    for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i)) n = n * 10 + (c - ZERO);
    const c = s.charCodeAt(i);
    const plain = i > digits && n <= Number.MAX_SAFE_INTEGER && c !== 0x2e && c !== 0x65 && c !== 0x45;
    if (plain && (s.charCodeAt(digits) !== ZERO || i === digits + 1)) {
      this.i = i;
      return start === digits ? n : -n;
    }
    return Number(this.value());
  }

  /** Past a value that is not kept: scalars and strings are checked, not built. */
  private skip(): void {
    this.space();
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === QUOTE) {
      let i = this.i + 1;
      for (let d = s.charCodeAt(i); d !== QUOTE; d = s.charCodeAt(++i)) {
        if (d === BACKSLASH) i++;
        else if (!(d >= 0x20)) this.fail(); // a control character, or the end of the text (NaN)
      }
      this.i = i + 1;
      return;
    }
    if (c === 0x7b || c === 0x5b) {
      this.value();
      return;
    }
    SCALAR.lastIndex = this.i;
    if (!SCALAR.test(s)) this.fail();
    const end = SCALAR.lastIndex;
    if (end < s.length && !isDelimiter(s.charCodeAt(end))) this.fail();
    this.i = end;
  }

  private string(): string {
    const s = this.s;
    const start = ++this.i;
    let escaped = false;
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === BACKSLASH) {
        escaped = true;
        i++;
      } else if (c === QUOTE) {
        this.i = i + 1;
        return escaped ? (JSON.parse(s.slice(start - 1, i + 1)) as string) : s.slice(start, i);
      } else if (c < 0x20) this.fail();
    }
    return this.fail();
  }

  private scalar(): unknown {
    const s = this.s;
    const start = this.i;
    let i = start;
    for (let c = s.charCodeAt(i); i < s.length && !isDelimiter(c); c = s.charCodeAt(++i));
    if (i === start) this.fail();
    this.i = i;
    // true, false, null or a number, with JSON's own rules.
    return JSON.parse(s.slice(start, i)) as unknown;
  }
}

/** Characters of JSON numbers and literals (true, false, null). */
const IN_SCALAR = new Uint8Array(128);
for (const c of '0123456789+-.eEtruefalsn') IN_SCALAR[c.charCodeAt(0)] = 1;

/** A JSON number or literal, where it starts (sticky). */
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** Where a scalar ends: a space, `,`, `]`, `}` or `:`. */
function isDelimiter(c: number): boolean {
  return c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
