/** data-testid values shared by the panel, its unit tests, the browser test and the Playwright specs. */
export const testIds = {
  panel: {
    container: 'nocai-triage-panel',
    table: 'nocai-triage-table',
    row: 'nocai-triage-row',
    priority: 'nocai-triage-priority',
    needsReview: 'nocai-triage-needs-review',
    age: 'nocai-triage-age',
    pagination: 'nocai-triage-pagination',
    expand: 'nocai-triage-expand',
    details: 'nocai-triage-details',
    feedbackVerdict: 'nocai-triage-feedback-verdict',
    feedbackButtons: 'nocai-triage-feedback-buttons',
    feedbackComment: 'nocai-triage-feedback-comment',
    feedbackError: 'nocai-triage-feedback-error',
    readOnlyHint: 'nocai-triage-read-only',
    filters: 'nocai-triage-filters',
    noMatch: 'nocai-triage-no-match',
    loading: 'nocai-triage-loading',
    queryError: 'nocai-triage-query-error',
  },
} as const;
