/** data-testid values shared by the components, their unit tests and the Playwright specs. */
export const testIds = {
  configEditor: {
    url: 'nocai-config-url',
    apiToken: 'nocai-config-api-token',
  },
  queryEditor: {
    queryType: 'nocai-query-type',
    eventClass: 'nocai-query-event-class',
    host: 'nocai-query-host',
    decision: 'nocai-query-decision',
    limit: 'nocai-query-limit',
    status: 'nocai-query-status',
    site: 'nocai-query-site',
    department: 'nocai-query-department',
    priority: 'nocai-query-priority',
    parentStatus: 'nocai-query-parent-status',
    count: 'nocai-query-count',
    /** One input per tag of a series kind, e.g. `nocai-query-filter-device_kind`. */
    seriesFilter: (tag: string) => `nocai-query-filter-${tag}`,
    problem: 'nocai-query-problem',
    entity: 'nocai-query-entity',
    problemView: 'nocai-query-problem-view',
  },
} as const;
