/**
 * What Grafana's InfluxDB data source does with a raw InfluxQL target of a dashboard, for the screenshot
 * harness: macros and template variables replaced by concrete values before the query goes out, and the
 * answer turned into data frames named the way Grafana names them (`alias` patterns, `Time`/`Value` fields with
 * the series tags as labels). Pure: no fetch, no React, no @grafana/data (its bundle does not load in Node's
 * test environment), so it is tested on its own; the page turns `FrameSpec`s into data frames.
 */

/** The InfluxQL target of a dashboard panel, as the JSON holds it (raw query mode only: ours are all raw). */
export interface InfluxTarget {
  refId: string;
  query?: string;
  rawQuery?: boolean;
  resultFormat?: 'time_series' | 'table' | 'logs';
  alias?: string;
  hide?: boolean;
}

export interface QueryScope {
  fromMs: number;
  toMs: number;
  /** Grafana's `$__interval` (e.g. `20s`, `1h`) and the same in milliseconds. */
  interval: string;
  intervalMs: number;
  /** Template variables by name, each already formatted as its value in a query (see `variableQueryValue`). */
  variables: Readonly<Record<string, string>>;
}

type Cell = string | number | boolean | null;

/** The field types an InfluxQL answer produces: the values of `@grafana/data`'s `FieldType` of the same names. */
export type SpecFieldType = 'time' | 'number' | 'string' | 'boolean';

/** A data frame before `createDataFrame`: the shape of `@grafana/data`'s `DataFrameDTO`, with plain values. */
export interface FrameSpec {
  refId: string;
  name?: string;
  fields: Array<{
    name: string;
    type: SpecFieldType;
    values: Cell[];
    labels?: Record<string, string>;
    config?: { displayNameFromDS: string };
  }>;
}

/** One series of an InfluxDB 1.x `/query` answer (`epoch=ms`: times are epoch milliseconds). */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Cell[][];
}

/** `$name`, `${name}`, `${name:format}` and `[[name]]`, the variable syntaxes Grafana accepts. */
const VARIABLE = /\$(\w+)|\$\{(\w+)(?::[\w-]+)?\}|\[\[(\w+)\]\]/g;

/**
 * The query with `$timeFilter`, `$__interval`, `$__interval_ms`, `$__from`, `$__to` and the dashboard's
 * variables replaced. A name that is none of these is left as written, so InfluxDB refuses the query and the
 * panel shows that error, as Grafana would, instead of silently querying something else.
 */
export function interpolateInfluxQl(query: string, scope: QueryScope): string {
  return replaceVariables(query, { ...scope.variables, ...macros(scope) });
}

function macros(scope: QueryScope): Record<string, string> {
  const timeFilter = `time >= ${scope.fromMs}ms and time <= ${scope.toMs}ms`;
  return {
    timeFilter,
    __timeFilter: timeFilter,
    __interval: scope.interval,
    __interval_ms: String(scope.intervalMs),
    __from: String(scope.fromMs),
    __to: String(scope.toMs),
  };
}

/** Every variable of `values` in `text` replaced (a panel title, a query); unknown names are left as written. */
export function replaceVariables(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(VARIABLE, (written, plain?: string, braced?: string, bracketed?: string) => {
    const name = plain ?? braced ?? bracketed ?? '';
    return values[name] ?? written;
  });
}

/** A dashboard variable as the page resolved it: what is selected among which options, and how it may be used. */
export interface VariableState {
  /** Selected values; `$__all` when All is selected. */
  selected: readonly string[];
  options: readonly string[];
  allValue?: string;
  multi?: boolean;
  includeAll?: boolean;
}

/** The value the All option stands for in `selected`. */
export const ALL_VALUE = '$__all';

/**
 * A variable's value inside an InfluxQL query, as Grafana's InfluxDB data source formats it: a single-value
 * variable as it is (`= '$metric'`); one that can hold several values as a regex for `=~ /^$var$/`, its
 * `allValue` when All is selected, else the values escaped and joined (`(a|b)`).
 */
export function variableQueryValue(variable: VariableState): string {
  const all = variable.selected.includes(ALL_VALUE);
  if (all && variable.allValue !== undefined) {
    return variable.allValue;
  }
  const values = all ? variable.options : variable.selected;
  if (!variable.multi && !variable.includeAll) {
    return values.join(',');
  }
  return values.length === 1 ? escapeRegex(values[0]) : `(${values.map(escapeRegex).join('|')})`;
}

function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}\/]/g, '\\$&');
}

/**
 * Frames as Grafana builds them from an InfluxQL answer. `time_series`: one frame per series and value column,
 * fields `Time` and `Value`, the tags as labels and the name from `alias` (or `measurement.column {tags}`).
 * `table`: one frame for the target, `Time`, then the GROUP BY tags, then the selected columns.
 */
export function influxSeriesToFrames(series: readonly InfluxSeries[], target: InfluxTarget): FrameSpec[] {
  if (target.resultFormat === 'table') {
    return series.length === 0 ? [] : [tableFrame(series, target.refId)];
  }
  return series.flatMap((one) =>
    one.columns.slice(1).map((column, offset) => {
      const name = seriesName(one, column, target.alias);
      const values = one.values.map((row) => row[offset + 1]);
      return {
        refId: target.refId,
        name,
        fields: [
          { name: 'Time', type: 'time' as const, values: one.values.map((row) => row[0]) },
          {
            name: 'Value',
            type: fieldTypeOf(values),
            labels: one.tags,
            config: { displayNameFromDS: name },
            values,
          },
        ],
      };
    })
  );
}

function tableFrame(series: readonly InfluxSeries[], refId: string): FrameSpec {
  const first = series[0];
  const tagKeys = Object.keys(first.tags ?? {});
  const columns = first.columns.slice(1);
  const rows = series.flatMap((one) =>
    one.values.map((row) => [row[0], ...tagKeys.map((key) => one.tags?.[key] ?? null), ...row.slice(1)])
  );
  const names = ['Time', ...tagKeys, ...columns];
  return {
    refId,
    fields: names.map((name, index) => {
      const values = rows.map((row) => row[index]);
      return { name, type: index === 0 ? 'time' : fieldTypeOf(values), values };
    }),
  };
}

/** Grafana's alias patterns: `$m`/`$measurement`, `$col`, `$tag_<key>`, `$<n>` (a part of the measurement). */
function seriesName(series: InfluxSeries, column: string, alias: string | undefined): string {
  if (!alias) {
    const tags = Object.entries(series.tags ?? {}).map(([key, value]) => `${key}: ${value}`);
    return `${series.name}.${column}${tags.length > 0 ? ` {${tags.join(', ')}}` : ''}`;
  }
  return alias.replace(/\$(\w+)|\[\[([\s\S]+?)\]\]/g, (written, plain?: string, bracketed?: string) => {
    const name = plain ?? bracketed ?? '';
    if (name === 'm' || name === 'measurement') {
      return series.name;
    }
    if (name === 'col') {
      return column;
    }
    if (name.startsWith('tag_')) {
      return series.tags?.[name.slice('tag_'.length)] ?? written;
    }
    if (/^\d+$/.test(name)) {
      return series.name.split('.')[Number(name)] ?? written;
    }
    return written;
  });
}

function fieldTypeOf(values: readonly Cell[]): SpecFieldType {
  const sample = values.find((value) => value !== null);
  if (typeof sample === 'string') {
    return 'string';
  }
  return typeof sample === 'boolean' ? 'boolean' : 'number';
}
