import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';

import type { NocaiDataSource } from '../datasource';
import { testIds } from '../testIds';
import { DEFAULT_EVENTS_LIMIT, DEFAULT_TICKETS_LIMIT, type NocaiQuery } from '../types';
import { QueryEditor } from './QueryEditor';

// The editor never calls the data source; it only has to satisfy the props type.
const datasource = {} as NocaiDataSource;

function renderEditor(query: NocaiQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  render(<QueryEditor datasource={datasource} query={query} onChange={onChange} onRunQuery={onRunQuery} />);
  return { onChange, onRunQuery };
}

/** Combobox menus are virtualised and do not render in jsdom; typing and Enter picks the first match. */
function pick(combobox: HTMLElement, text: string) {
  fireEvent.change(combobox, { target: { value: text } });
  fireEvent.keyDown(combobox, { key: 'Enter' });
}

describe('QueryEditor', () => {
  it('changes the query type, drops the events filters and runs the query', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'events', host: 'sw-core-1' });

    pick(screen.getByRole('combobox', { name: 'Query type' }), 'Tick');

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'tickets', limit: DEFAULT_TICKETS_LIMIT });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('switching back to events starts from the default limit', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'anomalies' });
    const queryType = screen.getByRole('combobox', { name: 'Query type' });

    fireEvent.change(queryType, { target: { value: 'Eve' } });
    fireEvent.keyDown(queryType, { key: 'ArrowDown' });
    fireEvent.keyDown(queryType, { key: 'Enter' });

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'events', limit: DEFAULT_EVENTS_LIMIT });
  });

  it('keeps the query type when Enter is pressed with no option highlighted', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'anomalies' });

    // The current type's position is past the end of the filtered list, so nothing is highlighted.
    pick(screen.getByRole('combobox', { name: 'Query type' }), 'Eve');

    expect(onChange).not.toHaveBeenCalled();
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('shows the events filters for an events query', () => {
    renderEditor({ refId: 'A', queryType: 'events', host: '$host', limit: 50 });

    expect(screen.getByRole('combobox', { name: 'Class' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Decision' })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.queryEditor.host)).toHaveValue('$host');
    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveValue(50);
    expect(screen.queryByTestId(testIds.queryEditor.notYetServed)).not.toBeInTheDocument();
  });

  it('says a query type is not served yet instead of showing filters', () => {
    renderEditor({ refId: 'A', queryType: 'forecasts' });

    expect(screen.getByTestId(testIds.queryEditor.notYetServed)).toHaveTextContent(
      'Forecasts queries arrive with a later version of the backend'
    );
    expect(screen.queryByTestId(testIds.queryEditor.host)).not.toBeInTheDocument();
  });

  it('treats a saved query without a query type as events', () => {
    renderEditor({ refId: 'A' } as NocaiQuery);

    expect(screen.getByRole('combobox', { name: 'Query type' })).toHaveValue('Events');
    expect(screen.getByTestId(testIds.queryEditor.host)).toBeInTheDocument();
  });

  it('sets the class filter from the suggestions and runs the query', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'events' });

    pick(screen.getByRole('combobox', { name: 'Class' }), 'power');

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'events', eventClass: 'power' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('updates the host filter while typing and runs the query when the field loses focus', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'events' });
    const host = screen.getByTestId(testIds.queryEditor.host);

    fireEvent.change(host, { target: { value: 'ups-03' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'events', host: 'ups-03' });
    expect(onRunQuery).not.toHaveBeenCalled();

    fireEvent.blur(host);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('labels the inputs of each query row separately when there are several rows', () => {
    renderEditor({ refId: 'A', queryType: 'events', host: 'ups-03' });
    renderEditor({ refId: 'B', queryType: 'events', host: 'plc-9' });

    const hosts = screen.getAllByRole('textbox', { name: 'Host' });
    expect(hosts.map((input) => (input as HTMLInputElement).value)).toEqual(['ups-03', 'plc-9']);
  });

  it('ignores a limit that is not a positive number', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'events', limit: 50 });

    fireEvent.change(screen.getByTestId(testIds.queryEditor.limit), { target: { value: '-3' } });

    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'events', limit: undefined });
  });

  it('When a tickets query is edited, then it shows the status, site, department, priority and limit filters', () => {
    renderEditor({ refId: 'A', queryType: 'tickets', site: '$site', limit: 20 });

    expect(screen.getByRole('combobox', { name: 'Status' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Department' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Priority' })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.queryEditor.site)).toHaveValue('$site');
    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveValue(20);
    expect(screen.queryByTestId(testIds.queryEditor.host)).not.toBeInTheDocument();
  });

  it('When a priority is picked, then the tickets query keeps its other filters and runs', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'tickets', site: 'hosp-01' });

    pick(screen.getByRole('combobox', { name: 'Priority' }), 'P1');

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'tickets', site: 'hosp-01', priority: 'P1' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('When a saved query has a string limit, then the editor shows it migrated to a number', () => {
    renderEditor({ refId: 'A', queryType: 'tickets', limit: '30' } as unknown as NocaiQuery);

    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveValue(30);
  });
});
