import React from 'react';
import {
  createDataFrame,
  type DataFrame,
  FieldType,
  getDefaultTimeRange,
  LoadingState,
  type PanelProps,
} from '@grafana/data';
import { act, render, screen, within } from '@testing-library/react';

import { testIds } from '../testIds';
import { DEFAULT_TRIAGE_OPTIONS, type TriageOptions } from '../types';
import { TriagePanel } from './TriagePanel';

// Grafana injects its real "No data" view at startup; runtime's fallback only says "Unable to render data".
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  PanelDataErrorView: () => <div>No data</div>,
}));

const MINUTE_MS = 60_000;

function renderPanel(series: DataFrame[], options: Partial<TriageOptions> = {}) {
  const timeRange = getDefaultTimeRange();
  const props = {
    id: 1,
    data: { series, state: LoadingState.Done, timeRange },
    timeRange,
    timeZone: 'utc',
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
  return render(<TriagePanel {...props} />);
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
    expect(within(first).getByTestId(testIds.panel.age)).toHaveTextContent('1h 30m');
    expect(within(first).queryByTestId(testIds.panel.needsReview)).not.toBeInTheDocument();
    expect(within(second).getByTestId(testIds.panel.needsReview)).toHaveTextContent('Review');
  });

  it('labels the columns it has data for and leaves out the others', () => {
    renderPanel([ticketsFrame(Date.now())]);

    const headers = screen.getAllByRole('columnheader').map((header) => header.textContent);
    expect(headers).toEqual(['Priority', 'Age', 'Review', 'Ticket', 'Summary']);
    expect(screen.getByRole('table', { name: 'Triage queue' })).toBeInTheDocument();
  });

  it('keeps ages moving between dashboard refreshes', () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12) });
    try {
      renderPanel([ticketsFrame(Date.now())], { defaultSort: 'newest' });
      const age = screen.getAllByTestId(testIds.panel.age)[0];
      expect(age).toHaveTextContent('5m');

      act(() => {
        jest.advanceTimersByTime(2 * MINUTE_MS);
      });

      expect(age).toHaveTextContent('7m');
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
    expect(row).toHaveTextContent('needs_review');
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
