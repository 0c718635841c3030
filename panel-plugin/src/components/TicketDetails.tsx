import React, { useId } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, InlineField, Input, useStyles2 } from '@grafana/ui';

import { testIds } from '../testIds';
import { mttrFactorLines, topFactors } from '../triage/factors';
import { formatAge, formatDuration, formatTime, localizeInstants } from '../triage/format';
import { correctionsOf, type RowWithWorkflow, statusLabel, type WorkflowChange } from '../triage/workflow';
import { Age, type Clock } from './Age';
import { type RelatedTicketLink, RelatedTickets } from './RelatedTickets';
import { WorkflowControls } from './WorkflowControls';

/** Strongest inputs shown: enough to see why, short enough to read at a glance. */
const MAX_EXPLANATION_FEATURES = 6;

interface Props {
  row: RowWithWorkflow;
  id: string;
  clock: Clock;
  /** The NOC AI data source to ask for the related tickets; absent on rows read from elsewhere (e.g. InfluxDB). */
  detailDatasourceUid?: string;
  /** When the dashboard's query last ran: the related tickets are asked for again with each run. */
  queryRun?: number;
  relatedTicketLink?: RelatedTicketLink;
  /** Absent on read-only rows: there is nothing to send a comment or a change with. */
  actions?: {
    /** The NOC AI data source the changes go to. */
    datasourceUid: string;
    comment: string;
    onComment: (value: string) => void;
    onAddComment: () => void;
    onChange: (change: WorkflowChange) => void;
    busy: boolean;
  };
}

/**
 * The expanded part of a row: the whole summary and root cause (the table cuts them to one line), why the model
 * decided, what it relates to, how similar tickets ended, and the ticket's workflow (status moves, assignee,
 * corrections, comments).
 */
export function TicketDetails({ row, id, clock, detailDatasourceUid, queryRun, relatedTicketLink, actions }: Props) {
  const styles = useStyles2(getStyles);
  const commentId = useId();
  const features = row.explanation.slice(0, MAX_EXPLANATION_FEATURES);
  // Tabular models (predicted problems, failures, MTTR) explain with values and exact contributions.
  const factors = topFactors(row.explanation, MAX_EXPLANATION_FEATURES);
  const mttrFactors = mttrFactorLines(row.mttrFactors ?? [], MAX_EXPLANATION_FEATURES);
  const corrected = correctionsOf(row);

  return (
    <div id={id} className={styles.details} data-testid={testIds.panel.details}>
      {row.message && (
        <p className={styles.summary} data-testid={testIds.panel.detailsSummary}>
          {row.message}
        </p>
      )}
      <dl className={styles.facts}>
        {row.ticketId && (
          <>
            <dt>Ticket</dt>
            <dd>{row.ticketId}</dd>
          </>
        )}
        {row.timeMs !== undefined && (
          <>
            <dt>{row.ticketId ? 'Opened' : 'Time'}</dt>
            <dd data-testid={testIds.panel.detailsTime}>
              {formatTime(row.timeMs, clock.timeZone)} ({formatAge(clock.nowMs - row.timeMs)})
            </dd>
          </>
        )}
        {row.status && (
          <>
            <dt>Status</dt>
            <dd data-testid={testIds.panel.detailsStatus}>{statusLabel(row.status)}</dd>
          </>
        )}
        {row.ticketId && row.version !== undefined && (
          <>
            <dt>Assignee</dt>
            <dd data-testid={testIds.panel.detailsAssignee}>{row.assignee ?? 'nobody'}</dd>
          </>
        )}
        {row.changedBy && (
          <>
            <dt>Last change</dt>
            <dd>
              {row.changedBy}: {row.changeSummary}
            </dd>
          </>
        )}
        {corrected.length > 0 && (
          <>
            <dt>Corrected</dt>
            <dd>{corrected.join(', ')}</dd>
          </>
        )}
        <dt>Related alerts</dt>
        <dd>{row.relatedAlerts ?? '–'}</dd>
        {row.mttrNote && (
          <>
            <dt>MTTR</dt>
            <dd>{row.mttrNote}</dd>
          </>
        )}
        {row.rootCause && (
          <>
            <dt>Root cause</dt>
            <dd data-testid={testIds.panel.detailsRootCause}>{localizeInstants(row.rootCause, clock.timeZone)}</dd>
          </>
        )}
        {row.feedbackVerdict && (
          <>
            <dt>Feedback</dt>
            <dd>
              {row.feedbackVerdict}
              {row.feedbackComment ? `: ${row.feedbackComment}` : ''}
            </dd>
          </>
        )}
      </dl>
      <section aria-label="Explanation">
        <h6 className={styles.heading}>Why (strongest inputs)</h6>
        {features.length === 0 ? (
          <span className={styles.muted}>No explanation recorded</span>
        ) : factors.length > 0 ? (
          <table className={styles.factors} data-testid={testIds.panel.detailsFactors}>
            <thead>
              <tr>
                <th scope="col">Factor</th>
                <th scope="col">Value</th>
                <th scope="col" title="Exact SHAP contribution to the model's score (log-odds)">
                  Contribution
                </th>
              </tr>
            </thead>
            <tbody>
              {factors.map((factor) => (
                <tr key={factor.name}>
                  <td className={styles.factorName}>{factor.name}</td>
                  <td className={styles.number}>{factor.value ?? '–'}</td>
                  <td className={factor.direction === 'up' ? styles.raises : styles.lowers}>{factor.contribution}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <ul className={styles.tokens}>
            {features.map((feature) => (
              <li key={feature.feature} className={styles.token} title={`weight ${feature.weight.toFixed(3)}`}>
                {feature.feature}
              </li>
            ))}
          </ul>
        )}
        {/* Inside the explanation's column: the details grid keeps its three columns. */}
        {row.recommendation && (
          <section aria-label="How it could have been avoided">
            <h6 className={styles.heading}>How it could have been avoided</h6>
            <p className={styles.recommendation} data-testid={testIds.panel.detailsRecommendation}>
              {row.recommendation}
            </p>
          </section>
        )}
        {mttrFactors.length > 0 && (
          <section aria-label="Time to resolve: why">
            <h6 className={styles.heading}>Time to resolve: why</h6>
            <ul className={styles.mttrFactors} data-testid={testIds.panel.detailsMttrFactors}>
              {mttrFactors.map((factor) => (
                <li key={factor.name} title={factor.title}>
                  <span className={styles.factorName}>
                    {factor.name}
                    {factor.value !== undefined && ` = ${factor.value}`}
                  </span>
                  <span className={factor.direction === 'longer' ? styles.raises : styles.lowers}>
                    {factor.multiplier}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </section>
      <section aria-label="Similar past tickets">
        <h6 className={styles.heading}>Similar past tickets</h6>
        {row.similar.length === 0 ? (
          <span className={styles.muted}>None found</span>
        ) : (
          <ul className={styles.similar}>
            {row.similar.map((similar) => (
              <li key={similar.id}>
                <strong>{similar.id}</strong> {similar.title}
                {similar.resolution && <span className={styles.muted}> — resolved: {similar.resolution}</span>}
                {typeof similar.mttrSeconds === 'number' && (
                  <span className={styles.muted}> ({formatDuration(similar.mttrSeconds * 1000)})</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      {detailDatasourceUid !== undefined && row.ticketId !== undefined && (
        <RelatedTickets
          datasourceUid={detailDatasourceUid}
          ticketId={row.ticketId}
          clock={clock}
          queryRun={queryRun}
          link={relatedTicketLink}
        />
      )}
      {(actions || (row.comments?.length ?? 0) > 0) && (
        <div className={styles.workflow}>
          {actions && (
            <WorkflowControls
              row={row}
              datasourceUid={actions.datasourceUid}
              busy={actions.busy}
              onChange={actions.onChange}
            />
          )}
          <section aria-label="Comments" className={styles.comments}>
            <h6 className={styles.heading}>Comments</h6>
            {(row.comments ?? []).length === 0 ? (
              <span className={styles.muted}>None yet</span>
            ) : (
              <ul className={styles.commentList} data-testid={testIds.panel.comments}>
                {(row.comments ?? []).map((comment) => (
                  <li key={`${comment.atMs}-${comment.by}`}>
                    <span className={styles.muted}>
                      {comment.by}, <Age timeMs={comment.atMs} clock={clock} />:
                    </span>{' '}
                    {comment.text}
                  </li>
                ))}
              </ul>
            )}
            {actions && (
              <div className={styles.commentLine}>
                <InlineField
                  label="Comment"
                  tooltip="Sent with the next verdict or change, or on its own with Add comment"
                  htmlFor={commentId}
                  grow
                  className={styles.commentField}
                >
                  <Input
                    id={commentId}
                    data-testid={testIds.panel.feedbackComment}
                    value={actions.comment}
                    onChange={(event) => actions.onComment(event.currentTarget.value)}
                    placeholder="e.g. replaced the PSU before the UPS ran out"
                    maxLength={2000}
                  />
                </InlineField>
                <Button
                  size="sm"
                  variant="secondary"
                  aria-label={`Add comment to ${row.ticketId ?? 'this ticket'}`}
                  disabled={actions.busy || actions.comment.trim() === '' || row.status === 'closed'}
                  onClick={actions.onAddComment}
                >
                  Add comment
                </Button>
              </div>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  details: css({
    display: 'grid',
    gridTemplateColumns: 'minmax(200px, 1fr) minmax(200px, 1fr) minmax(240px, 2fr)',
    gap: theme.spacing(2),
    padding: theme.spacing(1, 2),
    background: theme.colors.background.secondary,
  }),
  workflow: css({
    gridColumn: '1 / -1',
    display: 'grid',
    gridTemplateColumns: 'minmax(420px, 3fr) minmax(320px, 2fr)',
    gap: theme.spacing(2),
    borderTop: `1px solid ${theme.colors.border.weak}`,
    paddingTop: theme.spacing(1),
  }),
  comments: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
  }),
  commentList: css({
    margin: 0,
    paddingLeft: theme.spacing(2),
  }),
  commentLine: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  }),
  commentField: css({
    marginBottom: 0,
    marginRight: 0,
  }),
  // The whole summary, on as many lines as it takes: the table row shows one.
  summary: css({
    gridColumn: '1 / -1',
    margin: 0,
    fontSize: theme.typography.body.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
  }),
  facts: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(1),
    rowGap: theme.spacing(0.25),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    // Host names and ids have no spaces: they may break anywhere rather than push the column wider.
    dd: { margin: 0, overflowWrap: 'anywhere' },
  }),
  heading: css({
    color: theme.colors.text.secondary,
    marginBottom: theme.spacing(0.5),
  }),
  tokens: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5),
    listStyle: 'none',
    margin: 0,
    padding: 0,
  }),
  token: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    border: `1px solid ${theme.colors.border.medium}`,
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  similar: css({
    margin: 0,
    paddingLeft: theme.spacing(2),
  }),
  factors: css({
    borderCollapse: 'collapse',
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightRegular, textAlign: 'left' },
    'th, td': { padding: theme.spacing(0, 1, 0, 0) },
  }),
  factorName: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    overflowWrap: 'anywhere',
  }),
  number: css({
    fontVariantNumeric: 'tabular-nums',
    textAlign: 'right',
  }),
  // Towards the alert in the theme's error colour, away from it in success: the sign alone is easy to miss.
  raises: css({
    fontVariantNumeric: 'tabular-nums',
    textAlign: 'right',
    color: theme.colors.error.text,
  }),
  lowers: css({
    fontVariantNumeric: 'tabular-nums',
    textAlign: 'right',
    color: theme.colors.success.text,
  }),
  // Name left, its effect on the predicted time right, one factor a line.
  mttrFactors: css({
    listStyle: 'none',
    margin: 0,
    padding: 0,
    li: { display: 'flex', justifyContent: 'space-between', gap: theme.spacing(1) },
  }),
  recommendation: css({
    margin: 0,
    overflowWrap: 'anywhere',
  }),
  muted: css({
    color: theme.colors.text.secondary,
  }),
});
