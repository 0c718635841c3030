import type { FeedbackVerdict, Ticket, TicketDetailResponse, TicketUpdateRequest } from '@nocai/contract';

/** Plugin id of the data source that takes feedback; the options picker offers only data sources of it. */
export const FEEDBACK_DATASOURCE_TYPE = 'nocai-inference-datasource';

/**
 * What the panel needs from the NOC AI data source (its `postFeedback`). The panel cannot import the other
 * plugin's class, so it checks the instance it gets from Grafana for this method.
 */
export interface FeedbackDataSource {
  postFeedback(ticketId: string, verdict: FeedbackVerdict, comment?: string): Promise<Ticket>;
}

export function isFeedbackDataSource(datasource: unknown): datasource is FeedbackDataSource {
  return (
    typeof datasource === 'object' &&
    datasource !== null &&
    'postFeedback' in datasource &&
    typeof datasource.postFeedback === 'function'
  );
}

/** What the panel needs from the NOC AI data source for the ticket workflow (its `updateTicket`, `addComment`). */
export interface WorkflowDataSource {
  updateTicket(ticketId: string, change: TicketUpdateRequest): Promise<Ticket>;
  addComment(ticketId: string, text: string): Promise<Ticket>;
}

export function isWorkflowDataSource(datasource: unknown): datasource is WorkflowDataSource {
  return (
    typeof datasource === 'object' &&
    datasource !== null &&
    'updateTicket' in datasource &&
    typeof datasource.updateTicket === 'function' &&
    'addComment' in datasource &&
    typeof datasource.addComment === 'function'
  );
}

/** What the panel needs from the NOC AI data source to show what relates to a ticket (its `getTicketDetail`). */
export interface TicketDetailDataSource {
  getTicketDetail(ticketId: string): Promise<TicketDetailResponse>;
}

export function isTicketDetailDataSource(datasource: unknown): datasource is TicketDetailDataSource {
  return (
    typeof datasource === 'object' &&
    datasource !== null &&
    'getTicketDetail' in datasource &&
    typeof datasource.getTicketDetail === 'function'
  );
}

/** What the panel needs from the NOC AI data source to offer the organisation's own departments (its `getDepartments`). */
export interface DepartmentsDataSource {
  getDepartments(): Promise<string[]>;
}

export function isDepartmentsDataSource(datasource: unknown): datasource is DepartmentsDataSource {
  return (
    typeof datasource === 'object' &&
    datasource !== null &&
    'getDepartments' in datasource &&
    typeof datasource.getDepartments === 'function'
  );
}

/**
 * The data source chosen in the options wins; otherwise the one that produced the row. Reads (a ticket's detail)
 * go to the same one as changes, whatever the user's role.
 */
export function feedbackDatasourceFor(
  row: { feedbackDatasourceUid?: string },
  optionUid: string | undefined
): string | undefined {
  if (row.feedbackDatasourceUid === undefined) {
    // Not from the NOC AI data source (e.g. aiops_tickets read from InfluxDB): read-only.
    return undefined;
  }
  return optionUid || row.feedbackDatasourceUid;
}
