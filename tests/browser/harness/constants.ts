/** Shared by the page (browser) and the server (Node): where the page sends data source requests. */
export const PROXY_PREFIX = '/proxy';
export const HARNESS_DATASOURCE_UID = 'nocai-harness';
/** The signed-in Grafana user the stand-in proxy names to the backend, as Grafana's `send_user_header` does. */
export const HARNESS_USER = 'admin';
