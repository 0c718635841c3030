import { migrateQuery } from './migrate';
import type { NocaiQuery } from './types';

/** Saved JSON does not obey the current types: build it loosely, as a dashboard file would hold it. */
const saved = (json: Record<string, unknown>) => json as unknown as NocaiQuery;

describe('migrateQuery', () => {
  it('When a version 1 query has no queryType (hand-written `{ "refId": "A" }`), then it is an events query', () => {
    expect(migrateQuery(saved({ refId: 'A', host: 'ups-03' }))).toEqual({
      refId: 'A',
      queryType: 'events',
      host: 'ups-03',
    });
  });

  it('When queryType is an empty string or null, then it is an events query too', () => {
    expect(migrateQuery(saved({ refId: 'A', queryType: '' })).queryType).toBe('events');
    expect(migrateQuery(saved({ refId: 'A', queryType: null })).queryType).toBe('events');
  });

  it('When a version 1 events query is already in the current shape, then it comes back unchanged', () => {
    const query: NocaiQuery = { refId: 'A', queryType: 'events', eventClass: 'power', decision: 'alert', limit: 50 };

    expect(migrateQuery(query)).toEqual(query);
  });

  it('When the limit was written as a string in YAML or JSON, then it becomes a number', () => {
    expect(migrateQuery(saved({ refId: 'A', queryType: 'tickets', limit: '50' }))).toMatchObject({ limit: 50 });
  });

  it('When the limit is not a positive number, then it is dropped and the backend default applies', () => {
    for (const limit of ['lots', 0, -5, '']) {
      expect(migrateQuery(saved({ refId: 'A', queryType: 'events', limit }))).not.toHaveProperty('limit');
    }
  });

  it('When a filter was left as an empty string by the version 1 editor, then it is dropped (it meant "any")', () => {
    expect(migrateQuery(saved({ refId: 'A', queryType: 'events', host: '', eventClass: 'power' }))).toEqual({
      refId: 'A',
      queryType: 'events',
      eventClass: 'power',
    });
  });

  it('When a version 1 tickets query has no filters (the type was declared before it was served), then it stays valid', () => {
    expect(migrateQuery(saved({ refId: 'B', queryType: 'tickets' }))).toEqual({ refId: 'B', queryType: 'tickets' });
  });

  it('When a series query was saved before the backend served it (no filters), then it stays as it was saved', () => {
    for (const queryType of ['anomalies', 'forecasts', 'silences', 'maintenance', 'models']) {
      const before = saved({ refId: 'C', queryType, datasource: { type: 'nocai-inference-datasource', uid: 'nocai' } });

      expect(migrateQuery(before)).toEqual(before);
    }
  });

  it('When series filters were written by hand, then empty ones are dropped and YAML numbers become tag text', () => {
    expect(
      migrateQuery(saved({ refId: 'M', queryType: 'models', filters: { model: 'priority', version: 3, alias: '' } }))
    ).toEqual({ refId: 'M', queryType: 'models', filters: { model: 'priority', version: '3' } });
  });

  it('When the filters are all empty or not a map, then there are no filters (the whole series)', () => {
    for (const filters of [{ site: '', host: null }, 'site=hosp-01', ['hosp-01'], null]) {
      expect(migrateQuery(saved({ refId: 'S', queryType: 'silences', filters }))).toEqual({
        refId: 'S',
        queryType: 'silences',
      });
    }
  });

  it('When the query type is unknown, then it is kept so that the query reports it instead of guessing', () => {
    expect(migrateQuery(saved({ refId: 'A', queryType: 'logs' })).queryType).toBe('logs');
  });

  it('When a query is migrated twice, then the second pass changes nothing', () => {
    const once = migrateQuery(saved({ refId: 'A', limit: '20', site: '' }));
    const series = migrateQuery(saved({ refId: 'B', queryType: 'drift', filters: { model: 'mttr', feature: 0 } }));

    expect(migrateQuery(once)).toEqual(once);
    expect(migrateQuery(series)).toEqual(series);
  });
});
