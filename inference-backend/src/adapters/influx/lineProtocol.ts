import type { SeriesPoint } from '../../domain/series';

/**
 * Line protocol for InfluxDB's v1 `/write`, escaped by hand. The client library's `Point` is not
 * used because it writes a tab, CR or LF in a tag as the two characters `\t`, `\r`, `\n` (InfluxDB
 * stores them literally, so a filter with the real value no longer finds the series) and leaves a
 * trailing backslash in a tag bare, where it escapes the separator after it and InfluxDB refuses
 * the line.
 *
 * What InfluxDB 1.6.7 stores exactly as sent (measured character by character and with the
 * property tests in tests/influx/escaping.test.ts):
 * - string field values: every Unicode string, NUL, CR, LF and tab included, with `\` and `"`
 *   escaped by a backslash. No length limit below 1 MB was found.
 * - tag keys and values: every Unicode string with `,`, space and `=` escaped by a backslash
 *   (NUL, CR, tab, DEL and the C1 controls are stored raw), except
 *   - an LF: a raw one ends the line, and `\`+LF keeps the backslash;
 *   - a trailing backslash: InfluxDB has no escape for a backslash, so it escapes the separator;
 *   - a backslash before a space, when a later backslash before a comma or `=` in the key puts
 *     InfluxDB's line splitter (which pairs backslashes, unlike the tag parser) out of step with
 *     the quotes of the string fields: the batch is then split at the wrong places (measured).
 *     `scansAsOneLine` replays that splitter, so only the lines it would misread are refused.
 * - measurement names and field keys: the field scanner pairs backslashes and the measurement is
 *   unescaped by other rules than its scanner's, so a backslash in them does not always survive;
 *   only names without backslash and LF are written. A leading tab or NUL is skipped as
 *   whitespace and a leading `#` makes the line a comment.
 * - the series key (escaped measurement and tags) plus `#!~#` plus the escaped field key must fit
 *   in 65,535 bytes.
 * - lone UTF-16 surrogates have no UTF-8 encoding.
 *
 * A name or tag outside these rules throws `UnrepresentableValueError` instead of being rewritten:
 * tags are identity, and any canonical form (LF → space, dropping the backslash) would be a
 * different value that another series may hold, so a later filter with the caller's value would
 * miss its own point or find someone else's. The API refuses such values up front (`tagValue` in
 * the contract) with a 400. The one rewrite is in string fields, which are free text: a lone
 * surrogate (only a JSON body's `\ud800` escape makes one) becomes U+FFFD, as every UTF-8 encoder
 * and the client library did before, rather than failing a complaint over one broken character.
 */

export const LINE_PROTOCOL_PRECISION = 'u';

/** InfluxDB 1.x: series key + `#!~#` + field key, in bytes (`max key length exceeded` beyond). */
export const MAX_SERIES_KEY_BYTES = 65_535;
const FIELD_KEY_SEPARATOR_BYTES = '#!~#'.length;

export type LinePart = 'measurement' | 'tag key' | 'tag value' | 'field key' | 'field value' | 'timestamp';

/** A point that line protocol cannot carry unchanged. The message names the part, never the value. */
export class UnrepresentableValueError extends Error {
  constructor(
    readonly part: LinePart,
    /** The measurement, tag or field the value belongs to. */
    readonly key: string,
    readonly reason: string
  ) {
    super(`${partLabel(part, key)} cannot be written to InfluxDB: ${reason}`);
    this.name = 'UnrepresentableValueError';
  }
}

export function toLineProtocol(point: SeriesPoint): string {
  let key = checkedMeasurement(point.measurement);
  // Tags are appended as they come while their escaped keys come in order, as the pipeline's points
  // name them (no object per tag, issue 13); the first one out of order sends them all to the sort.
  let tags: EscapedTag[] | undefined;
  let lastEscapedKey: string | undefined;
  let appended = 0;
  for (const k in point.tags) {
    if (!Object.hasOwn(point.tags, k)) continue;
    const v = point.tags[k];
    // InfluxDB rejects empty tag values; an absent tag is the faithful encoding.
    if (v === '') continue;
    const escapedKey = checkedTagKey(k);
    const escapedValue = checkedTagValue(k, v);
    if (tags === undefined && (lastEscapedKey === undefined || compareCodePoints(lastEscapedKey, escapedKey) <= 0)) {
      key += `,${escapedKey}=${escapedValue}`;
      lastEscapedKey = escapedKey;
      appended++;
      continue;
    }
    tags ??= firstTags(point.tags, appended);
    tags.push({ escapedKey, escapedValue });
  }
  if (tags !== undefined) {
    // InfluxDB compares tag keys as escaped bytes; sorted input spares it a re-sort of the key.
    tags.sort((a, b) => compareCodePoints(a.escapedKey, b.escapedKey));
    key = checkedMeasurement(point.measurement);
    for (let i = 0; i < tags.length; i++) key += `,${tags[i].escapedKey}=${tags[i].escapedValue}`;
  }

  let fields = '';
  let longestFieldKeyBytes = 0;
  const fieldNames = sortedKeys(point.fields);
  const intNames = point.intFields ? sortedKeys(point.intFields) : [];
  for (let i = 0; i < fieldNames.length + intNames.length; i++) {
    const isInt = i >= fieldNames.length;
    const name = isInt ? intNames[i - fieldNames.length] : fieldNames[i];
    let encoded: string;
    if (isInt) encoded = intLiteral(name, (point.intFields as Record<string, number>)[name]);
    else {
      const value = point.fields[name];
      if (typeof value === 'number') encoded = floatLiteral(name, value);
      else if (typeof value === 'boolean') encoded = value ? 'T' : 'F';
      else encoded = stringLiteral(value);
    }
    const checked = checkedFieldKey(name);
    if (checked.bytes > longestFieldKeyBytes) longestFieldKeyBytes = checked.bytes;
    fields += fields === '' ? `${checked.escaped}=${encoded}` : `,${checked.escaped}=${encoded}`;
  }
  if (fields === '') {
    throw new UnrepresentableValueError('measurement', point.measurement, `the point at ${point.timeUs} has no fields`);
  }

  // A UTF-16 code unit is at most 3 UTF-8 bytes: most keys are far enough below the limit to skip counting.
  if (key.length * 3 + FIELD_KEY_SEPARATOR_BYTES + longestFieldKeyBytes > MAX_SERIES_KEY_BYTES) {
    const keyBytes = Buffer.byteLength(key) + FIELD_KEY_SEPARATOR_BYTES + longestFieldKeyBytes;
    if (keyBytes > MAX_SERIES_KEY_BYTES) {
      const longest = longestTag(point.tags);
      throw new UnrepresentableValueError(
        longest ? 'tag value' : 'measurement',
        longest ? longest[0] : point.measurement,
        `the series key would be ${keyBytes} bytes, over InfluxDB's limit of ${MAX_SERIES_KEY_BYTES}`
      );
    }
  }

  if (!Number.isSafeInteger(Math.trunc(point.timeUs))) {
    throw new UnrepresentableValueError('timestamp', point.measurement, `${point.timeUs} is not a time in µs`);
  }
  const line = `${key} ${fields} ${Math.trunc(point.timeUs)}`;
  // Without any backslash the splitter cannot go wrong: names and tags hold no LF, string fields no
  // quote, so every quote it meets opens or closes a string field (see scansAsOneLine).
  if (line.includes('\\') && !scansAsOneLine(line)) throw misreadLineError(point);
  return line;
}

interface EscapedTag {
  escapedKey: string;
  escapedValue: string;
}

/** The first `n` non-empty tags of `tags`, escaped (they were checked already). */
function firstTags(tags: SeriesPoint['tags'], n: number): EscapedTag[] {
  const out: EscapedTag[] = [];
  for (const k in tags) {
    if (out.length === n) break;
    if (!Object.hasOwn(tags, k) || tags[k] === '') continue;
    out.push({ escapedKey: checkedTagKey(k), escapedValue: checkedTagValue(k, tags[k]) });
  }
  return out;
}

/** The non-empty tag with the longest value, as [key, value]: what to blame for a series key too long. */
function longestTag(tags: SeriesPoint['tags']): [string, string] | undefined {
  let longest: [string, string] | undefined;
  for (const [k, v] of Object.entries(tags))
    if (v !== '' && (longest === undefined || v.length > longest[1].length)) longest = [k, v];
  return longest;
}

/**
 * Names, tag keys and tag values already checked, with their escaped forms: the pipeline writes
 * the same few measurement names, keys, hosts and sites on every point (issue 13: line protocol
 * was a tenth of the pipeline's time). Only accepted texts are kept, so a refused one is checked,
 * and refused, every time. Bounded: a cache full of one-off values is emptied and starts again.
 */
class CheckedCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly maxEntries: number) {}

  /** What `check(text)` returned for `text`; checked once. No closure per call (issue 13: 22 a point). */
  get<A>(text: string, check: (text: string, extra: A) => T, extra: A): T {
    let value = this.entries.get(text);
    if (value === undefined) {
      value = check(text, extra);
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(text, value);
    }
    return value;
  }
}

const measurements = new CheckedCache<string>(1024);
const fieldKeys = new CheckedCache<{ escaped: string; bytes: number }>(1024);
const tagKeys = new CheckedCache<string>(1024);
const tagValues = new CheckedCache<string>(16_384);

function checkedMeasurement(name: string): string {
  return measurements.get(name, checkMeasurement, undefined);
}

function checkMeasurement(name: string): string {
  checkName('measurement', name);
  return escapeMeasurement(name);
}

function checkedFieldKey(name: string): { escaped: string; bytes: number } {
  return fieldKeys.get(name, checkFieldKey, undefined);
}

function checkFieldKey(name: string): { escaped: string; bytes: number } {
  checkName('field key', name);
  const escaped = escapeTag(name);
  return { escaped, bytes: Buffer.byteLength(escaped) };
}

function checkedTagKey(key: string): string {
  return tagKeys.get(key, checkTagKey, undefined);
}

function checkTagKey(key: string): string {
  checkTagText('tag key', key, key);
  return escapeTag(key);
}

/** The check of a value does not depend on its key; only a refusal names the key. */
function checkedTagValue(key: string, value: string): string {
  return tagValues.get(value, checkTagValue, key);
}

function checkTagValue(value: string, key: string): string {
  checkTagText('tag value', key, value);
  return escapeTag(value);
}

/** Field names in the order they are written; the pipeline's points name them in that order already. */
function sortedKeys(record: object): readonly string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.sort();
  return keys;
}

function partLabel(part: LinePart, key: string): string {
  const name = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
  if (part === 'measurement') return `measurement ${name}`;
  if (part === 'timestamp') return `the time of a ${name} point`;
  if (part === 'tag key' || part === 'tag value') return `tag ${name}`;
  return `field ${name}`;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const LONE_SURROGATES = /[\uD800-\uDFFF]/gu;

function checkText(part: LinePart, key: string, text: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw new UnrepresentableValueError(
      part,
      key,
      `its ${what(part)} holds a lone UTF-16 surrogate, which UTF-8 cannot encode`
    );
  }
}

function checkTagText(part: 'tag key' | 'tag value', key: string, text: string): void {
  if (text === '') throw new UnrepresentableValueError(part, key, `its ${what(part)} is empty`);
  checkText(part, key, text);
  if (text.includes('\n')) {
    throw new UnrepresentableValueError(
      part,
      key,
      `its ${what(part)} holds a line feed, which line protocol cannot escape in a tag`
    );
  }
  if (text.endsWith('\\')) {
    throw new UnrepresentableValueError(
      part,
      key,
      `its ${what(part)} ends with a backslash, which line protocol cannot escape`
    );
  }
}

/** Measurement names and field keys: fixed names from the code, so the rule is the simple safe one. */
function checkName(part: 'measurement' | 'field key', name: string): void {
  if (name === '') throw new UnrepresentableValueError(part, name, 'the name is empty');
  checkText(part, name, name);
  if (/[\\\n]/.test(name)) {
    throw new UnrepresentableValueError(part, name, 'the name holds a backslash or a line feed');
  }
  if (name[0] === '\t' || name[0] === '\0') {
    throw new UnrepresentableValueError(
      part,
      name,
      'the name starts with a tab or NUL, which InfluxDB skips as whitespace'
    );
  }
  if (part === 'measurement' && name[0] === '#') {
    throw new UnrepresentableValueError(part, name, "the name starts with '#', which makes the line a comment");
  }
}

function what(part: LinePart): string {
  return part === 'tag key' || part === 'field key' ? 'key' : part === 'measurement' ? 'name' : 'value';
}

function escapeMeasurement(name: string): string {
  return name.replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys: InfluxDB unescapes exactly `\,`, `\ ` and `\=` there. */
function escapeTag(text: string): string {
  return text.replace(/[, =]/g, (c) => `\\${c}`);
}

/** Quotes, backslashes and surrogates (paired or not): only then is there anything to replace. */
const NEEDS_STRING_ESCAPE = /["\\\uD800-\uDFFF]/;

function stringLiteral(value: string): string {
  if (!NEEDS_STRING_ESCAPE.test(value)) return `"${value}"`;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`).replace(LONE_SURROGATES, '\ufffd')}"`;
}

function floatLiteral(name: string, value: number): string {
  if (!Number.isFinite(value))
    throw new UnrepresentableValueError('field value', name, `${value} is not a number InfluxDB stores`);
  return String(value);
}

/** InfluxDB integers are int64; beyond ±2^63 (and for NaN) there is nothing to write. */
function intLiteral(name: string, value: number): string {
  if (Number.isNaN(value) || value <= -9.223372036854776e18 || value >= 9.223372036854776e18) {
    throw new UnrepresentableValueError('field value', name, `${value} is not an integer InfluxDB stores`);
  }
  return `${Math.floor(value)}i`;
}

/** UTF-8 byte order, which is code point order (plain `<` compares UTF-16 code units). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate starts a code point above U+FFFF, so it sorts after every other code unit.
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Replays InfluxDB 1.x's `scanLine`, which finds where a line of a batch ends before the line is
 * parsed: it skips a backslash and the byte after it, counts `=` and `,` once it has seen a
 * space, and ignores an LF between double quotes. The line must scan to its end with the quotes
 * closed, or the LF after it would not end it (or an LF inside a string field would). Comparing
 * UTF-16 code units is enough: every byte it looks at is ASCII, and no multi-byte UTF-8 sequence
 * holds an ASCII byte.
 */
export function scansAsOneLine(line: string): boolean {
  let quoted = false;
  let fields = false;
  let equals = 0;
  let commas = 0;
  // Char codes rather than line[i]: this runs over every byte the pipeline writes (issue 13).
  for (let i = 0; i < line.length;) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === SPACE) fields = true;
    if (fields) {
      if (!quoted && c === EQUALS) {
        equals++;
        i++;
        continue;
      }
      if (!quoted && c === COMMA) {
        commas++;
        i++;
        continue;
      }
      if (c === QUOTE && equals > commas) {
        quoted = !quoted;
        i++;
        continue;
      }
    }
    if (c === LINE_FEED && !quoted) return false;
    i++;
  }
  return !quoted;
}

const BACKSLASH = 0x5c;
const SPACE = 0x20;
const EQUALS = 0x3d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const LINE_FEED = 0x0a;

/** An odd run of backslashes before a space: the space InfluxDB's line splitter takes for the end of the key. */
const BACKSLASH_BEFORE_SPACE = /(?:^|[^\\])(?:\\\\)*\\ /;

function misreadLineError(point: SeriesPoint): UnrepresentableValueError {
  const reason =
    'a backslash before a space in it, with another backslash before a comma or equals sign in the point, ' +
    'makes InfluxDB misread where the line ends';
  for (const [k, v] of Object.entries(point.tags)) {
    if (BACKSLASH_BEFORE_SPACE.test(k)) return new UnrepresentableValueError('tag key', k, reason);
    if (v !== '' && BACKSLASH_BEFORE_SPACE.test(v)) return new UnrepresentableValueError('tag value', k, reason);
  }
  return new UnrepresentableValueError('measurement', point.measurement, 'InfluxDB would misread where the line ends');
}
