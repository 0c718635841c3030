import React from 'react';
import {
  createDataFrame,
  type DataFrame,
  FieldType,
  getDefaultTimeRange,
  LoadingState,
  OrgRole,
  type PanelData,
  type PanelProps,
} from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import type { RelatedTicket, Ticket } from '@nocai/contract';
import { config } from '@grafana/runtime';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';

import { testIds } from '../testIds';
import { TRIAGE_COLUMNS } from '../triage/columns';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from '../types';
import { TriagePanel } from './TriagePanel';

// Grafana injects its real "No data" view at startup; runtime's fallback only says "Unable to render data".
const getDataSourceMock = jest.fn();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  PanelDataErrorView: () => <div>No data</div>,
  getDataSourceSrv: () => ({ get: getDataSourceMock }),
}));

const MINUTE_MS = 60_000;

// An expanded row asks its data source for the related tickets. Tests that give no data source leave that request
// unanswered (the list stays loading), so no answer lands after they end; those about the list answer it.
beforeEach(() => getDataSourceMock.mockReset().mockReturnValue(new Promise(() => undefined)));

function renderPanel(
  series: DataFrame[],
  options: Partial<TriageOptions> = {},
  data: Partial<PanelData> = {},
  timeZone: TimeZone = 'utc'
) {
  return render(<TriagePanel {...panelProps(series, options, data, timeZone)} />);
}

function panelProps(
  series: DataFrame[],
  options: Partial<TriageOptions> = {},
  data: Partial<PanelData> = {},
  timeZone: TimeZone = 'utc'
): PanelProps<TriageOptions> {
  const timeRange = getDefaultTimeRange();
  return {
    id: 1,
    data: { series, state: LoadingState.Done, timeRange, ...data },
    timeRange,
    timeZone,
    options: { ...DEFAULT_TRIAGE_OPTIONS, ...options },
    transparent: false,
    width: 800,
    height: 400,
    fieldConfig: { defaults: {}, overrides: [] },
    renderCounter: 0,
    title: 'Triage',
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    replaceVariables: (value: string) => value,
    onChangeTimeRange: jest.fn(),
  } as unknown as PanelProps<TriageOptions>;
}

/** The frame with some fields' values replaced, as the next refresh of the query would bring them. */
function withValues(frame: DataFrame, values: Record<string, unknown[]>): DataFrame {
  return {
    ...frame,
    fields: frame.fields.map((field) => (values[field.name] ? { ...field, values: values[field.name] } : field)),
  };
}

function ticketsFrame(now: number): DataFrame {
  return createDataFrame({
    refId: 'A',
    fields: [
      { name: 'time', type: FieldType.time, values: [now - 5 * MINUTE_MS, now - 90 * MINUTE_MS, now - 30 * MINUTE_MS] },
      { name: 'ticket_id', type: FieldType.string, values: ['T-3', 'T-2', 'T-1'] },
      { name: 'priority', type: FieldType.string, values: ['P3', 'P1', 'P1'] },
      { name: 'title', type: FieldType.string, values: ['Disk 91% full', 'UPS on battery', 'Core switch down'] },
      { name: 'needs_review', type: FieldType.boolean, values: [false, false, true] },
    ],
  });
}

function rowTexts() {
  return screen.getAllByTestId(testIds.panel.row).map((row) => row.textContent);
}

describe('TriagePanel', () => {
  it('renders one row per ticket, P1 first and the oldest P1 on top', () => {
    renderPanel([ticketsFrame(Date.now())]);

    const rows = screen.getAllByTestId(testIds.panel.row);
    expect(rows).toHaveLength(3);
    expect(within(rows[0]).getByText('UPS on battery')).toBeInTheDocument();
    expect(within(rows[1]).getByText('Core switch down')).toBeInTheDocument();
    expect(within(rows[2]).getByText('Disk 91% full')).toBeInTheDocument();
  });

  it('shows priority badges, ages and a marker on rows that need review', () => {
    renderPanel([ticketsFrame(Date.now())]);

    const [first, second] = screen.getAllByTestId(testIds.panel.row);
    expect(within(first).getByTestId(testIds.panel.priority)).toHaveTextContent('P1');
    expect(within(first).getByTestId(testIds.panel.age)).toHaveTextContent('1 h 30 min ago');
    expect(within(first).queryByTestId(testIds.panel.needsReview)).not.toBeInTheDocument();
    expect(within(second).getByTestId(testIds.panel.needsReview)).toHaveTextContent('Review');
  });

  it('labels the columns it has data for and leaves out the others', () => {
    renderPanel([ticketsFrame(Date.now())], { columns: [...TRIAGE_COLUMNS] });

    const headers = screen.getAllByRole('columnheader').map((header) => header.textContent);
    expect(headers).toEqual(['Details', 'Priority', 'Age', 'Review', 'Ticket', 'Summary']);
    expect(screen.getByRole('table', { name: 'Triage queue' })).toBeInTheDocument();
  });

  it('keeps ages moving between dashboard refreshes', () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12) });
    try {
      renderPanel([ticketsFrame(Date.now())], { defaultSort: 'newest' });
      const age = screen.getAllByTestId(testIds.panel.age)[0];
      expect(age).toHaveTextContent('5 min ago');

      act(() => {
        jest.advanceTimersByTime(2 * MINUTE_MS);
      });

      expect(age).toHaveTextContent('7 min ago');
    } finally {
      jest.useRealTimers();
    }
  });

  it('When the dashboard has a time zone, then each age shows the time itself on that clock in its tooltip', () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 10, 26, 2, 0) });
    try {
      renderPanel([ticketsFrame(Date.now())], { defaultSort: 'newest' }, {}, 'Asia/Kolkata');

      const age = screen.getAllByTestId(testIds.panel.age)[0];
      // Five minutes before 02:00 UTC is 07:25 in India (UTC+05:30).
      expect(age).toHaveTextContent('5 min ago');
      expect(age).toHaveAttribute('title', '2026-11-26 07:25:00');
      expect(age).toHaveAttribute('dateTime', '2026-11-26T01:55:00.000Z');
    } finally {
      jest.useRealTimers();
    }
  });

  it('follows the default sort option', () => {
    renderPanel([ticketsFrame(Date.now())], { defaultSort: 'newest' });

    expect(rowTexts()[0]).toContain('Disk 91% full');
  });

  it('shows one page of rows at a time with pagination when rows exceed the page size', () => {
    renderPanel([ticketsFrame(Date.now())], { pageSize: 2 });

    expect(screen.getAllByTestId(testIds.panel.row)).toHaveLength(2);
    expect(screen.getByTestId(testIds.panel.pagination)).toBeInTheDocument();
  });

  it('has no pagination when every row fits on one page', () => {
    renderPanel([ticketsFrame(Date.now())]);

    expect(screen.queryByTestId(testIds.panel.pagination)).not.toBeInTheDocument();
  });

  it('renders classified events too, with their decision as status', () => {
    const events = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [Date.now() - MINUTE_MS] },
        { name: 'hostname', type: FieldType.string, values: ['plc-9'] },
        { name: 'eventClass', type: FieldType.string, values: ['hardware'] },
        { name: 'decision', type: FieldType.string, values: ['needs_review'] },
        { name: 'message', type: FieldType.string, values: ['PLC watchdog reset'] },
        { name: 'confidence', type: FieldType.number, values: [0.41] },
      ],
    });

    renderPanel([events]);

    const [row] = screen.getAllByTestId(testIds.panel.row);
    expect(row).toHaveTextContent('PLC watchdog reset');
    expect(row).toHaveTextContent('needs review');
    expect(row).toHaveTextContent('41%');
    expect(within(row).getByTestId(testIds.panel.needsReview)).toBeInTheDocument();
  });

  it('shows the no-data view instead of a table when there are no frames', () => {
    renderPanel([]);

    expect(screen.getByText('No data')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.panel.table)).not.toBeInTheDocument();
  });

  it('shows the no-data view when the frames have no rows', () => {
    renderPanel([createDataFrame({ fields: [{ name: 'ticket_id', type: FieldType.string, values: [] }] })]);

    expect(screen.getByText('No data')).toBeInTheDocument();
  });
});

/** Two tickets as the NOC AI data source frames them (snake_case names, its marker in meta.custom). */
function nocaiFrame(now: number, datasourceUid = 'nocai-frames'): DataFrame {
  return createDataFrame({
    refId: 'A',
    meta: { custom: { source: 'nocai-inference-datasource', datasourceUid } },
    fields: [
      { name: 'time', type: FieldType.time, values: [now - 20 * MINUTE_MS, now - 5 * MINUTE_MS] },
      { name: 'ticket_id', type: FieldType.string, values: ['SIL-1', 'CMP-2'] },
      { name: 'priority', type: FieldType.string, values: ['P1', 'P3'] },
      { name: 'title', type: FieldType.string, values: ['Ward 3 monitors silent', 'Printer jammed'] },
      { name: 'department', type: FieldType.string, values: ['field_technicians', 'it_ops'] },
      { name: 'status', type: FieldType.string, values: ['needs_review', 'open'] },
      { name: 'root_cause', type: FieldType.string, values: ['power switch PS-12 silent since 12:00', null] },
      { name: 'related_alerts', type: FieldType.number, values: [14, 0] },
      { name: 'explanation', type: FieldType.string, values: ['[{"feature":"silent","weight":2}]', '[]'] },
      {
        name: 'similar',
        type: FieldType.string,
        values: [
          '[{"id":"SIL-0","title":"Ward 2 dark","resolution":"reset PS-04","mttrSeconds":900,"similarity":0.9}]',
          '[]',
        ],
      },
      { name: 'feedback_verdict', type: FieldType.string, values: [null, null] },
      { name: 'version', type: FieldType.number, values: [2, 5] },
      { name: 'assignee', type: FieldType.string, values: [null, 'user:bob'] },
    ],
  });
}

function ticketRow(ticketId: string) {
  const row = screen.getAllByTestId(testIds.panel.row).find((candidate) => candidate.dataset.ticketId === ticketId);
  if (!row) {
    throw new Error(`no row for ${ticketId}`);
  }
  return row;
}

function answered(ticket: Partial<Ticket>): Ticket {
  return { status: 'open', needsReview: false, ...ticket } as Ticket;
}

describe('TriagePanel feedback', () => {
  it('When Validate is clicked, then the verdict goes to the data source chosen in the options and the row shows it', async () => {
    const postFeedback = jest.fn().mockResolvedValue(answered({ feedback: { verdict: 'valid', atMs: 1 } }));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', postFeedback });
    renderPanel([nocaiFrame(Date.now())], { feedbackDatasourceUid: 'nocai-option' });

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Validate SIL-1' }));

    expect(within(ticketRow('SIL-1')).getByTestId(testIds.panel.feedbackVerdict)).toHaveTextContent('Validated');
    await waitFor(() =>
      expect(within(ticketRow('SIL-1')).getByTestId(testIds.panel.feedbackVerdict)).toHaveAttribute(
        'data-progress',
        'saved'
      )
    );
    expect(getDataSourceMock).toHaveBeenCalledWith('nocai-option');
    expect(postFeedback).toHaveBeenCalledWith('SIL-1', 'valid', undefined);
    expect(within(ticketRow('SIL-1')).getByRole('button', { name: 'Validate SIL-1' })).toHaveAttribute(
      'aria-pressed',
      'true'
    );
  });

  it('When no feedback data source is chosen, then the data source that produced the frame receives it', async () => {
    const postFeedback = jest.fn().mockResolvedValue(answered({ feedback: { verdict: 'invalid', atMs: 1 } }));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', postFeedback });
    renderPanel([nocaiFrame(Date.now(), 'nocai-frames')]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Invalidate CMP-2' }));

    await waitFor(() => expect(postFeedback).toHaveBeenCalledWith('CMP-2', 'invalid', undefined));
    expect(getDataSourceMock).toHaveBeenCalledWith('nocai-frames');
  });

  it('When the backend refuses, then an error alert shows its message and the row rolls back', async () => {
    let refuse: (error: Error) => void = () => undefined;
    const postFeedback = jest.fn(() => new Promise<Ticket>((_resolve, reject) => (refuse = reject)));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', postFeedback });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Avoided SIL-1' }));
    await waitFor(() => expect(postFeedback).toHaveBeenCalled());
    // Grafana's Button keeps a disabled button focusable (for its tooltip) and marks it aria-disabled.
    expect(within(ticketRow('SIL-1')).getByRole('button', { name: 'Validate SIL-1' })).toHaveAttribute(
      'aria-disabled',
      'true'
    );
    await act(async () => refuse(new Error('no ticket SIL-1 (not_found, 404 Not Found)')));

    const alert = screen.getByTestId(testIds.panel.feedbackError);
    expect(alert).toHaveTextContent('Feedback on SIL-1 was not saved');
    expect(alert).toHaveTextContent('no ticket SIL-1');
    expect(within(ticketRow('SIL-1')).getByTestId(testIds.panel.feedbackVerdict)).not.toHaveTextContent('Avoided');
    expect(within(ticketRow('SIL-1')).getByRole('button', { name: 'Validate SIL-1' })).toHaveAttribute(
      'aria-disabled',
      'false'
    );
  });

  it('When the chosen data source is not a NOC AI one, then the error says so and nothing is kept', async () => {
    getDataSourceMock.mockResolvedValue({ name: 'InfluxDB' });
    renderPanel([nocaiFrame(Date.now())], { feedbackDatasourceUid: 'influx' });

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Validate SIL-1' }));

    expect(await screen.findByTestId(testIds.panel.feedbackError)).toHaveTextContent('"InfluxDB" cannot take feedback');
  });

  it('When a comment is typed in the expanded row, then it is sent with the verdict', async () => {
    const postFeedback = jest.fn().mockResolvedValue(answered({ feedback: { verdict: 'avoided', atMs: 1 } }));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', postFeedback });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));
    fireEvent.change(screen.getByTestId(testIds.panel.feedbackComment), { target: { value: 'reset PS-12' } });
    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Avoided SIL-1' }));

    await waitFor(() => expect(postFeedback).toHaveBeenCalledWith('SIL-1', 'avoided', 'reset PS-12'));
  });
});

describe('TriagePanel workflow', () => {
  it('When Ack is clicked, then the row shows acknowledged at once and the change goes out with the row version', async () => {
    const updateTicket = jest.fn().mockResolvedValue(answered({ id: 'CMP-2', status: 'acknowledged', version: 6 }));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', updateTicket, addComment: jest.fn() });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Acknowledge CMP-2' }));

    expect(within(ticketRow('CMP-2')).getByTestId(testIds.panel.status)).toHaveTextContent('acknowledged');
    await waitFor(() =>
      expect(within(ticketRow('CMP-2')).getByTestId(testIds.panel.status)).toHaveAttribute('data-progress', 'saved')
    );
    expect(updateTicket).toHaveBeenCalledWith('CMP-2', { status: 'acknowledged', version: 5 });
    // Acknowledged: the quick button is gone, the next moves are in the details.
    expect(within(ticketRow('CMP-2')).queryByRole('button', { name: 'Acknowledge CMP-2' })).not.toBeInTheDocument();
  });

  it('When the backend refuses a change, then the row rolls back and an alert shows the reason', async () => {
    const updateTicket = jest
      .fn()
      .mockRejectedValue(new Error('ticket CMP-2 is at version 7, not 5 (stale_version, 409 Conflict)'));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', updateTicket, addComment: jest.fn() });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Acknowledge CMP-2' }));

    const alert = await screen.findByTestId(testIds.panel.workflowError);
    expect(alert).toHaveTextContent('The change to CMP-2 was not saved');
    expect(alert).toHaveTextContent('is at version 7, not 5');
    expect(within(ticketRow('CMP-2')).getByTestId(testIds.panel.status)).toHaveTextContent('open');
  });

  it('When an assignee without user: or team: is typed, then the format shows and nothing is sent; a valid one is sent with the comment', async () => {
    const updateTicket = jest
      .fn()
      .mockResolvedValue(answered({ id: 'SIL-1', status: 'needs_review', assignee: 'team:facilities', version: 3 }));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', updateTicket, addComment: jest.fn() });
    renderPanel([nocaiFrame(Date.now())]);
    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

    const input = screen.getByTestId(testIds.panel.assigneeInput);
    fireEvent.change(input, { target: { value: 'facilities' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(await screen.findByText(/^use user:<login>/)).toBeInTheDocument();
    expect(updateTicket).not.toHaveBeenCalled();

    fireEvent.change(input, { target: { value: 'team:facilities' } });
    fireEvent.change(screen.getByTestId(testIds.panel.feedbackComment), { target: { value: 'their building' } });
    fireEvent.click(screen.getByRole('button', { name: 'Assign SIL-1' }));

    await waitFor(() =>
      expect(updateTicket).toHaveBeenCalledWith('SIL-1', {
        assignee: 'team:facilities',
        comment: 'their building',
        version: 2,
      })
    );
    await waitFor(() => expect(screen.getByTestId(testIds.panel.detailsAssignee)).toHaveTextContent('team:facilities'));
    // Sent with the change: the comment field is empty again.
    expect(screen.getByTestId(testIds.panel.feedbackComment)).toHaveValue('');
  });

  it("When the data source cannot list the departments, then the correction offers the six with a note saying the organisation's own are missing", async () => {
    const getDepartments = jest.fn().mockRejectedValue(new Error('502 Bad Gateway'));
    getDataSourceMock.mockResolvedValue({
      name: 'NOC AI',
      updateTicket: jest.fn(),
      addComment: jest.fn(),
      getDepartments,
    });
    renderPanel([nocaiFrame(Date.now())]);
    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Show details of CMP-2' }));

    fireEvent.click(screen.getByRole('button', { name: 'Correct routing of CMP-2' }));

    expect(await screen.findByTestId(testIds.panel.departmentsNote)).toHaveTextContent(
      "Only the six built-in departments are offered: the organisation's own could not be loaded (502 Bad Gateway)."
    );
    expect(getDepartments).toHaveBeenCalledTimes(1);
  });

  it('When a refresh brings a ticket assigned elsewhere, then its open details show the new assignee in the field', () => {
    const now = Date.now();
    const view = renderPanel([nocaiFrame(now)]);
    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Show details of CMP-2' }));
    expect(screen.getByTestId(testIds.panel.assigneeInput)).toHaveValue('user:bob');

    // Another operator reassigned CMP-2, then unassigned it; the dashboard refreshed each time.
    view.rerender(
      <TriagePanel
        {...panelProps([withValues(nocaiFrame(now), { assignee: [null, 'user:carol'], version: [2, 6] })])}
      />
    );
    expect(screen.getByTestId(testIds.panel.detailsAssignee)).toHaveTextContent('user:carol');
    expect(screen.getByTestId(testIds.panel.assigneeInput)).toHaveValue('user:carol');

    view.rerender(
      <TriagePanel {...panelProps([withValues(nocaiFrame(now), { assignee: [null, null], version: [2, 7] })])} />
    );
    expect(screen.getByTestId(testIds.panel.assigneeInput)).toHaveValue('');

    // A draft the operator is typing is theirs: a refresh does not wipe it.
    fireEvent.change(screen.getByTestId(testIds.panel.assigneeInput), { target: { value: 'team:network_ops' } });
    view.rerender(
      <TriagePanel {...panelProps([withValues(nocaiFrame(now), { assignee: [null, 'user:dave'], version: [2, 8] })])} />
    );
    expect(screen.getByTestId(testIds.panel.detailsAssignee)).toHaveTextContent('user:dave');
    expect(screen.getByTestId(testIds.panel.assigneeInput)).toHaveValue('team:network_ops');
  });

  it('When a verdict was saved first, then the next change is made against the version the verdict returned', async () => {
    const postFeedback = jest.fn().mockResolvedValue(answered({ feedback: { verdict: 'valid', atMs: 1 }, version: 6 }));
    const updateTicket = jest.fn().mockResolvedValue(answered({ id: 'CMP-2', status: 'acknowledged', version: 7 }));
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', postFeedback, updateTicket, addComment: jest.fn() });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Validate CMP-2' }));
    await waitFor(() =>
      expect(within(ticketRow('CMP-2')).getByTestId(testIds.panel.feedbackVerdict)).toHaveAttribute(
        'data-progress',
        'saved'
      )
    );
    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Acknowledge CMP-2' }));

    await waitFor(() => expect(updateTicket).toHaveBeenCalledWith('CMP-2', { status: 'acknowledged', version: 6 }));
  });

  it('When a comment is added on its own, then it goes out and shows in the comments list', async () => {
    const addComment = jest
      .fn()
      .mockResolvedValue(
        answered({ id: 'CMP-2', version: 6, comments: [{ text: 'paper ordered', by: 'alice', atMs: Date.now() }] })
      );
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', updateTicket: jest.fn(), addComment });
    renderPanel([nocaiFrame(Date.now())]);
    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Show details of CMP-2' }));

    fireEvent.change(screen.getByTestId(testIds.panel.feedbackComment), { target: { value: 'paper ordered' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add comment to CMP-2' }));

    await waitFor(() =>
      expect(screen.getByTestId(testIds.panel.comments)).toHaveTextContent('alice, just now: paper ordered')
    );
    expect(addComment).toHaveBeenCalledWith('CMP-2', 'paper ordered');
  });
});

describe('TriagePanel details, filters and states', () => {
  it('When the expand button is pressed, then related alerts, the explanation and similar tickets show', () => {
    renderPanel([nocaiFrame(Date.now())]);
    const expand = within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' });
    expect(expand).toHaveAttribute('aria-expanded', 'false');

    fireEvent.click(expand);

    expect(expand).toHaveAttribute('aria-expanded', 'true');
    const details = screen.getByTestId(testIds.panel.details);
    // The long ticket id is not a default column: the expanded row names it.
    expect(screen.queryByRole('columnheader', { name: 'Ticket' })).not.toBeInTheDocument();
    expect(details).toHaveTextContent('TicketSIL-1');
    expect(details).toHaveTextContent('Related alerts14');
    expect(details).toHaveTextContent('silent');
    expect(details).toHaveTextContent('SIL-0 Ward 2 dark — resolved: reset PS-04 (15m)');
    expect(ticketRow('SIL-1')).toHaveTextContent('power switch PS-12 silent since 12:00');
    // A text model's tokens have no values: no factor table, and no recommendation on a ticket without one.
    expect(screen.queryByTestId(testIds.panel.detailsFactors)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.panel.detailsRecommendation)).not.toBeInTheDocument();
  });

  it('When a predicted problem ticket is expanded, then its top factors show with values and contributions, and the recommendation', () => {
    const recommendation = 'lower freezer.setpoint_c from −22 to −25 2 h earlier: probability 0.81 → 0.22';
    const explanation = [
      { feature: 'freezer.door_open_count:mean_24', weight: 1.234, value: 3.25 },
      { feature: 'freezer.setpoint_c:last', weight: -0.4, value: -22 },
    ];
    renderPanel([
      createDataFrame({
        refId: 'A',
        meta: { custom: { source: 'nocai-inference-datasource', datasourceUid: 'nocai-frames' } },
        fields: [
          { name: 'time', type: FieldType.time, values: [Date.now() - MINUTE_MS] },
          { name: 'ticket_id', type: FieldType.string, values: ['INC-7'] },
          { name: 'priority', type: FieldType.string, values: ['P2'] },
          { name: 'title', type: FieldType.string, values: ['Predicted freezer-warm on freezer-01 within 2 h'] },
          { name: 'status', type: FieldType.string, values: ['open'] },
          { name: 'explanation', type: FieldType.string, values: [JSON.stringify(explanation)] },
          { name: 'recommendation', type: FieldType.string, values: [recommendation] },
        ],
      }),
    ]);

    fireEvent.click(within(ticketRow('INC-7')).getByRole('button', { name: 'Show details of INC-7' }));

    const rows = within(screen.getByTestId(testIds.panel.detailsFactors))
      .getAllByRole('row')
      .map((row) => Array.from(row.querySelectorAll('th, td'), (cell) => cell.textContent));
    expect(rows).toEqual([
      ['Factor', 'Value', 'Contribution'],
      ['freezer.door_open_count:mean_24', '3.25', '+1.234'],
      ['freezer.setpoint_c:last', '−22', '−0.400'],
    ]);
    expect(screen.getByTestId(testIds.panel.detailsRecommendation)).toHaveTextContent(recommendation);
  });

  it('When a ticket whose time to resolve the model explained is expanded, then each factor shows as a multiplier of the predicted time, strongest first', () => {
    // Out of order, as a frame from another source may hold them: the panel ranks them itself.
    const mttrFactors = [
      { feature: 'is_weekend', weight: 0.04, value: 1 },
      { feature: 'priority=P1', weight: -0.51 },
      { feature: 'hours_to_business_start', weight: 0.5878, value: 13 },
    ];
    renderPanel([
      createDataFrame({
        refId: 'A',
        meta: { custom: { source: 'nocai-inference-datasource', datasourceUid: 'nocai-frames' } },
        fields: [
          { name: 'time', type: FieldType.time, values: [Date.now() - MINUTE_MS, Date.now() - 2 * MINUTE_MS] },
          { name: 'ticket_id', type: FieldType.string, values: ['CMP-9', 'CMP-8'] },
          { name: 'priority', type: FieldType.string, values: ['P1', 'P3'] },
          { name: 'title', type: FieldType.string, values: ['UPS on battery', 'Printer jammed'] },
          { name: 'status', type: FieldType.string, values: ['open', 'open'] },
          { name: 'mttr_p50_s', type: FieldType.number, values: [5400, 3600] },
          { name: 'mttr_factors', type: FieldType.string, values: [JSON.stringify(mttrFactors), null] },
        ],
      }),
    ]);

    fireEvent.click(within(ticketRow('CMP-9')).getByRole('button', { name: 'Show details of CMP-9' }));

    const items = within(screen.getByTestId(testIds.panel.detailsMttrFactors)).getAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual([
      'hours_to_business_start = 13×1.8',
      'priority=P1×0.6',
      'is_weekend = 1×1.04',
    ]);
    expect(items[0]).toHaveAttribute('title', expect.stringContaining('+0.588'));
    expect(screen.getByTestId(testIds.panel.details)).toHaveTextContent('Time to resolve: why');

    // A ticket whose estimate is a baseline's has no factors: no section at all.
    fireEvent.click(within(ticketRow('CMP-9')).getByRole('button', { name: 'Hide details of CMP-9' }));
    fireEvent.click(within(ticketRow('CMP-8')).getByRole('button', { name: 'Show details of CMP-8' }));
    expect(screen.getByTestId(testIds.panel.details)).not.toHaveTextContent('Time to resolve: why');
    expect(screen.queryByTestId(testIds.panel.detailsMttrFactors)).not.toBeInTheDocument();
  });

  it('When a ticket with a long summary is expanded, then the whole summary, its opening and root cause show on the dashboard clock', () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 10, 26, 2, 0) });
    try {
      const summary =
        'Power outage at hosp-01: power switch hosp-01-ps-01 lost its feed, 11 dependants dark, including the ward monitors';
      const frame = nocaiFrame(Date.now());
      const field = (name: string) => frame.fields.find((candidate) => candidate.name === name);
      field('title')?.values.splice(0, 1, summary);
      field('root_cause')?.values.splice(
        0,
        1,
        'power switch hosp-01-ps-01 silent since 2026-11-26T01:43:09Z, 11 of 20 affected'
      );
      renderPanel([frame], {}, {}, 'America/New_York');

      // The table cuts the summary to one line; the tooltip and the expanded row hold all of it.
      expect(within(ticketRow('SIL-1')).getByText(summary)).toHaveAttribute('title', summary);
      fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

      expect(screen.getByTestId(testIds.panel.detailsSummary)).toHaveTextContent(summary);
      // 20 minutes before 02:00 UTC, and the root cause's UTC instant, in New York (UTC-05:00).
      expect(screen.getByTestId(testIds.panel.detailsTime)).toHaveTextContent('2026-11-25 20:40:00 (20 min ago)');
      expect(screen.getByTestId(testIds.panel.detailsRootCause)).toHaveTextContent(
        'power switch hosp-01-ps-01 silent since 2026-11-25 20:43:09, 11 of 20 affected'
      );
      expect(ticketRow('SIL-1')).toHaveTextContent('silent since 2026-11-25 20:43:09');
    } finally {
      jest.useRealTimers();
    }
  });

  it('When a priority filter is picked, then only tickets of that priority are listed', () => {
    renderPanel([nocaiFrame(Date.now())]);

    const priority = screen.getByRole('combobox', { name: 'Priority' });
    fireEvent.change(priority, { target: { value: 'P3' } });
    fireEvent.keyDown(priority, { key: 'Enter' });

    expect(rowTexts()).toEqual([expect.stringContaining('Printer jammed')]);
  });

  it('When tickets come straight from InfluxDB (a row per state change), then one row per ticket shows, read-only', () => {
    const now = Date.now();
    const influx = createDataFrame({
      refId: 'A',
      fields: [
        { name: 'Time', type: FieldType.time, values: [now - 10 * MINUTE_MS, now - 2 * MINUTE_MS] },
        { name: 'ticket_id', type: FieldType.string, values: ['GRA-1', 'GRA-1'] },
        { name: 'status', type: FieldType.string, values: ['open', 'resolved'] },
        { name: 'priority', type: FieldType.string, values: ['P2', 'P2'] },
        { name: 'opened_at_ms', type: FieldType.number, values: [now - 10 * MINUTE_MS, now - 10 * MINUTE_MS] },
      ],
    });

    renderPanel([influx]);

    expect(screen.getAllByTestId(testIds.panel.row)).toHaveLength(1);
    expect(ticketRow('GRA-1')).toHaveTextContent('resolved');
    expect(within(ticketRow('GRA-1')).getByTestId(testIds.panel.age)).toHaveTextContent('10 min ago');
    expect(screen.queryByRole('button', { name: /Validate/ })).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.panel.readOnlyHint)).toHaveTextContent('Feedback needs the NOC AI datasource');
  });

  it('When the columns option leaves some out, then those headers are gone', () => {
    renderPanel([nocaiFrame(Date.now())], { columns: ['priority', 'summary'] });

    const headers = screen.getAllByRole('columnheader').map((header) => header.textContent);
    expect(headers).toEqual(['Details', 'Priority', 'Summary', 'Actions']);
  });

  it('When the first query is still running, then a loading text shows instead of "No data"', () => {
    renderPanel([], {}, { state: LoadingState.Loading });

    expect(screen.getByText('Loading tickets…')).toBeInTheDocument();
  });

  it('When the query failed and there is nothing to show, then the error message shows', () => {
    renderPanel([], {}, { state: LoadingState.Error, errors: [{ message: 'Tickets query failed: no answer' }] });

    expect(screen.getByTestId(testIds.panel.queryError)).toHaveTextContent('Tickets query failed: no answer');
  });
});

/** The monitor's outage, as GET /api/tickets/:id lists it among a complaint's related tickets. */
const MONITOR_OUTAGE: RelatedTicket = {
  id: 'GRA-7',
  title: 'hosp-01-mon-07 unreachable',
  status: 'acknowledged',
  source: 'grafana_alert',
  eventClass: 'network',
  department: 'network_ops',
  priority: 'P1',
  openedAtMs: Date.now() - 25 * MINUTE_MS,
  host: 'hosp-01-mon-07',
};

function detailAnswering(relatedTickets: RelatedTicket[]) {
  return jest.fn((ticketId: string) =>
    Promise.resolve({ ticket: answered({ id: ticketId }), relatedAlerts: [], relatedTickets })
  );
}

describe('TriagePanel related tickets', () => {
  it("When a nurse's complaint is expanded, then the monitor's open incident shows with its priority, status, department and host", async () => {
    const complaint = {
      ...MONITOR_OUTAGE,
      id: 'CMP-8',
      title: 'Monitor in bed 4 shows no waveform',
      priority: 'P3' as const,
    };
    // Opened 25 minutes before this test runs, not before the file was loaded: a busy machine may
    // take over a minute to reach this test.
    const outage = { ...MONITOR_OUTAGE, openedAtMs: Date.now() - 25 * MINUTE_MS };
    const getTicketDetail = detailAnswering([outage, complaint]);
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', getTicketDetail });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

    const related = await screen.findAllByTestId(testIds.panel.relatedTicket);
    expect(related.map((item) => item.dataset.ticketId)).toEqual(['GRA-7', 'CMP-8']);
    expect(related[0]).toHaveTextContent(
      'GRA-7 hosp-01-mon-07 unreachable — P1, acknowledged, network_ops, hosp-01-mon-07, opened 25 min ago'
    );
    expect(getDataSourceMock).toHaveBeenCalledWith('nocai-frames');
    expect(getTicketDetail).toHaveBeenCalledWith('SIL-1');
  });

  it('When the dashboard refreshes with a row open, then its related tickets are asked for again and a new one shows, the old list staying meanwhile', async () => {
    const complaint = { ...MONITOR_OUTAGE, id: 'CMP-9', title: 'Bed 4 monitor alarms again', priority: 'P3' as const };
    let answerRefresh: (tickets: RelatedTicket[]) => void = () => undefined;
    const getTicketDetail = jest
      .fn()
      .mockResolvedValueOnce({ ticket: answered({ id: 'SIL-1' }), relatedAlerts: [], relatedTickets: [MONITOR_OUTAGE] })
      .mockImplementationOnce(
        () =>
          new Promise((resolve) => {
            answerRefresh = (relatedTickets) =>
              resolve({ ticket: answered({ id: 'SIL-1' }), relatedAlerts: [], relatedTickets });
          })
      );
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', getTicketDetail });
    const now = Date.now();
    const ranAt = (startTime: number) =>
      panelProps([nocaiFrame(now)], {}, { request: { startTime } as PanelData['request'] });
    const view = render(<TriagePanel {...ranAt(1)} />);
    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));
    expect(await screen.findByTestId(testIds.panel.relatedTicket)).toHaveTextContent('GRA-7');

    view.rerender(<TriagePanel {...ranAt(2)} />);

    await waitFor(() => expect(getTicketDetail).toHaveBeenCalledTimes(2));
    expect(screen.getByTestId(testIds.panel.relatedTickets)).toHaveAttribute('data-state', 'loaded');
    expect(screen.getAllByTestId(testIds.panel.relatedTicket)).toHaveLength(1);
    await act(async () => answerRefresh([MONITOR_OUTAGE, complaint]));
    expect(screen.getAllByTestId(testIds.panel.relatedTicket).map((item) => item.dataset.ticketId)).toEqual([
      'GRA-7',
      'CMP-9',
    ]);
  });

  it('When a related ticket is in the panel too, then its id opens its row, on its page; one the panel does not list is plain text', async () => {
    const printer = { ...MONITOR_OUTAGE, id: 'CMP-2', title: 'Printer jammed', priority: 'P3' as const };
    getDataSourceMock.mockResolvedValue({
      name: 'NOC AI',
      getTicketDetail: detailAnswering([MONITOR_OUTAGE, printer]),
    });
    renderPanel([nocaiFrame(Date.now())], { pageSize: 1 });
    expect(screen.queryByText('Printer jammed')).not.toBeInTheDocument();

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));
    const open = await screen.findByRole('button', { name: 'Open CMP-2 in the list' });
    expect(screen.queryByRole('button', { name: 'Open GRA-7 in the list' })).not.toBeInTheDocument();
    fireEvent.click(open);

    expect(within(ticketRow('CMP-2')).getByRole('button', { name: 'Hide details of CMP-2' })).toHaveAttribute(
      'aria-expanded',
      'true'
    );
    await waitFor(() =>
      expect(screen.getByTestId(testIds.panel.relatedTickets)).toHaveAttribute('data-state', 'loaded')
    );
  });

  it('When a complaint linked to an incident is expanded, then the incident shows above the related list with its status and priority, its id opening its row', async () => {
    const incident: RelatedTicket = {
      ...MONITOR_OUTAGE,
      id: 'SIL-1',
      title: 'Ward 3 monitors silent',
      status: 'in_progress',
    };
    getDataSourceMock.mockResolvedValue({
      name: 'NOC AI',
      getTicketDetail: jest.fn(() =>
        Promise.resolve({
          ticket: answered({ id: 'CMP-2', parentId: 'SIL-1' }),
          relatedAlerts: [],
          relatedTickets: [incident],
          parent: incident,
        })
      ),
    });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Show details of CMP-2' }));

    const parent = await screen.findByTestId(testIds.panel.relatedParent);
    expect(parent).toHaveTextContent('Linked to incident SIL-1: Ward 3 monitors silent — in progress, P1');
    expect(parent).not.toHaveTextContent('confirm with the reporter');
    const [firstRelated] = screen.getAllByTestId(testIds.panel.relatedTicket);
    expect(parent.compareDocumentPosition(firstRelated) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    fireEvent.click(within(parent).getByRole('button', { name: 'Open SIL-1 in the list' }));
    expect(within(ticketRow('SIL-1')).getByRole('button', { name: 'Hide details of SIL-1' })).toHaveAttribute(
      'aria-expanded',
      'true'
    );
    await waitFor(() =>
      screen
        .getAllByTestId(testIds.panel.relatedTickets)
        .forEach((list) => expect(list).toHaveAttribute('data-state', 'loaded'))
    );
  });

  it('When the incident a complaint is linked to was resolved, then the row says when and to confirm with the reporter', async () => {
    const resolved: RelatedTicket = {
      ...MONITOR_OUTAGE,
      status: 'resolved',
      resolvedAtMs: Date.now() - 12 * MINUTE_MS,
    };
    getDataSourceMock.mockResolvedValue({
      name: 'NOC AI',
      getTicketDetail: jest.fn(() =>
        Promise.resolve({
          ticket: answered({ id: 'CMP-2', parentId: 'GRA-7' }),
          relatedAlerts: [],
          relatedTickets: [],
          parent: resolved,
        })
      ),
    });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Show details of CMP-2' }));

    const parent = await screen.findByTestId(testIds.panel.relatedParent);
    expect(parent).toHaveTextContent(
      'Linked to incident GRA-7: hosp-01-mon-07 unreachable — P1, resolved 12 min ago: confirm with the reporter'
    );
    // The panel does not list the incident: its id is plain text.
    expect(within(parent).queryByRole('button')).not.toBeInTheDocument();
  });

  it('When an incident is expanded, then the complaints linked to it are marked linked, and no parent line shows', async () => {
    const linked = { ...MONITOR_OUTAGE, id: 'CMP-8', title: 'Bed 4 shows no waveform', parentId: 'SIL-1' };
    const unlinked = { ...MONITOR_OUTAGE, id: 'CMP-9', title: 'Bed 5 alarms' };
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', getTicketDetail: detailAnswering([linked, unlinked]) });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

    const [first, second] = await screen.findAllByTestId(testIds.panel.relatedTicket);
    expect(within(first).getByTestId(testIds.panel.relatedLinked)).toHaveTextContent('linked');
    expect(within(second).queryByTestId(testIds.panel.relatedLinked)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.panel.relatedParent)).not.toBeInTheDocument();
  });

  it('When no other ticket of its devices was open, then the expanded row says so', async () => {
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', getTicketDetail: detailAnswering([]) });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('CMP-2')).getByRole('button', { name: 'Show details of CMP-2' }));

    expect(await screen.findByTestId(testIds.panel.relatedEmpty)).toHaveTextContent(
      'no other ticket of its devices was open at the same time'
    );
    expect(screen.queryByTestId(testIds.panel.relatedTicket)).not.toBeInTheDocument();
  });

  it('When the backend cannot be reached, then the error shows and Retry asks again', async () => {
    const getTicketDetail = jest
      .fn()
      .mockRejectedValueOnce(new Error("Grafana's proxy got no answer from the backend (502 Bad Gateway)"))
      .mockResolvedValue({ ticket: answered({ id: 'SIL-1' }), relatedAlerts: [], relatedTickets: [MONITOR_OUTAGE] });
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', getTicketDetail });
    renderPanel([nocaiFrame(Date.now())]);

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

    const error = await screen.findByTestId(testIds.panel.relatedError);
    expect(error).toHaveTextContent('Related tickets could not be loaded');
    expect(error).toHaveTextContent('502 Bad Gateway');
    fireEvent.click(within(error).getByRole('button', { name: 'Retry related tickets of SIL-1' }));
    expect(await screen.findByTestId(testIds.panel.relatedTicket)).toHaveTextContent('GRA-7');
    expect(screen.queryByTestId(testIds.panel.relatedError)).not.toBeInTheDocument();
  });

  it('When the chosen data source is not a NOC AI one, then the error says which and what to do', async () => {
    getDataSourceMock.mockResolvedValue({ name: 'InfluxDB' });
    renderPanel([nocaiFrame(Date.now())], { feedbackDatasourceUid: 'influx' });

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

    expect(await screen.findByTestId(testIds.panel.relatedError)).toHaveTextContent(
      '"InfluxDB" cannot show related tickets: choose a NOC AI data source in the panel options'
    );
    expect(getDataSourceMock).toHaveBeenCalledWith('influx');
  });

  it('When tickets come straight from InfluxDB, then the expanded row asks no data source and shows no related list', () => {
    const influx = createDataFrame({
      refId: 'A',
      fields: [
        { name: 'Time', type: FieldType.time, values: [Date.now()] },
        { name: 'ticket_id', type: FieldType.string, values: ['GRA-1'] },
        { name: 'status', type: FieldType.string, values: ['open'] },
      ],
    });
    renderPanel([influx]);

    fireEvent.click(within(ticketRow('GRA-1')).getByRole('button', { name: 'Show details of GRA-1' }));

    expect(screen.getByTestId(testIds.panel.details)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.panel.relatedTickets)).not.toBeInTheDocument();
    expect(getDataSourceMock).not.toHaveBeenCalled();
  });
});

describe('TriagePanel roles', () => {
  const original = config.bootData.user.orgRole;
  afterEach(() => {
    config.bootData.user.orgRole = original;
  });

  it('When a Grafana Viewer opens the panel, then no verdict or workflow action is offered and the hint names the role', () => {
    config.bootData.user.orgRole = OrgRole.Viewer;
    renderPanel([nocaiFrame(Date.now())], { feedbackDatasourceUid: 'nocai-option' });

    expect(screen.queryByRole('button', { name: /Validate/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Acknowledge/ })).not.toBeInTheDocument();
    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));
    expect(screen.queryByRole('button', { name: 'Assign SIL-1' })).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.panel.readOnlyHint)).toHaveTextContent(
      'your Grafana role (Viewer) cannot change tickets'
    );
  });

  it('When a Grafana Viewer expands a ticket, then its related tickets show all the same: reading changes nothing', async () => {
    config.bootData.user.orgRole = OrgRole.Viewer;
    getDataSourceMock.mockResolvedValue({ name: 'NOC AI', getTicketDetail: detailAnswering([MONITOR_OUTAGE]) });
    renderPanel([nocaiFrame(Date.now())], { feedbackDatasourceUid: 'nocai-option' });

    fireEvent.click(within(ticketRow('SIL-1')).getByRole('button', { name: 'Show details of SIL-1' }));

    expect(await screen.findByTestId(testIds.panel.relatedTicket)).toHaveTextContent('GRA-7');
    expect(getDataSourceMock).toHaveBeenCalledWith('nocai-option');
  });

  it('When a Grafana Editor opens the same panel, then the actions are there', () => {
    config.bootData.user.orgRole = OrgRole.Editor;
    renderPanel([nocaiFrame(Date.now())], { feedbackDatasourceUid: 'nocai-option' });

    expect(within(ticketRow('SIL-1')).getByRole('button', { name: 'Validate SIL-1' })).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.panel.readOnlyHint)).not.toBeInTheDocument();
  });
});
