import { z } from 'zod';

/**
 * Values the API stores as InfluxDB tags or filters tags by (`site`, `host`, Grafana labels).
 * Refused with a 400 that says why, rather than trimmed or rewritten: a rewritten value would be
 * a different series than the one the caller names in a later filter.
 */

/**
 * Characters, per value. DNS names are at most 253; the tags of one point together stay far below
 * InfluxDB 1.x's 64 KiB series key limit (a character is at most 4 bytes of the key).
 */
export const TAG_VALUE_MAX_LENGTH = 256;

const CONTROL_NAMES: Record<string, string> = {
  '\0': 'NUL',
  '\t': 'a tab',
  '\n': 'a line feed',
  '\r': 'a carriage return',
  '\x7f': 'DEL',
};

/**
 * Why `value` cannot be a tag value, as the end of a sentence ("must …"), or undefined if it can:
 * - longer than `maxLength` characters;
 * - a control character (C0, NUL, tab, CR, LF, DEL): line protocol cannot carry an LF in a tag at
 *   all, and the others are invisible in Grafana and cannot be typed into a filter;
 * - a lone UTF-16 surrogate, which has no UTF-8 encoding;
 * - a trailing backslash: line protocol has no escape for a backslash, so it would escape the
 *   separator after it;
 * - a backslash before a space: InfluxDB's line splitter would take that space for the end of
 *   the point's key and, with another escape in the point, split the batch in the wrong place.
 */
export function tagValueProblem(value: string, maxLength = TAG_VALUE_MAX_LENGTH): string | undefined {
  if (value.length > maxLength) return `must be at most ${maxLength} characters (it has ${value.length})`;
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control) {
    const ch = control[0];
    const name = CONTROL_NAMES[ch] ?? `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return `must not contain control characters (found ${name} at position ${control.index + 1})`;
  }
  if (/[\uD800-\uDFFF]/u.test(value)) return 'must be valid Unicode text (found a lone surrogate)';
  if (value.endsWith('\\')) return 'must not end with a backslash';
  if (value.includes('\\ ')) return 'must not hold a backslash directly before a space';
  return undefined;
}

/** A zod string for a tag value; its refusals end a sentence that names the field ("site must be at most …"). */
export function tagValue(maxLength = TAG_VALUE_MAX_LENGTH) {
  return z.string().superRefine((value, ctx) => {
    const problem = tagValueProblem(value, maxLength);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
