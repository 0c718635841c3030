/**
 * What Grafana's InfluxDB data source does to a raw InfluxQL query before it sends it, for one state of the
 * dashboard: the time filter and interval macros, then the template variables. The result is what influxd
 * receives, so a test can run a dashboard's or an alert rule's query on a real server.
 */
export interface GrafanaQueryState {
  fromMs: number;
  toMs: number;
  intervalMs: number;
  /** Variable name → the text Grafana puts in its place (for "All", the variable's `allValue`). */
  variables?: Record<string, string>;
}

export function interpolateInfluxQuery(query: string, state: GrafanaQueryState): string {
  const macros: Record<string, string> = {
    // Grafana's own rendering of the range: epoch milliseconds with the `ms` suffix.
    timeFilter: `time >= ${state.fromMs}ms and time <= ${state.toMs}ms`,
    __interval: `${state.intervalMs}ms`,
    __interval_ms: String(state.intervalMs),
    __from: String(state.fromMs),
    __to: String(state.toMs),
  };
  const values: Record<string, string> = { ...macros, ...state.variables };
  // `${name:raw}` is the value as it is, as is a variable holding one value without a format: the values here are
  // already what Grafana puts in the query, so no other format is taken on trust.
  const reference = /\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g;
  return query.replace(reference, (whole, braced: string | undefined, format: string | undefined, bare?: string) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`no value for $${name} in ${query}`);
    if (format !== undefined && format !== 'raw') throw new Error(`no ${format} format of $${name} in ${query}`);
    return value;
  });
}
