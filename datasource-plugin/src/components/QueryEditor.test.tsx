import React from 'react';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';

import type { NocaiDataSource } from '../datasource';
import { testIds } from '../testIds';
import { DEFAULT_EVENTS_LIMIT, DEFAULT_SERIES_LIMIT, DEFAULT_TICKETS_LIMIT, type NocaiQuery } from '../types';
import { QueryEditor } from './QueryEditor';

// The editor never calls the data source; it only has to satisfy the props type.
const datasource = {} as NocaiDataSource;

function renderEditor(query: NocaiQuery, source: NocaiDataSource = datasource) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  render(<QueryEditor datasource={source} query={query} onChange={onChange} onRunQuery={onRunQuery} />);
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
    expect(screen.queryByTestId(testIds.queryEditor.seriesFilter('site'))).not.toBeInTheDocument();
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

  it('When an events query is edited, then its department filter shows $department and takes the department chosen', () => {
    renderEditor({ refId: 'A', queryType: 'events', department: '$department' });
    expect(screen.getByRole('combobox', { name: 'Department' })).toHaveValue('$department');

    const { onChange, onRunQuery } = renderEditor({ refId: 'B', queryType: 'events' });
    pick(screen.getAllByRole('combobox', { name: 'Department' })[1], 'maintenance');

    expect(onChange).toHaveBeenCalledWith({ refId: 'B', queryType: 'events', department: 'maintenance' });
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

  it('When an events query is edited, then the site filter shows $site, takes what is typed and runs the query on blur', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'events', site: '$site' });
    const site = screen.getByRole('textbox', { name: 'Site' });
    expect(site).toHaveValue('$site');

    fireEvent.change(site, { target: { value: 'hosp-01' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'events', site: 'hosp-01' });
    expect(onRunQuery).not.toHaveBeenCalled();

    fireEvent.blur(site);
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

  it('When a tickets query is edited, then it shows the status, site, host, department, priority and limit filters', () => {
    renderEditor({ refId: 'A', queryType: 'tickets', site: '$site', limit: 20 });

    expect(screen.getByRole('combobox', { name: 'Status' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Department' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Priority' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Parent status' })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.queryEditor.site)).toHaveValue('$site');
    expect(screen.getByTestId(testIds.queryEditor.host)).toHaveValue('');
    expect(screen.getByTestId(testIds.queryEditor.host)).toHaveAttribute('placeholder', 'Any host, or $host');
    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveValue(20);
  });

  it("When a tickets query's host is typed, then the query keeps its other filters and runs on blur", () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'tickets', site: 'hosp-01' });
    const host = screen.getByRole('textbox', { name: 'Host' });

    fireEvent.change(host, { target: { value: '$host' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'tickets', site: 'hosp-01', host: '$host' });
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.blur(host);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('When a priority is picked, then the tickets query keeps its other filters and runs', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'tickets', site: 'hosp-01' });

    pick(screen.getByRole('combobox', { name: 'Priority' }), 'P1');

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'tickets', site: 'hosp-01', priority: 'P1' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('When a parent status is picked, then the tickets query keeps its other filters and runs', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'tickets', status: 'open' });

    pick(screen.getByRole('combobox', { name: 'Parent status' }), 'resolved');

    expect(onChange).toHaveBeenCalledWith({
      refId: 'A',
      queryType: 'tickets',
      status: 'open',
      parentStatus: 'resolved',
    });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('When Count is switched on, then the tickets query asks for the number of tickets and runs, with no limit to set', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'tickets', status: 'needs_review' });

    fireEvent.click(screen.getByRole('switch', { name: 'Count' }));

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'tickets', status: 'needs_review', count: true });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('When a tickets query counts, then Count is on and the limit is not offered', () => {
    renderEditor({ refId: 'A', queryType: 'tickets', status: 'needs_review', count: true });

    expect(screen.getByRole('switch', { name: 'Count' })).toBeChecked();
    expect(screen.queryByTestId(testIds.queryEditor.limit)).not.toBeInTheDocument();
  });

  it('When a saved query has a string limit, then the editor shows it migrated to a number', () => {
    renderEditor({ refId: 'A', queryType: 'tickets', limit: '30' } as unknown as NocaiQuery);

    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveValue(30);
  });

  it('When a silences query is edited, then it shows one labelled input per aiops_silences tag and the limit', () => {
    renderEditor({ refId: 'A', queryType: 'silences', filters: { site: '$site', state: 'silent' }, limit: 200 });

    const value = (name: string) => (screen.getByRole('textbox', { name }) as HTMLInputElement).value;
    expect(['site', 'host', 'device_kind', 'state'].map(value)).toEqual(['$site', '', '', 'silent']);
    expect(screen.getByRole('textbox', { name: 'host' })).toHaveAttribute('placeholder', 'any');
    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveValue(200);
    expect(screen.queryByRole('combobox', { name: 'Class' })).not.toBeInTheDocument();
  });

  it('When another series kind is edited, then the inputs are the tags of that kind', () => {
    renderEditor({ refId: 'A', queryType: 'forecasts' });

    // The limit is a spinbutton: the text boxes are exactly the tag filters, labelled with their tag.
    expect(screen.getAllByRole('textbox')).toEqual(
      ['target', 'site', 'department', 'step', 'host', 'instance'].map((name) => screen.getByRole('textbox', { name }))
    );
    expect(screen.getByTestId(testIds.queryEditor.limit)).toHaveAttribute('placeholder', String(DEFAULT_SERIES_LIMIT));
  });

  it('When a tag filter is typed, then it is stored in filters beside the others, and the query runs on blur', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'silences', filters: { host: 'ups-03' } });
    const site = screen.getByRole('textbox', { name: 'site' });

    fireEvent.change(site, { target: { value: '$site' } });
    expect(onChange).toHaveBeenLastCalledWith({
      refId: 'A',
      queryType: 'silences',
      filters: { host: 'ups-03', site: '$site' },
    });
    expect(onRunQuery).not.toHaveBeenCalled();

    fireEvent.blur(site);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('When the last tag filter is cleared, then the query has no filters left, as a migrated query would', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'models', filters: { alias: 'champion' } });

    fireEvent.change(screen.getByRole('textbox', { name: 'alias' }), { target: { value: '' } });

    expect(onChange).toHaveBeenLastCalledWith({ refId: 'A', queryType: 'models', filters: undefined });
  });

  it('When the query type changes from one series kind to another, then the old tag filters are dropped', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'silences', filters: { state: 'silent' }, limit: 20 });
    const queryType = screen.getByRole('combobox', { name: 'Query type' });

    fireEvent.change(queryType, { target: { value: 'Drif' } });
    fireEvent.keyDown(queryType, { key: 'ArrowDown' });
    fireEvent.keyDown(queryType, { key: 'Enter' });

    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'drift' });
  });

  describe('problems', () => {
    const withProblems = {
      problemOptions: jest.fn().mockResolvedValue([
        { value: 'freezer-warm', description: 'freezer above -18 °C' },
        { value: 'plc-hot', description: '' },
      ]),
    } as unknown as NocaiDataSource;

    it('When the query type becomes Problems, then it starts on the probability view', () => {
      const { onChange } = renderEditor({ refId: 'A', queryType: 'tickets', site: 'hosp-01' });

      const queryType = screen.getByRole('combobox', { name: 'Query type' });
      fireEvent.change(queryType, { target: { value: 'Probl' } });
      fireEvent.keyDown(queryType, { key: 'ArrowDown' });
      fireEvent.keyDown(queryType, { key: 'Enter' });

      expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'problems', what: 'probability' });
    });

    it('When a problem is typed, then the names the backend defines are offered and the chosen one runs', async () => {
      const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'problems' }, withProblems);
      const problem = screen.getByRole('combobox', { name: 'Problem' });

      await act(async () => {
        fireEvent.change(problem, { target: { value: 'plc' } });
      });
      await waitFor(() => expect(withProblems.problemOptions).toHaveBeenCalled());
      await act(async () => {
        fireEvent.keyDown(problem, { key: 'ArrowDown' });
        fireEvent.keyDown(problem, { key: 'Enter' });
      });

      expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'problems', problem: 'plc-hot' });
      expect(onRunQuery).toHaveBeenCalled();
    });

    it('When the operator switches to Alerts, then the query shows the alerts and runs; the entity stays a free text or $variable', () => {
      const { onChange, onRunQuery } = renderEditor(
        { refId: 'A', queryType: 'problems', problem: 'freezer-warm', entity: '$entity' },
        withProblems
      );

      expect(screen.getByTestId(testIds.queryEditor.entity)).toHaveValue('$entity');
      fireEvent.click(screen.getByRole('radio', { name: 'Alerts' }));

      expect(onChange).toHaveBeenCalledWith({
        refId: 'A',
        queryType: 'problems',
        problem: 'freezer-warm',
        entity: '$entity',
        what: 'alerts',
      });
      expect(onRunQuery).toHaveBeenCalledTimes(1);
    });
  });
});
