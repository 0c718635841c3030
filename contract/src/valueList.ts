/**
 * The list syntax of the API's filters (`site=hosp-01,fact-02`): values separated by commas, a comma inside a
 * value written `\,` and a backslash written `\\` (`site=Paris\, North,Lyon`). Any other backslash stands for
 * itself, so a value written before the escape existed (`DOMAIN\host`) keeps its meaning, and a list without a
 * backslash splits at every comma as it always did. The data source escapes each value of a Grafana multi-value
 * variable with `escapeListValue` before it joins them.
 *
 * No zod here: the Grafana plugins import this module on its own (`@nocai/contract/dist/valueList`).
 */

/** `value` as one item of a list: `\` as `\\`, `,` as `\,`. */
export function escapeListValue(value: string): string {
  return value.replace(/[\\,]/g, (ch) => `\\${ch}`);
}

/** `values` as one list, each escaped: `splitValueList` gives them back, whatever they hold. */
export function joinValueList(values: readonly string[]): string {
  return values.map(escapeListValue).join(',');
}

/**
 * The items of a list, unescaped and untrimmed, empty ones included (`a,,b` has three, `''` has one): what to
 * trim, refuse or drop is the reader's call.
 */
export function splitValueList(list: string): string[] {
  const items: string[] = [];
  let item = '';
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    const next = list[i + 1];
    if (ch === '\\' && (next === ',' || next === '\\')) {
      item += next;
      i++;
    } else if (ch === ',') {
      items.push(item);
      item = '';
    } else {
      item += ch;
    }
  }
  items.push(item);
  return items;
}
