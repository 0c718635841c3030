/**
 * InfluxQL escaping. Every identifier and string literal built from input goes through these:
 * no request parameter reaches a query unescaped.
 *
 * InfluxQL 1.x's scanner knows only the escapes `\n`, `\\`, `\'` and `\"` inside quotes, reads NUL
 * as the end of the query and turns CR (and CRLF) into LF before the string scanner sees it; a raw
 * LF ends a quoted string. Every other character may stand raw (measured against influxd 1.6.7,
 * tests/influx/escaping.test.ts). So NUL and CR cannot be written in a quoted string or identifier
 * at all, nor can a lone UTF-16 surrogate (it has no UTF-8 encoding). For an equality filter on
 * such a value, `equalsCondition` falls back to an exact-match regex, where Go's regexp spells
 * them as `\x{0}` and `\x{d}`.
 */

/** A string InfluxQL cannot carry in quotes; `equalsCondition` builds a filter that matches it anyway. */
export class InexpressibleLiteralError extends RangeError {
  constructor(readonly reason: string) {
    super(`InfluxQL cannot quote this text: ${reason}`);
    this.name = 'InexpressibleLiteralError';
  }
}

/** `"name"`: backslashes and double quotes escaped, newlines spelled out. */
export function quoteIdentifier(name: string): string {
  return `"${escapeQuoted(name, '"')}"`;
}

/** `'value'`: backslashes and single quotes escaped, newlines spelled out. */
export function quoteString(value: string): string {
  return `'${escapeQuoted(value, "'")}'`;
}

/** Whether `quoteString`/`quoteIdentifier` can carry `text` exactly. */
export function isQuotable(text: string): boolean {
  return inexpressibleReason(text) === undefined;
}

/**
 * `"identifier" = 'value'`, or `"identifier" =~ /^value$/` when the value holds a character a quoted
 * string cannot: the condition matches exactly the stored value either way.
 */
export function equalsCondition(identifier: string, value: string): string {
  const operand = isQuotable(value) ? `= ${quoteString(value)}` : `=~ ${regexLiteralFor([value])}`;
  return `${quoteIdentifier(identifier)} ${operand}`;
}

/** `identifier` equal to any of `values` (a list filter of the API): `equalsCondition` for one, an exact regex for more. */
export function anyOfCondition(identifier: string, values: readonly string[]): string {
  if (values.length === 0) throw new RangeError(`no values to match ${identifier} against`);
  return values.length === 1
    ? equalsCondition(identifier, values[0])
    : `${quoteIdentifier(identifier)} =~ ${regexLiteralFor(values)}`;
}

/** `identifier` equal to none of `values` (an absent tag is the empty string, so it matches unless `''` is listed). */
export function noneOfCondition(identifier: string, values: readonly string[]): string {
  if (values.length === 0) throw new RangeError(`no values to exclude from ${identifier}`);
  return `${quoteIdentifier(identifier)} !~ ${regexLiteralFor(values)}`;
}

/** A regex literal matching `values` exactly, for `=~` filters (e.g. Grafana multi-value variables). */
export function regexLiteralFor(values: readonly string[]): string {
  return `/^(${values.map(regexSource).join('|')})$/`;
}

/** Microseconds since the epoch as an InfluxQL time literal (`1700000000000000u`). */
export function timeLiteralUs(timeUs: number): string {
  if (!Number.isSafeInteger(Math.trunc(timeUs))) throw new RangeError(`not a valid time: ${timeUs}`);
  return `${Math.trunc(timeUs)}u`;
}

/** Retention-policy durations as InfluxQL spells them (`30d`, `INF`). */
export function durationLiteral(duration: string): string {
  if (!/^(INF|(\d+(ns|u|µ|ms|s|m|h|d|w))+)$/.test(duration)) {
    throw new RangeError(`not an InfluxQL duration: ${duration}`);
  }
  return duration;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function inexpressibleReason(text: string): string | undefined {
  if (text.includes('\0')) return 'it holds a NUL character, which ends an InfluxQL query; filter with equalsCondition';
  if (text.includes('\r'))
    return 'it holds a carriage return, which InfluxQL reads as a line feed; filter with equalsCondition';
  if (LONE_SURROGATE.test(text)) return 'it holds a lone UTF-16 surrogate, which UTF-8 cannot encode';
  return undefined;
}

function escapeQuoted(text: string, quote: '"' | "'"): string {
  const reason = inexpressibleReason(text);
  if (reason) throw new InexpressibleLiteralError(reason);
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else out += ch;
  }
  return out;
}

/**
 * `value` as Go regexp source inside InfluxQL's `/…/`: regexp metacharacters escaped, `/` as `\/`
 * (InfluxQL's scanner turns it into `/`; it passes every other backslash through unchanged),
 * control characters as `\x{…}` because a raw NUL, CR or LF ends or breaks the literal.
 */
function regexSource(value: string): string {
  if (LONE_SURROGATE.test(value)) {
    throw new InexpressibleLiteralError('it holds a lone UTF-16 surrogate, which UTF-8 cannot encode');
  }
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if ('\\^$.|?*+()[]{}/'.includes(ch)) out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x{${code.toString(16)}}`;
    else out += ch;
  }
  return out;
}
