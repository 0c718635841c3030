/** Shared by the page (browser) and the server (Node): where the page sends data source requests. */
export const PROXY_PREFIX = '/proxy';
export const HARNESS_DATASOURCE_UID = 'nocai-harness';
