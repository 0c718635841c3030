import React, { useId } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Field, Input, useStyles2 } from '@grafana/ui';

import { testIds } from '../testIds';
import { formatDuration } from '../triage/format';
import type { RowWithFeedback } from '../triage/feedback';

/** Strongest inputs shown: enough to see why, short enough to read at a glance. */
const MAX_EXPLANATION_FEATURES = 6;

interface Props {
  row: RowWithFeedback;
  id: string;
  /** Absent on read-only rows: there is nothing to send a comment with. */
  comment?: { value: string; onChange: (value: string) => void };
}

/** The expanded part of a row: why the model decided, what it relates to, and how similar tickets ended. */
export function TicketDetails({ row, id, comment }: Props) {
  const styles = useStyles2(getStyles);
  const commentId = useId();
  const features = row.explanation.slice(0, MAX_EXPLANATION_FEATURES);

  return (
    <div id={id} className={styles.details} data-testid={testIds.panel.details}>
      <dl className={styles.facts}>
        {row.ticketId && (
          <>
            <dt>Ticket</dt>
            <dd className={styles.breakable}>{row.ticketId}</dd>
          </>
        )}
        <dt>Related alerts</dt>
        <dd>{row.relatedAlerts ?? '–'}</dd>
        {row.rootCause && (
          <>
            <dt>Root cause</dt>
            <dd>{row.rootCause}</dd>
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
        ) : (
          <ul className={styles.tokens}>
            {features.map((feature) => (
              <li key={feature.feature} className={styles.token} title={`weight ${feature.weight.toFixed(3)}`}>
                {feature.feature}
              </li>
            ))}
          </ul>
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
      {comment && (
        <Field label="Comment" description="Optional, sent with the next verdict" htmlFor={commentId}>
          <Input
            id={commentId}
            data-testid={testIds.panel.feedbackComment}
            value={comment.value}
            onChange={(event) => comment.onChange(event.currentTarget.value)}
            placeholder="e.g. replaced the PSU before the UPS ran out"
            maxLength={2000}
            width={60}
          />
        </Field>
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
    '& > :last-child:nth-child(4)': { gridColumn: '1 / -1' },
  }),
  facts: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(1),
    rowGap: theme.spacing(0.25),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0 },
  }),
  breakable: css({
    overflowWrap: 'anywhere',
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
  muted: css({
    color: theme.colors.text.secondary,
  }),
});
