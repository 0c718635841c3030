/**
 * Opening words of the "Save & test" results. Kept free of Grafana imports so the Playwright specs, which
 * run in Node, can assert on them too.
 */
export const TEST_MESSAGES = {
  success: 'NOC AI backend reachable and token accepted',
  noUrl: 'No backend URL configured: enter the URL of the NOC AI inference backend and save again.',
  unreachable: 'Cannot reach the NOC AI backend at the configured URL',
  unauthorized: 'The API token was refused (401)',
} as const;
