import { z } from 'zod';
import { describeValue } from './refusals';

/**
 * A whole number of a query string (`limit`, `offset`), from `min` to `max`: digits only, so `abc`, `1.5`,
 * `1e3` or an empty value is refused saying what was given (`z.coerce.number()` read `abc` as NaN, which the
 * refusal then showed instead, and an empty value as 0). A number is taken as well, for callers in code.
 */
export function wholeNumber(min: number, max?: number) {
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const text = String(value).trim();
    const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      ctx.addIssue({ code: 'custom', message: `must be a whole number ${range} (got ${describeValue(value)})` });
      return z.NEVER;
    }
    return n;
  });
}
