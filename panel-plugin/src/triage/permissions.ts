/**
 * Whether the signed-in Grafana user may change tickets (verdicts, status, assignee, comments).
 * The data source's plugin.json lets POST and PATCH through for Editor and Admin only, and the
 * backend maps Editor to operator by default: a Viewer's click would be refused, so the panel
 * does not offer it. An unknown role (no boot data, e.g. a rendered image) leaves the actions to
 * those two gates.
 */
export function mayChangeTickets(orgRole: string | undefined): boolean {
  if (orgRole === undefined || orgRole === '') {
    return true;
  }
  return orgRole === 'Editor' || orgRole === 'Admin';
}

/** The line shown instead of the actions when the role cannot change tickets. */
export function readOnlyReason(orgRole: string | undefined, canChange: boolean): string {
  return canChange
    ? 'Read-only: Feedback needs the NOC AI datasource'
    : `Read-only: your Grafana role (${orgRole}) cannot change tickets`;
}
