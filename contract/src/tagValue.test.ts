import type { z } from 'zod';
import { checkInput } from './refusals';
import { tagValue, TAG_VALUE_MAX_LENGTH } from './tagValue';

/** The refusal of `value` as a field named site (or `name`), as the API words it. */
function messageOf(schema: z.ZodType, value: unknown, name = 'site'): string | undefined {
  const result = checkInput(schema, value, { subject: name });
  return result.success ? undefined : result.message;
}

describe('tagValue', () => {
  const site = tagValue();

  it('When a value is plain text, Unicode or holds commas, spaces, quotes and inner backslashes, then it is accepted unchanged', () => {
    for (const value of ['hosp-01', 'St. Mary, ward "B" = 2', 'Zürich — 東京 ✓', 'C:\\data\\x', ' padded ']) {
      expect(site.parse(value)).toBe(value);
    }
  });

  it('When a value is longer than the limit, then the message names the value, the limit and its length', () => {
    expect(site.safeParse('x'.repeat(TAG_VALUE_MAX_LENGTH)).success).toBe(true);
    expect(messageOf(site, 'x'.repeat(66_000))).toBe('site must be at most 256 characters (it has 66000)');
    expect(messageOf(tagValue(64), 'd'.repeat(65), 'department')).toBe(
      'department must be at most 64 characters (it has 65)'
    );
  });

  it('When a value holds a control character, then the message says which one and where', () => {
    expect(messageOf(site, 'hosp\n01')).toBe(
      'site must not contain control characters (found a line feed at position 5)'
    );
    expect(messageOf(site, 'a\rb')).toBe(
      'site must not contain control characters (found a carriage return at position 2)'
    );
    expect(messageOf(site, '\tx')).toBe('site must not contain control characters (found a tab at position 1)');
    expect(messageOf(site, 'x\0')).toBe('site must not contain control characters (found NUL at position 2)');
    expect(messageOf(site, 'x\x7f')).toBe('site must not contain control characters (found DEL at position 2)');
    expect(messageOf(site, 'x\x1b[31m')).toBe('site must not contain control characters (found U+001B at position 2)');
  });

  it('When a value ends with a backslash or holds one before a space, then the message says so', () => {
    expect(messageOf(site, 'hosp-01\\')).toBe('site must not end with a backslash');
    expect(messageOf(site, 'C:\\ drive')).toBe('site must not hold a backslash directly before a space');
  });

  it('When a value holds a lone surrogate, then it is refused as not being Unicode text', () => {
    expect(messageOf(site, 'a\ud800b')).toBe('site must be valid Unicode text (found a lone surrogate)');
  });

  it('When a value is not a string, then it is refused before the tag rules run', () => {
    expect(messageOf(site, 42)).toBe('site must be a string (got the number 42)');
  });
});
