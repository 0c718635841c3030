import { isUtf8 } from 'node:buffer';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { plural } from '@nocai/contract';

/**
 * A file the user named that cannot be used as given (missing, a directory, binary, too big,
 * malformed): bad usage, exit code 2. The message is one sentence that names the file.
 */
export class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

/** Raised by the parsers for one bad line; `readTableFile` prefixes the file name. */
export class TableFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableFormatError';
  }
}

const BYTES_PER_MB = 1_000_000;
/**
 * Decimal megabytes on purpose: 512 MB (512,000,000 bytes) stays below V8's longest string
 * (2^29 - 24 characters), so a file under the default limit can always be decoded as one string.
 */
export const DEFAULT_MAX_INPUT_MB = 512;
/** Longer cells are pasted logs or blobs, not ticket text: one of 150 MB took `nocai train` past 4 GB. */
export const DEFAULT_MAX_CELL_CHARS = 100_000;
/**
 * A NUL byte this near the start means a binary file (where git and grep look); one further on is
 * named by its line.
 */
const BINARY_SNIFF_BYTES = 8192;
const READ_CHUNK_BYTES = 1 << 20;
const WHOLE_READ_MAX_BYTES = 64 << 20;
/** Longest piece of a user's data quoted in an error message. */
const QUOTED_MAX_CHARS = 80;

/**
 * Control, format, private-use, unassigned and lone-surrogate code points: a terminal may act on
 * them (ANSI escapes, bidi overrides) or show nothing, so they are written as escapes instead.
 */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]/u;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCodePoint(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named) return named;
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * `text` as it may be quoted in an error message: non-printable characters escaped (`\x1b`,
 * `\u{202e}`) and at most `maxChars` characters, the last one `…` when cut.
 */
export function printable(text: string, maxChars = QUOTED_MAX_CHARS): string {
  let out = '';
  // The longest prefix of whole pieces that leaves room for the `…`, so an escape is never cut.
  let kept = '';
  for (const char of text) {
    const shown = NON_PRINTABLE.test(char) ? escapeCodePoint(char) : char;
    if (out.length + shown.length > maxChars) return `${kept}…`;
    out += shown;
    if (out.length <= maxChars - 1) kept = out;
  }
  return out;
}

/** A file name as given on the command line, escaped; long paths are real, so they are not cut. */
export function printablePath(file: string): string {
  return printable(file, Number.POSITIVE_INFINITY);
}

/** Structural, not `instanceof Error`: errors of node's fs may come from another realm (jest's vm). */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** One sentence for a failed stat, open or read of `file`. */
export function unreadableFileMessage(file: string, error: unknown): string {
  const shown = printablePath(file);
  const code = errnoCode(error);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `no such file ${shown}.`;
    case 'EISDIR':
      return `${shown} is a directory, not a file.`;
    case 'EACCES':
    case 'EPERM':
      return `cannot read ${shown}: permission denied.`;
    default:
      return `cannot read ${shown}: ${code ?? printable(String(error))}.`;
  }
}

export interface InputLimits {
  /** Largest file read, in MB (10^6 bytes). */
  maxInputMb?: number;
  /** How the user raises the limit, named in the error (`--max-input-mb`). */
  limitHint?: string;
  /**
   * Refuse bytes that are not UTF-8, naming their line. Tables need it: a Latin-1 `Müller` would
   * otherwise be read as `M\ufffdller`, a class or category no UTF-8 file ever matches. Logs do not:
   * mining templates from a line with a stray byte is better than refusing the file.
   */
  utf8Only?: boolean;
}

const megabytes = (bytes: number) => (bytes / BYTES_PER_MB).toFixed(bytes < BYTES_PER_MB ? 3 : 1);

/** Line (from 1) of the byte at `offset` of the chunks read so far. */
function lineAt(chunks: readonly Buffer[], offset: number): number {
  let line = 1;
  let start = 0;
  for (const chunk of chunks) {
    const end = Math.min(chunk.length, offset - start);
    for (let i = chunk.indexOf(LF); i >= 0 && i < end; i = chunk.indexOf(LF, i + 1)) line++;
    start += chunk.length;
    if (start >= offset) break;
  }
  return line;
}

/**
 * Reads at most `maxBytes + 1` bytes: a pipe or device has no size to check beforehand. A NUL
 * byte stops the reading where it is found, so `/dev/zero` or `/dev/urandom` are refused at once
 * instead of after 512 MB, and no NUL byte ever reaches the commands' output.
 */
async function readAtMost(
  file: string,
  maxBytes: number,
  tooBig: () => InputFileError,
  hasNul: (offset: number, line: number) => InputFileError,
  sizeHint?: number
): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // A regular file of at most WHOLE_READ_MAX_BYTES in one read, and one byte more to see it
      // end: no chunks to join. Larger ones (and pipes) by chunks, so that a NUL byte stops them early.
      const wanted =
        chunks.length === 0 && sizeHint !== undefined && sizeHint < WHOLE_READ_MAX_BYTES
          ? sizeHint + 1
          : READ_CHUNK_BYTES;
      const chunk = Buffer.allocUnsafe(Math.min(wanted, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const read = chunk.subarray(0, bytesRead);
      chunks.push(read);
      const nul = read.indexOf(0);
      if (nul >= 0) throw hasNul(total + nul, lineAt(chunks, total + nul));
      total += bytesRead;
      if (total > maxBytes) throw tooBig();
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * The text of an input file the user named, or an `InputFileError` saying in one sentence why
 * not: missing, a directory, unreadable, over the size limit (checked with stat before reading),
 * binary (a NUL byte in its first 8 KB) or holding a NUL byte further on (named by its line).
 */
export async function readInputText(file: string, limits: InputLimits = {}): Promise<string> {
  const { maxInputMb = DEFAULT_MAX_INPUT_MB, limitHint } = limits;
  const maxBytes = Math.floor(maxInputMb * BYTES_PER_MB);
  const shown = printablePath(file);
  const tooBig = (size?: number) =>
    new InputFileError(
      `${shown} is ${size === undefined ? 'larger than' : `${megabytes(size)} MB, over`} the ${maxInputMb} MB limit` +
        `${limitHint ? ` (raise it with ${limitHint})` : ''}.`
    );
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new InputFileError(`${shown} is a directory, not a file.`);
    if (info.isFile() && info.size > maxBytes) throw tooBig(info.size);
    bytes = await readAtMost(
      file,
      maxBytes,
      () => tooBig(),
      (offset, line) =>
        new InputFileError(
          offset < BINARY_SNIFF_BYTES
            ? `${shown} looks like a binary file, not CSV/JSONL/text.`
            : `${shown} has a NUL byte on line ${line}, so it is not CSV/JSONL/text.`
        ),
      info.isFile() ? info.size : undefined
    );
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(unreadableFileMessage(file, error));
  }
  if (limits.utf8Only && !isUtf8(bytes)) {
    throw new InputFileError(
      `${shown} is not UTF-8 text: line ${firstNonUtf8Line(bytes)} holds bytes that are not UTF-8 ` +
        '(a file saved as Latin-1 or Windows-1252?); save it as UTF-8.'
    );
  }
  try {
    return bytes.toString('utf8');
  } catch {
    // Only when the user raised the limit past what V8 can hold in one string.
    throw new InputFileError(`${shown} is too large to read as text; split it into smaller files.`);
  }
}

/** The line (from 1) holding the first byte sequence of `bytes` that is not UTF-8. */
function firstNonUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(LF, start);
    const stop = end === -1 ? bytes.length : end;
    if (!isUtf8(bytes.subarray(start, stop))) return line;
    line++;
    start = stop + 1;
  }
  return line;
}

/** A CSV record and the line of the file it starts on (records may span lines inside quotes). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Where the next `char` of `text` is at or after a position (`text.length` when there is none).
 * The parser only moves forward, so the answer is kept until the parser passes it: each
 * character is scanned once, by the engine's native indexOf, where a regex search per field
 * (`/[,\r\n]/g`) or a loop over the characters of a quoted cell cost several times more
 * (issue 9: `nocai predict` throughput).
 */
class NextOf {
  private at = -1;

  constructor(
    private readonly text: string,
    private readonly char: string
  ) {}

  /** Only for positions at or after those asked before. */
  from(position: number): number {
    if (this.at < position) {
      const found = this.text.indexOf(this.char, position);
      this.at = found < 0 ? this.text.length : found;
    }
    return this.at;
  }
}

/**
 * RFC 4180 CSV, each record handed to `onRecord` with the line it starts on: quoted fields may
 * hold commas, line breaks and doubled quotes. Fields are cut with slices, never grown a
 * character at a time: a 30 MB cell built that way took 1 GB. A quote inside an unquoted field
 * is kept as written (as Python's csv does), so `5" disk` cannot swallow the lines after it; a
 * quoted field that never closes is an error. Line breaks are LF, CRLF or a lone CR. `blank` says
 * the record is a wholly empty line, which a record of one quoted empty cell (`""`) is not.
 */
function scanCsv(text: string, onRecord: (line: number, fields: string[], blank: boolean) => void): void {
  const commas = new NextOf(text, ',');
  const lineFeeds = new NextOf(text, '\n');
  const returns = new NextOf(text, '\r');
  const nextDelimiter = (from: number) => Math.min(commas.from(from), lineFeeds.from(from), returns.from(from));
  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    let field: string;
    if (text.charCodeAt(i) === QUOTE) {
      quoted = true;
      const openedOn = line;
      // The pieces between doubled quotes, joined once; most cells have none, and are one slice.
      const parts: string[] = [];
      let from = i + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close < 0) throw new TableFormatError(`line ${openedOn} opens a quoted cell that is never closed`);
        // Line breaks inside the cell: each LF, and each CR not followed by an LF.
        for (let at = lineFeeds.from(from); at < close; at = lineFeeds.from(at + 1)) line++;
        for (let at = returns.from(from); at < close; at = returns.from(at + 1)) {
          if (text.charCodeAt(at + 1) !== LF) line++;
        }
        parts.push(text.slice(from, close));
        if (text.charCodeAt(close + 1) !== QUOTE) {
          i = close + 1;
          break;
        }
        parts.push('"');
        from = close + 2;
      }
      // Anything between the closing quote and the delimiter is kept as written.
      const end = nextDelimiter(i);
      if (end > i) parts.push(text.slice(i, end));
      field = parts.length === 1 ? parts[0] : parts.join('');
      i = end;
    } else {
      const end = nextDelimiter(i);
      field = text.slice(i, end);
      i = end;
    }
    fields.push(field);
    const ch = text.charCodeAt(i);
    if (ch === COMMA) {
      i++;
      // A comma at the very end still ends a field: `a,` is two fields.
      if (i === text.length) fields.push('');
      continue;
    }
    if (ch === CR || ch === LF) i += ch === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
    onRecord(recordLine, fields, !quoted && fields.length === 1 && fields[0] === '');
    fields = [];
    quoted = false;
    line++;
    recordLine = line;
  }
  if (fields.length > 0) onRecord(recordLine, fields, !quoted && fields.length === 1 && fields[0] === '');
}

/** Every record of a CSV text with the line it starts on (see scanCsv for the dialect). */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  scanCsv(text, (line, fields) => records.push({ line, fields }));
  return records;
}

/** The fields of every record, in file order. */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).map((record) => record.fields);
}

/**
 * First characters that make Excel, LibreOffice and Google Sheets read a cell as a formula
 * (OWASP "CSV Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * A plain decimal number (`-0.5`, `+3`, `-1e-9`): spreadsheets read it as a number and it cannot
 * call anything, so negative readings and scores keep their value instead of turning into text.
 */
const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Numbers are ours (line numbers, scores) and written as they are. Strings come from the user's
 * data (cells, column names, comments, log lines) and may be read in a spreadsheet: one that
 * would start a formula gets a leading `'`, which spreadsheets take as "this is text", and is
 * quoted, as OWASP recommends. Readers of our CSV keep the `'`: it cannot be told apart from a
 * cell that really starts with one, and the text models ignore punctuation.
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  if (FORMULA_START.test(value) && !PLAIN_NUMBER.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return needsQuotes(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Whether a field holds a quote, comma or line break: four native scans, a third of the time of
 * `/[",\n\r]/.test` on ticket text (predict writes every input cell back out).
 */
function needsQuotes(value: string): boolean {
  return value.includes('"') || value.includes(',') || value.includes('\n') || value.includes('\r');
}

/**
 * One CSV line (without its line break), quoting only the fields that need it. Every CSV the
 * CLI writes goes through here, so formula neutralising lives in one place.
 */
export function toCsvRow(values: ReadonlyArray<string | number>): string {
  // One empty cell is written `""`, as Python's csv does: an empty line would be read as no row.
  if (values.length === 1 && values[0] === '') return '""';
  return values.map(csvField).join(',');
}

/**
 * The sentence (without the file name) refusing a header that names a column twice, or undefined.
 * `names` are the header's names as the reader matches them (trimmed, lower-cased by the readers
 * that ignore case); only those in `wanted` count when it is given (readers that ignore the other
 * columns). Two same-named columns cannot both be kept in a row keyed by name: one would be read
 * or written back in place of the other without a word.
 */
export function repeatedColumnMessage(names: readonly string[], wanted?: readonly string[]): string | undefined {
  const first = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (wanted && !wanted.includes(name)) continue;
    const earlier = first.get(name);
    if (earlier === undefined) {
      first.set(name, i);
      continue;
    }
    const where = `(columns ${earlier + 1} and ${i + 1})`;
    return name === ''
      ? `has two columns without a name in its header ${where}; name or remove them`
      : `has two columns named "${printable(name)}" in its header ${where}; rename or remove one`;
  }
  return undefined;
}

/** A file of records with named columns, in file order. */
export interface Table {
  columns: string[];
  rows: Array<Record<string, string>>;
}

/**
 * Header row first; wholly empty lines are skipped. A row with more or fewer cells than the
 * header is an error naming its line: padding or cutting it would shift or lose values silently,
 * and so is a header naming a column twice.
 */
export function csvToTable(text: string): Table {
  let columns: string[] | undefined;
  let toRow: (fields: readonly string[]) => Record<string, string> = () => ({});
  const rows: Array<Record<string, string>> = [];
  // The first row of the wrong width, named once the whole text is parsed: a quoted cell that
  // never closes further on is the error the user sees, as when the text was parsed first.
  let ragged: TableFormatError | undefined;
  scanCsv(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, (line, fields, blank) => {
    if (!columns) {
      const header = fields.map((c) => c.trim());
      const repeated = repeatedColumnMessage(header);
      if (repeated) throw new TableFormatError(repeated);
      columns = header;
      toRow = rowMaker(header);
      return;
    }
    // A wholly empty line is no row; `""` is a row of one empty cell (a one-column file's empty text).
    if (ragged || blank) return;
    if (fields.length !== columns.length) {
      const hint = fields.length > columns.length ? '; quote cells that contain commas' : '';
      ragged = new TableFormatError(
        `line ${line} has ${plural(fields.length, 'cell')} but the header has ${columns.length}${hint}`
      );
      return;
    }
    rows.push(toRow(fields));
  });
  if (ragged) throw ragged;
  return { columns: columns ?? [], rows };
}

/**
 * The row object of a record's fields, as `Object.fromEntries` makes it (own data properties in
 * column order), without its entry arrays: plain
 * assignments, so every row shares one shape. A column named `__proto__` would set the
 * prototype when assigned, so a header with one keeps `Object.fromEntries`.
 */
function rowMaker(columns: readonly string[]): (fields: readonly string[]) => Record<string, string> {
  if (columns.includes('__proto__')) return (fields) => Object.fromEntries(columns.map((c, i) => [c, fields[i]]));
  return (fields) => {
    const row: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]] = fields[i];
    return row;
  };
}

/** JSON Lines of flat objects; the columns are the keys in order of first appearance. */
export function jsonlToTable(text: string): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows: Array<Record<string, string>> = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new TableFormatError(`line ${index + 1} is not valid JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TableFormatError(`line ${index + 1} is not a JSON object`);
    }
    const entries = Object.entries(parsed);
    // JSON.parse keeps the last of two equal keys: the first value would be lost without a word.
    if (topLevelKeys(line).length !== entries.length) {
      const keys = topLevelKeys(line);
      const twice = keys.findIndex((key, i) => keys.indexOf(key) !== i);
      throw new TableFormatError(
        `line ${index + 1} has the key "${printable(keys[twice])}" twice (keys ${keys.indexOf(keys[twice]) + 1} and ${twice + 1}); rename or remove one`
      );
    }
    const row: Record<string, string> = {};
    for (const [key, value] of entries) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
      // defineProperty: an assignment to `__proto__` would set the prototype and drop the value.
      Object.defineProperty(row, key, {
        value:
          value === null || value === undefined
            ? ''
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    rows.push(row);
  });
  for (const row of rows) {
    for (const c of columns) {
      if (!Object.prototype.hasOwnProperty.call(row, c)) {
        Object.defineProperty(row, c, { value: '', writable: true, enumerable: true, configurable: true });
      }
    }
  }
  return { columns, rows };
}

/**
 * The keys of a JSON object's text as written, repeats included, in order (the text is valid JSON:
 * `JSON.parse` read it first). Only strings at depth 1 followed by a colon are keys.
 */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c /* \ */) i++;
      if (depth !== 1) continue;
      let next = i + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      if (json[next] === ':') keys.push(JSON.parse(json.slice(start, i + 1)) as string);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return keys;
}

/**
 * A `.jsonl`/`.ndjson` file as JSON Lines, anything else as CSV with a header row. Every problem
 * with the file is an `InputFileError` whose message names it.
 */
export async function readTableFile(file: string, limits: InputLimits = {}): Promise<Table> {
  const text = await readInputText(file, { ...limits, utf8Only: true });
  const ext = extname(file).toLowerCase();
  try {
    return ext === '.jsonl' || ext === '.ndjson' ? jsonlToTable(text) : csvToTable(text);
  } catch (error) {
    if (error instanceof TableFormatError) throw new InputFileError(`${printablePath(file)} ${error.message}.`);
    throw error;
  }
}
