/** data-testid values shared by the panel, its unit tests and the Playwright specs. */
export const testIds = {
  panel: {
    container: 'nocai-triage-panel',
    table: 'nocai-triage-table',
    row: 'nocai-triage-row',
    priority: 'nocai-triage-priority',
    needsReview: 'nocai-triage-needs-review',
    age: 'nocai-triage-age',
    pagination: 'nocai-triage-pagination',
  },
} as const;
