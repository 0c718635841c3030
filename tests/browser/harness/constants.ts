/** Shared by the page (browser) and the server (Node): where the page sends data source requests. */
export const PROXY_PREFIX = '/proxy';
export const HARNESS_DATASOURCE_UID = 'nocai-harness';
/** The signed-in Grafana user the stand-in proxy names to the backend, as Grafana's `send_user_header` does. */
export const HARNESS_USER = 'admin';
/** Where the page sends InfluxQL: `/influx/<data source uid>/query`, as Grafana's proxy for an InfluxDB data source. */
export const INFLUX_PROXY_PREFIX = '/influx';
/** The provisioned InfluxDB data sources (provisioning/datasources/nocai.yaml) the dashboards reference by uid. */
export const INFLUX_DATASOURCE_UIDS = { telegraf: 'influx-telegraf', aiops: 'influx-aiops' } as const;
