/**
 * A count with its noun, singular for exactly one: `plural(1, 'row')` is `1 row`, `plural(0, 'row')` is
 * `0 rows`. `plural` for a noun that does not take an s (`series`, `entries`); `shown` for a count written
 * otherwise (`1,024`, `3/4`), whose noun still agrees with `count`.
 */
export function plural(count: number, singular: string, options: { plural?: string; shown?: string } = {}): string {
  const noun = count === 1 ? singular : (options.plural ?? `${singular}s`);
  return `${options.shown ?? String(count)} ${noun}`;
}
