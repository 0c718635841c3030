import { z } from 'zod';
import { refusalPredicates } from './refusals';
import { splitValueList } from './valueList';

/**
 * A list filter of the API's query strings: one value, or a comma-separated list meaning "any of these"
 * (`site=hosp-01,fact-02`), which is how the data source sends a Grafana multi-value variable. A value holding
 * a comma writes it `\,` (`site=Paris\, North`; see `valueList.ts`). Each value is trimmed and checked by
 * `item`; an empty one (`a,,b`, a trailing comma) is refused rather than read as "any", so a variable that lost
 * a value cannot widen the filter. Parsed to the distinct values, in the order given.
 * A refusal is worded as the end of a sentence ("must …"), which names the filter (`refusals.ts`).
 */
export function anyOf<T extends string>(item: z.ZodType<T>) {
  return z.string().transform((list, ctx): T[] => {
    const values: T[] = [];
    for (const raw of splitValueList(list)) {
      const value = raw.trim();
      if (value === '') {
        ctx.addIssue({
          code: 'custom',
          message: 'must be one value or a comma-separated list of values, without an empty one',
        });
        return z.NEVER;
      }
      const checked = item.safeParse(value, { error: refusalPredicates() });
      if (!checked.success) {
        ctx.addIssue({ code: 'custom', message: checked.error.issues[0].message });
        return z.NEVER;
      }
      if (!values.includes(checked.data)) values.push(checked.data);
    }
    return values;
  });
}

/** `anyOf` over a closed list (statuses, priorities, classes…): a value outside it is refused, naming the list. */
export function anyOfValues<const V extends readonly [string, ...string[]]>(allowed: V) {
  return anyOf(z.enum(allowed) as unknown as z.ZodType<V[number]>);
}
