/**
 * InfluxQL escaping. Every identifier and string literal built from input goes through these:
 * no request parameter reaches a query unescaped.
 */

/** `"name"`: backslashes and double quotes escaped, newlines spelled out (InfluxQL rejects a raw newline in quotes
 * and knows only the escapes for newline, backslash and the two quote characters). */
export function quoteIdentifier(name: string): string {
  return `"${escapeQuoted(name, '"')}"`;
}

/** `'value'`: backslashes and single quotes escaped, newlines spelled out. */
export function quoteString(value: string): string {
  return `'${escapeQuoted(value, "'")}'`;
}

/** A regex literal matching `value` exactly, for `=~` filters (e.g. Grafana multi-value variables). */
export function regexLiteralFor(values: readonly string[]): string {
  const alternatives = values.map((v) => v.replace(/[\\^$.*+?()[\]{}|/]/g, (c) => `\\${c}`));
  return `/^(${alternatives.join('|')})$/`;
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

function escapeQuoted(text: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else out += ch;
  }
  return out;
}
