import React, { Fragment, type ReactNode, useId } from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { FeedbackVerdict } from '@nocai/contract';
import { Badge, type BadgeColor, Button, Icon, IconButton, Spinner, useStyles2 } from '@grafana/ui';

import { testIds } from '../testIds';
import { COLUMN_LABELS, type TriageColumn } from '../triage/columns';
import type { TriageRow } from '../triage/rows';
import { formatDuration, localizeInstants } from '../triage/format';
import { type RowWithWorkflow, statusActions, statusLabel, type WorkflowChange } from '../triage/workflow';
import { Age, type Clock } from './Age';
import { FeedbackButtons } from './FeedbackButtons';
import type { RelatedTicketLink } from './RelatedTickets';
import { TicketDetails } from './TicketDetails';

interface Props {
  rows: RowWithWorkflow[];
  columns: readonly TriageColumn[];
  /** Now, for ages, and the dashboard's time zone, in which every instant in the panel is shown. */
  clock: Clock;
  expanded: ReadonlySet<string>;
  onToggle: (key: string) => void;
  /** Feedback data source uid of a row, or undefined when the row is read-only. */
  feedbackTarget: (row: TriageRow) => string | undefined;
  /** Where an expanded row reads its related tickets: the NOC AI data source, whatever the user's role. */
  detailSource: (row: TriageRow) => string | undefined;
  /** When the dashboard's query last ran: open rows ask for their related tickets again. */
  queryRun?: number;
  relatedTicketLink?: RelatedTicketLink;
  showActions: boolean;
  comments: Readonly<Record<string, string>>;
  onComment: (ticketId: string, comment: string) => void;
  onVerdict: (row: RowWithWorkflow, datasourceUid: string, verdict: FeedbackVerdict) => void;
  onWorkflow: (row: RowWithWorkflow, datasourceUid: string, change: WorkflowChange) => void;
  onAddComment: (row: RowWithWorkflow, datasourceUid: string) => void;
  /** Visible width: an expanded row stays within it while the columns scroll sideways. */
  viewportWidth: number;
}

export function TriageTable(props: Props) {
  const { rows, columns, clock, expanded, onToggle, showActions } = props;
  const styles = useStyles2(getStyles);
  const idPrefix = useId();
  // One for the expand button, one per data column, one for the feedback buttons.
  const columnCount = columns.length + 1 + (showActions ? 1 : 0);

  return (
    <table className={styles.table} aria-label="Triage queue" data-testid={testIds.panel.table}>
      <thead>
        <tr>
          <th scope="col" className={styles.header}>
            <span className={styles.visuallyHidden}>Details</span>
          </th>
          {columns.map((column) => (
            <th key={column} scope="col" className={styles.header}>
              {COLUMN_LABELS[column]}
            </th>
          ))}
          {showActions && (
            <th scope="col" className={cx(styles.header, styles.stickyRight)}>
              Actions
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const isExpanded = expanded.has(row.key);
          const detailsId = `${idPrefix}-details-${row.key}`;
          const target = props.feedbackTarget(row);
          const ticketId = row.ticketId;
          const name = ticketId ?? row.message ?? 'this row';
          const busy = row.feedbackProgress === 'pending' || row.workflowProgress === 'pending';
          const canAcknowledge = statusActions(row.status).some((action) => action.to === 'acknowledged');
          return (
            <Fragment key={row.key}>
              <tr className={styles.row} data-testid={testIds.panel.row} data-ticket-id={ticketId}>
                <td className={styles.cell}>
                  <IconButton
                    name={isExpanded ? 'angle-down' : 'angle-right'}
                    aria-expanded={isExpanded}
                    aria-controls={detailsId}
                    aria-label={`${isExpanded ? 'Hide' : 'Show'} details of ${name}`}
                    data-testid={testIds.panel.expand}
                    onClick={() => onToggle(row.key)}
                  />
                </td>
                {columns.map((column) => (
                  <td
                    key={column}
                    className={column === 'summary' || column === 'rootCause' ? styles.wideCell : styles.cell}
                  >
                    {CELLS[column](row, clock)}
                    {column === 'status' && canAcknowledge && target !== undefined && (
                      <Button
                        size="sm"
                        variant="primary"
                        fill="outline"
                        className={styles.inlineAction}
                        aria-label={`Acknowledge ${ticketId}`}
                        disabled={busy}
                        onClick={() => props.onWorkflow(row, target, { status: 'acknowledged' })}
                      >
                        Ack
                      </Button>
                    )}
                  </td>
                ))}
                {showActions && (
                  <td className={cx(styles.cell, styles.stickyRight)}>
                    {target !== undefined && ticketId !== undefined && (
                      <FeedbackButtons
                        ticketId={ticketId}
                        current={row.feedbackVerdict}
                        pending={busy}
                        onVerdict={(verdict) => props.onVerdict(row, target, verdict)}
                      />
                    )}
                  </td>
                )}
              </tr>
              {isExpanded && (
                <tr className={styles.detailsRow}>
                  <td colSpan={columnCount}>
                    <div className={styles.detailsViewport} style={{ maxWidth: props.viewportWidth }}>
                      <TicketDetails
                        row={row}
                        id={detailsId}
                        clock={clock}
                        detailDatasourceUid={props.detailSource(row)}
                        queryRun={props.queryRun}
                        relatedTicketLink={props.relatedTicketLink}
                        actions={
                          target !== undefined && ticketId !== undefined
                            ? {
                                datasourceUid: target,
                                comment: props.comments[ticketId] ?? '',
                                onComment: (value) => props.onComment(ticketId, value),
                                onAddComment: () => props.onAddComment(row, target),
                                onChange: (change) => props.onWorkflow(row, target, change),
                                busy,
                              }
                            : undefined
                        }
                      />
                    </div>
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

/** Whether a column has anything to show in these rows: empty columns are left out. */
export const HAS_VALUE: Record<TriageColumn, (row: TriageRow) => boolean> = {
  priority: (row) => row.priority !== undefined,
  age: (row) => row.timeMs !== undefined,
  review: (row) => row.needsReview,
  ticket: (row) => row.ticketId !== undefined,
  summary: (row) => row.message !== undefined,
  class: (row) => row.eventClass !== undefined,
  department: (row) => row.department !== undefined,
  site: (row) => row.site !== undefined,
  host: (row) => row.host !== undefined,
  status: (row) => row.status !== undefined,
  // Tickets that can be assigned (they carry a version) show the column even before anyone is assigned.
  assignee: (row) => row.assignee !== undefined || row.version !== undefined,
  mttr: (row) => row.mttrP50Seconds !== undefined || row.mttrP90Seconds !== undefined,
  confidence: (row) => row.confidence !== undefined,
  rootCause: (row) => row.rootCause !== undefined,
  feedback: (row) => row.feedbackVerdict !== undefined || row.feedbackDatasourceUid !== undefined,
};

// Long texts (summary, root cause) are cut to one line here, with the whole text in the tooltip; the expanded
// row shows them in full.
const CELLS: Record<TriageColumn, (row: RowWithWorkflow, clock: Clock) => ReactNode> = {
  priority: (row) => row.priority && <PriorityBadge priority={row.priority} />,
  age: (row, clock) =>
    row.timeMs !== undefined && <Age timeMs={row.timeMs} clock={clock} data-testid={testIds.panel.age} />,
  review: (row) =>
    row.needsReview && (
      <Badge
        text="Review"
        color="purple"
        icon="eye"
        tooltip="Flagged for manual review: check this decision before acting on it"
        data-testid={testIds.panel.needsReview}
      />
    ),
  ticket: (row) => row.ticketId,
  summary: (row) => <span title={row.message}>{row.message}</span>,
  class: (row) => row.eventClass,
  department: (row) => row.department,
  site: (row) => row.site,
  host: (row) => (row.deviceKind && row.host ? <span title={row.deviceKind}>{row.host}</span> : row.host),
  status: (row) =>
    row.status && (
      <span data-testid={testIds.panel.status} data-progress={row.workflowProgress}>
        {statusLabel(row.status)}
        {row.workflowProgress === 'pending' && <Spinner inline aria-label="Saving the change" />}
      </span>
    ),
  assignee: (row) => <Assignee assignee={row.assignee} />,
  mttr: (row) =>
    row.mttrP50Seconds === undefined && row.mttrP90Seconds === undefined ? undefined : (
      <span title={row.mttrNote}>
        {formatSeconds(row.mttrP50Seconds)} / {formatSeconds(row.mttrP90Seconds)}
        {row.mttrNote && ' *'}
      </span>
    ),
  confidence: (row) => (row.confidence === undefined ? undefined : `${Math.round(row.confidence * 100)}%`),
  rootCause: (row, clock) => {
    const rootCause = row.rootCause && localizeInstants(row.rootCause, clock.timeZone);
    return <span title={rootCause}>{rootCause}</span>;
  },
  feedback: (row) => <FeedbackState row={row} />,
};

const PRIORITY_COLORS: Record<string, BadgeColor> = { P1: 'red', P2: 'orange', P3: 'blue', P4: 'darkgrey' };

function PriorityBadge({ priority }: { priority: string }) {
  return <Badge text={priority} color={PRIORITY_COLORS[priority] ?? 'darkgrey'} data-testid={testIds.panel.priority} />;
}

const VERDICT_BADGES: Record<string, { text: string; color: BadgeColor }> = {
  valid: { text: 'Validated', color: 'green' },
  invalid: { text: 'Invalidated', color: 'red' },
  avoided: { text: 'Avoided', color: 'blue' },
};

function FeedbackState({ row }: { row: RowWithWorkflow }) {
  const badge = row.feedbackVerdict ? VERDICT_BADGES[row.feedbackVerdict] : undefined;
  return (
    <span data-testid={testIds.panel.feedbackVerdict} data-progress={row.feedbackProgress}>
      {badge && <Badge text={badge.text} color={badge.color} tooltip={row.feedbackComment} />}
      {row.feedbackProgress === 'pending' && <Spinner inline aria-label="Saving feedback" />}
    </span>
  );
}

/** `team:network_ops` as a team icon and `network_ops`: the prefix costs width in a dense table. */
function Assignee({ assignee }: { assignee?: string }) {
  const [kind, name] = assignee?.includes(':') ? assignee.split(/:(.*)/s, 2) : [undefined, assignee];
  return (
    <span data-testid={testIds.panel.assignee} data-assignee={assignee ?? ''} title={assignee}>
      {kind && <Icon name={kind === 'team' ? 'users-alt' : 'user'} size="sm" aria-label={kind} />} {name}
    </span>
  );
}

function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? '–' : formatDuration(seconds * 1000);
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  header: css({
    position: 'sticky',
    top: 0,
    zIndex: 1,
    padding: theme.spacing(0.5, 1),
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.medium}`,
    color: theme.colors.text.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    textAlign: 'left',
    whiteSpace: 'nowrap',
  }),
  row: css({
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': {
      background: theme.colors.action.hover,
    },
  }),
  detailsRow: css({
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  detailsViewport: css({
    position: 'sticky',
    left: 0,
  }),
  cell: css({
    padding: theme.spacing(0.5, 1),
    whiteSpace: 'nowrap',
  }),
  wideCell: css({
    padding: theme.spacing(0.5, 1),
    maxWidth: 300,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  inlineAction: css({
    marginLeft: theme.spacing(1),
  }),
  // The verdict buttons stay in view when a narrow panel scrolls the other columns sideways.
  stickyRight: css({
    position: 'sticky',
    right: 0,
    background: theme.colors.background.primary,
    boxShadow: `-1px 0 0 ${theme.colors.border.weak}`,
  }),
  visuallyHidden: css({
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
  }),
});
