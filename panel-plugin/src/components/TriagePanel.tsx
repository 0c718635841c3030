import React, { type ReactNode, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { Badge, type BadgeColor, Pagination, useStyles2 } from '@grafana/ui';

import { useNow } from '../hooks/useNow';
import { testIds } from '../testIds';
import { formatDuration } from '../triage/format';
import { framesToRows, sortRows, type TriageRow } from '../triage/rows';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from '../types';

type Props = PanelProps<TriageOptions>;

/** Ages are shown to the minute past the first minute; refreshing more often would only cost renders. */
const AGE_REFRESH_MS = 15_000;

export function TriagePanel({ data, options, width, height, fieldConfig, id }: Props) {
  const styles = useStyles2(getStyles);
  const [page, setPage] = useState(1);
  const nowMs = useNow(AGE_REFRESH_MS);
  const rows = useMemo(
    () => sortRows(framesToRows(data.series), options.defaultSort),
    [data.series, options.defaultSort]
  );

  if (rows.length === 0) {
    return <PanelDataErrorView panelId={id} fieldConfig={fieldConfig} data={data} />;
  }

  const pageSize = Math.max(1, Math.floor(options.pageSize || DEFAULT_TRIAGE_OPTIONS.pageSize));
  const pageCount = Math.ceil(rows.length / pageSize);
  // A refresh can shrink the list below the page the operator was on.
  const currentPage = Math.min(page, pageCount);
  const pageRows = rows.slice((currentPage - 1) * pageSize, currentPage * pageSize);
  // Ticket frames and event frames carry different columns: show only those with something in them.
  const columns = COLUMNS.filter((column) => rows.some(column.hasValue));

  return (
    <div className={styles.container} style={{ width, height }} data-testid={testIds.panel.container}>
      <div className={styles.scroll}>
        <table className={styles.table} aria-label="Triage queue" data-testid={testIds.panel.table}>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.id} scope="col" className={styles.header}>
                  {column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {pageRows.map((row) => (
              <tr key={row.key} className={styles.row} data-testid={testIds.panel.row}>
                {columns.map((column) => (
                  <td key={column.id} className={column.id === 'summary' ? styles.summaryCell : styles.cell}>
                    {column.render(row, nowMs)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pageCount > 1 && (
        <div className={styles.footer} data-testid={testIds.panel.pagination}>
          <Pagination currentPage={currentPage} numberOfPages={pageCount} onNavigate={setPage} showSmallVersion />
        </div>
      )}
    </div>
  );
}

interface Column {
  id: string;
  header: string;
  hasValue: (row: TriageRow) => boolean;
  render: (row: TriageRow, nowMs: number) => ReactNode;
}

const textColumn = (id: string, header: string, value: (row: TriageRow) => string | undefined): Column => ({
  id,
  header,
  hasValue: (row) => value(row) !== undefined,
  render: (row) => value(row),
});

const COLUMNS: Column[] = [
  {
    id: 'priority',
    header: 'Priority',
    hasValue: (row) => row.priority !== undefined,
    render: (row) => row.priority && <PriorityBadge priority={row.priority} />,
  },
  {
    id: 'age',
    header: 'Age',
    hasValue: (row) => row.timeMs !== undefined,
    render: (row, nowMs) => row.timeMs !== undefined && <Age timeMs={row.timeMs} nowMs={nowMs} />,
  },
  {
    id: 'review',
    header: 'Review',
    hasValue: (row) => row.needsReview,
    render: (row) =>
      row.needsReview && (
        <Badge
          text="Review"
          color="purple"
          icon="eye"
          tooltip="Flagged for manual review: check this decision before acting on it"
          data-testid={testIds.panel.needsReview}
        />
      ),
  },
  textColumn('ticket', 'Ticket', (row) => row.ticketId),
  {
    id: 'summary',
    header: 'Summary',
    hasValue: (row) => row.message !== undefined,
    render: (row) => <span title={row.message}>{row.message}</span>,
  },
  textColumn('class', 'Class', (row) => row.eventClass),
  textColumn('site', 'Site', (row) => row.site),
  textColumn('host', 'Host', (row) => row.host),
  textColumn('status', 'Status', (row) => row.status),
  textColumn('department', 'Department', (row) => row.department),
  textColumn('confidence', 'Confidence', (row) =>
    row.confidence === undefined ? undefined : `${Math.round(row.confidence * 100)}%`
  ),
  textColumn('mttr', 'MTTR p50 / p90', (row) =>
    row.mttrP50Seconds === undefined && row.mttrP90Seconds === undefined
      ? undefined
      : `${formatSeconds(row.mttrP50Seconds)} / ${formatSeconds(row.mttrP90Seconds)}`
  ),
  textColumn('rootCause', 'Root cause', (row) => row.rootCause),
];

const PRIORITY_COLORS: Record<string, BadgeColor> = { P1: 'red', P2: 'orange', P3: 'blue', P4: 'darkgrey' };

function PriorityBadge({ priority }: { priority: string }) {
  return <Badge text={priority} color={PRIORITY_COLORS[priority] ?? 'darkgrey'} data-testid={testIds.panel.priority} />;
}

function Age({ timeMs, nowMs }: { timeMs: number; nowMs: number }) {
  const iso = new Date(timeMs).toISOString();
  return (
    <time dateTime={iso} title={iso} data-testid={testIds.panel.age}>
      {formatDuration(nowMs - timeMs)}
    </time>
  );
}

function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? '–' : formatDuration(seconds * 1000);
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
  }),
  scroll: css({
    flex: 1,
    overflow: 'auto',
  }),
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
  cell: css({
    padding: theme.spacing(0.5, 1),
    whiteSpace: 'nowrap',
  }),
  summaryCell: css({
    padding: theme.spacing(0.5, 1),
    maxWidth: 480,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  footer: css({
    display: 'flex',
    justifyContent: 'center',
    paddingTop: theme.spacing(0.5),
  }),
});
