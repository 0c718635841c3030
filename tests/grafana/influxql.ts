import type { MeasurementNames } from './seriesCatalog';

/** Grafana's own InfluxQL macros and alias patterns: never dashboard variables. */
const BUILT_IN_VARIABLE =
  /^(timeFilter|__interval|__interval_ms|__from|__to|__range|__range_s|__range_ms|col|tag_\w+)$/;

export interface QueryCheck {
  measurements: string[];
  variables: string[];
  problems: string[];
}

/**
 * Checks one raw InfluxQL query against the names contract/ declares: every measurement after FROM
 * is declared, every double-quoted identifier is a tag or field of those measurements (aliases
 * after AS excepted), and GROUP BY only names tags (grouping by a field silently groups nothing).
 * Also returns the dashboard variables the query uses, built-in macros left out.
 */
export function checkInfluxQuery(query: string, catalog: ReadonlyMap<string, MeasurementNames>): QueryCheck {
  const problems: string[] = [];
  // String literals ('P1', 'cpu-total') are values, not identifiers.
  const text = query.replace(/'(?:[^'\\]|\\.)*'/g, "''");

  const measurements: string[] = [];
  // FROM one measurement or a comma-separated list of them (SHOW TAG VALUES FROM "system", "sensors").
  const name = /"((?:[^"\\]|\\.)+)"|([A-Za-z_]\w*)/g;
  const fromClause = /\bFROM\s+(?:"(?:[^"\\]|\\.)+"|[A-Za-z_]\w*)(?:\s*,\s*(?:"(?:[^"\\]|\\.)+"|[A-Za-z_]\w*))*/gi;
  for (const clause of text.matchAll(fromClause)) {
    for (const match of clause[0].replace(/^FROM\s+/i, '').matchAll(name)) measurements.push(match[1] ?? match[2]);
  }
  if (measurements.length === 0) problems.push('names no measurement (no FROM clause)');

  const declared = measurements.filter((m) => catalog.has(m));
  for (const m of measurements) {
    if (!catalog.has(m)) problems.push(`measurement "${m}" is not declared in contract/`);
  }
  const tags = new Set(declared.flatMap((m) => [...(catalog.get(m)?.tags ?? [])]));
  const fields = new Set(declared.flatMap((m) => [...(catalog.get(m)?.fields ?? [])]));

  const identifiersText = text.replace(fromClause, ' ').replace(/\bAS\s+"(?:[^"\\]|\\.)*"/gi, ' ');
  if (declared.length === measurements.length && measurements.length > 0) {
    for (const match of identifiersText.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const name = match[1];
      if (!tags.has(name) && !fields.has(name)) {
        problems.push(`"${name}" is neither a tag nor a field of ${measurements.join(', ')} in contract/`);
      }
    }
    const groupBy = /\bGROUP\s+BY\s+(.*?)(?=\bfill\s*\(|\bORDER\b|\bLIMIT\b|\bSLIMIT\b|\bOFFSET\b|$)/i.exec(
      identifiersText
    );
    for (const match of (groupBy?.[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      if (!tags.has(match[1])) problems.push(`GROUP BY "${match[1]}" is not a tag of ${measurements.join(', ')}`);
    }
  }

  // `$name`, `${name}` or `${name:format}` (`${routed_events:raw}`).
  const variables = [
    ...new Set([...query.matchAll(/\$(?:(\w+)|\{(\w+)(?::\w+)?\})/g)].map((m) => m[1] ?? m[2])),
  ].filter((name) => !BUILT_IN_VARIABLE.test(name));
  return { measurements, variables, problems };
}
