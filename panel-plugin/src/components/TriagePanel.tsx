import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, LoadingState, type PanelProps } from '@grafana/data';
import type { FeedbackVerdict } from '@nocai/contract';
import { config, PanelDataErrorView } from '@grafana/runtime';
import { Alert, Icon, LoadingPlaceholder, Pagination, useStyles2 } from '@grafana/ui';

import { feedbackDatasourceFor } from '../feedbackDatasource';
import { useFeedback } from '../hooks/useFeedback';
import { useNow } from '../hooks/useNow';
import { useWorkflow } from '../hooks/useWorkflow';
import { testIds } from '../testIds';
import { collapseTickets } from '../triage/collapse';
import { isTriageColumn } from '../triage/columns';
import { applyFeedback, feedbackErrors } from '../triage/feedback';
import { filterChoices, filterRows, type TriageFilters } from '../triage/filters';
import { mayChangeTickets, readOnlyReason } from '../triage/permissions';
import { framesToRows, sortRows, type TriageRow } from '../triage/rows';
import { applyWorkflow, type RowWithWorkflow, type WorkflowChange, workflowErrors } from '../triage/workflow';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from '../types';
import { TriageFilterBar } from './TriageFilterBar';
import { HAS_VALUE, TriageTable } from './TriageTable';

type Props = PanelProps<TriageOptions>;

/** Ages are shown to the minute; refreshing more often would only cost renders. */
const AGE_REFRESH_MS = 15_000;

export function TriagePanel({ data, options, width, height, fieldConfig, id, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const [page, setPage] = useState(1);
  const [filters, setFilters] = useState<TriageFilters>({});
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [comments, setComments] = useState<Record<string, string>>({});
  const nowMs = useNow(AGE_REFRESH_MS);
  // `timeZone` is the dashboard's setting, `browser` unless someone chose another: ages count from now, instants
  // are shown on that clock.
  const clock = useMemo(() => ({ nowMs, timeZone }), [nowMs, timeZone]);
  const feedback = useFeedback();
  const workflow = useWorkflow();

  const allRows = useMemo(
    () => sortRows(collapseTickets(framesToRows(data.series)), options.defaultSort),
    [data.series, options.defaultSort]
  );
  // Overlays first, filters after: a ticket moved to another status by this operator leaves a status filter.
  const rows = useMemo(
    () => filterRows(applyWorkflow(applyFeedback(allRows, feedback.state), workflow.state), filters),
    [allRows, filters, feedback.state, workflow.state]
  );

  const onToggle = useCallback(
    (key: string) =>
      setExpanded((current) => {
        const next = new Set(current);
        if (!next.delete(key)) {
          next.add(key);
        }
        return next;
      }),
    []
  );
  const onComment = useCallback(
    (ticketId: string, comment: string) => setComments((current) => ({ ...current, [ticketId]: comment })),
    []
  );
  const { submit } = feedback;
  const onVerdict = useCallback(
    async (row: RowWithWorkflow, datasourceUid: string, verdict: FeedbackVerdict) => {
      if (row.ticketId === undefined) {
        return;
      }
      const ticketId = row.ticketId;
      await submit(datasourceUid, ticketId, verdict, comments[ticketId]);
    },
    [submit, comments]
  );
  const { change, comment } = workflow;
  const onWorkflow = useCallback(
    async (row: RowWithWorkflow, datasourceUid: string, request: WorkflowChange) => {
      if (row.ticketId === undefined) {
        return;
      }
      const ticketId = row.ticketId;
      const note = comments[ticketId]?.trim();
      // The row's version includes what this panel saved since the query ran (verdicts, earlier changes).
      const saved = await change(datasourceUid, ticketId, note ? { ...request, comment: note } : request, row.version);
      if (saved && note) {
        onComment(ticketId, '');
      }
    },
    [change, comments, onComment]
  );
  const onAddComment = useCallback(
    async (row: RowWithWorkflow, datasourceUid: string) => {
      const ticketId = row.ticketId;
      const text = ticketId === undefined ? undefined : comments[ticketId]?.trim();
      if (ticketId === undefined || !text) {
        return;
      }
      if (await comment(datasourceUid, ticketId, text)) {
        onComment(ticketId, '');
      }
    },
    [comment, comments, onComment]
  );
  // A role that cannot change tickets gets no data source to send changes to: every action is hidden.
  const orgRole = config.bootData?.user?.orgRole;
  const canChange = mayChangeTickets(orgRole);
  const feedbackTarget = useCallback(
    (row: TriageRow) => (canChange ? feedbackDatasourceFor(row, options.feedbackDatasourceUid) : undefined),
    [canChange, options.feedbackDatasourceUid]
  );

  // Reading what relates to a ticket changes nothing: every role may, wherever changes would go.
  const detailSource = useCallback(
    (row: TriageRow) => feedbackDatasourceFor(row, options.feedbackDatasourceUid),
    [options.feedbackDatasourceUid]
  );

  // A related ticket listed in this panel (past its filters) opens where it is: its page, its row expanded.
  const pageSize = Math.max(1, Math.floor(options.pageSize || DEFAULT_TRIAGE_OPTIONS.pageSize));
  const listed = useMemo(
    () => new Map(rows.flatMap((row, index) => (row.ticketId === undefined ? [] : [[row.ticketId, { row, index }]]))),
    [rows]
  );
  const container = useRef<HTMLDivElement>(null);
  // The ticket to scroll to once its row is expanded on its page (set by a click, read after that render).
  const revealed = useRef<string | undefined>(undefined);
  const onOpenTicket = useCallback(
    (ticketId: string) => {
      const found = listed.get(ticketId);
      if (found === undefined) {
        return;
      }
      revealed.current = ticketId;
      setExpanded((current) => new Set(current).add(found.row.key));
      setPage(Math.floor(found.index / pageSize) + 1);
    },
    [listed, pageSize]
  );
  useEffect(() => {
    const ticketId = revealed.current;
    if (ticketId === undefined) {
      return;
    }
    revealed.current = undefined;
    // This panel's own row: another panel of the dashboard may list the same ticket.
    const rowElement = Array.from(
      container.current?.querySelectorAll<HTMLElement>(`[data-testid="${testIds.panel.row}"]`) ?? []
    ).find((element) => element.dataset.ticketId === ticketId);
    // jsdom has no scrollIntoView.
    rowElement?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
  }, [expanded, page]);
  const isListed = useCallback((ticketId: string) => listed.has(ticketId), [listed]);

  const queryErrors = data.errors ?? [];
  if (allRows.length === 0) {
    if (data.state === LoadingState.Loading) {
      return <LoadingPlaceholder text="Loading tickets…" data-testid={testIds.panel.loading} />;
    }
    if (queryErrors.length > 0) {
      return (
        <Alert severity="error" title="The tickets query failed" data-testid={testIds.panel.queryError}>
          {queryErrors.map((error, index) => (
            <div key={index}>{error.message ?? 'unknown error'}</div>
          ))}
        </Alert>
      );
    }
    return <PanelDataErrorView panelId={id} fieldConfig={fieldConfig} data={data} />;
  }

  const pageCount = Math.max(1, Math.ceil(rows.length / pageSize));
  // A refresh or a filter can shrink the list below the page the operator was on.
  const currentPage = Math.min(page, pageCount);
  const pageRows = rows.slice((currentPage - 1) * pageSize, currentPage * pageSize);
  const chosen = (options.columns ?? DEFAULT_TRIAGE_OPTIONS.columns).filter(isTriageColumn);
  // Ticket frames and event frames carry different columns: show only those with something in them.
  const columns = chosen.filter((column) => allRows.some(HAS_VALUE[column]));
  const anyFeedback = allRows.some((row) => feedbackTarget(row) !== undefined);
  const readOnlyTickets = !anyFeedback && allRows.some((row) => row.ticketId !== undefined);
  const refusals = feedbackErrors(feedback.state);
  const changeRefusals = workflowErrors(workflow.state);

  return (
    <div ref={container} className={styles.container} style={{ width, height }} data-testid={testIds.panel.container}>
      {refusals.map(({ ticketId, message }) => (
        <Alert
          key={ticketId}
          severity="error"
          title={`Feedback on ${ticketId} was not saved`}
          onRemove={() => feedback.dismiss(ticketId)}
          data-testid={testIds.panel.feedbackError}
        >
          {message}
        </Alert>
      ))}
      {changeRefusals.map(({ ticketId, message }) => (
        <Alert
          key={`change-${ticketId}`}
          severity="error"
          title={`The change to ${ticketId} was not saved`}
          onRemove={() => workflow.dismiss(ticketId)}
          data-testid={testIds.panel.workflowError}
        >
          {message}
        </Alert>
      ))}
      {queryErrors.length > 0 && (
        <Alert severity="warning" title="Some queries failed" data-testid={testIds.panel.queryError}>
          {queryErrors.map((error) => error.message).join('; ')}
        </Alert>
      )}
      <div className={styles.toolbar}>
        <TriageFilterBar
          filters={filters}
          choices={filterChoices(allRows, filters)}
          onChange={(next) => {
            setFilters(next);
            setPage(1);
          }}
        />
        {readOnlyTickets && (
          <span className={styles.hint} data-testid={testIds.panel.readOnlyHint}>
            <Icon name="lock" /> {readOnlyReason(orgRole, canChange)}
          </span>
        )}
      </div>
      <div className={styles.scroll}>
        {rows.length === 0 ? (
          <p className={styles.noMatch} data-testid={testIds.panel.noMatch}>
            No tickets match the filters.
          </p>
        ) : (
          <TriageTable
            rows={pageRows}
            columns={columns}
            clock={clock}
            expanded={expanded}
            onToggle={onToggle}
            feedbackTarget={feedbackTarget}
            detailSource={detailSource}
            queryRun={data.request?.startTime}
            relatedTicketLink={{ isListed, open: onOpenTicket }}
            showActions={anyFeedback}
            comments={comments}
            onComment={onComment}
            onVerdict={onVerdict}
            onWorkflow={onWorkflow}
            onAddComment={onAddComment}
            viewportWidth={width}
          />
        )}
      </div>
      {pageCount > 1 && (
        <div className={styles.footer} data-testid={testIds.panel.pagination}>
          <Pagination currentPage={currentPage} numberOfPages={pageCount} onNavigate={setPage} showSmallVersion />
        </div>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
    overflow: 'hidden',
  }),
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  }),
  hint: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  scroll: css({
    flex: 1,
    overflow: 'auto',
  }),
  noMatch: css({
    color: theme.colors.text.secondary,
    padding: theme.spacing(2),
    textAlign: 'center',
  }),
  footer: css({
    display: 'flex',
    justifyContent: 'center',
    paddingTop: theme.spacing(0.5),
  }),
});
