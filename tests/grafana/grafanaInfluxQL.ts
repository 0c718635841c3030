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
  return query.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`no value for $${name} in ${query}`);
    return value;
  });
}
