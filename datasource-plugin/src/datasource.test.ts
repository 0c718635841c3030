import {
  type DataQueryRequest,
  type DataSourceInstanceSettings,
  dateTime,
  type Field,
  FieldType,
  type ScopedVars,
} from '@grafana/data';
import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { splitValueList } from '@nocai/contract/dist/valueList';
import fc from 'fast-check';
import { lastValueFrom, type Observable, of, throwError } from 'rxjs';

import { NocaiDataSource } from './datasource';
import type { NocaiFrameMeta } from './ticketsToFrame';
import { TEST_MESSAGES } from './testMessages';
import type { ClassifiedEvent, SeriesPage, Ticket } from '@nocai/contract';

import type { NocaiOptions, NocaiQuery } from './types';
import { DEPARTMENTS } from './vocabulary';

const PROXY_URL = '/api/datasources/proxy/uid/nocai';
const BACKEND_URL = 'http://inference-backend:8080';

type Answer = { status: number; data: unknown; statusText?: string };
type Answers = Record<string, Answer | Error>;

const fetchMock = jest.fn<Observable<FetchResponse>, [BackendSrvRequest]>();
type Format = string | ((value: string | string[]) => string);
const replaceMock = jest.fn((value: string, _scopedVars?: ScopedVars, _format?: Format) => value);

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: fetchMock }),
  getTemplateSrv: () => ({ replace: replaceMock }),
}));

/** Answers requests by proxy path the way Grafana's backendSrv does: errors are thrown, not returned. */
function backendAnswers(answers: Answers) {
  fetchMock.mockImplementation((request) => {
    const path = request.url.replace(PROXY_URL, '');
    const answer = answers[path];
    if (answer === undefined) {
      throw new Error(`unexpected request ${path}`);
    }
    if (answer instanceof Error) {
      return throwError(() => answer);
    }
    if (answer.status >= 400) {
      return throwError(() => ({ ...answer, config: request }));
    }
    return of({ ...answer, ok: true, config: request } as unknown as FetchResponse);
  });
}

/**
 * Interpolates the way Grafana's template service does, for variables given by name with their current value:
 * `$__all` is All, which becomes the variable's `allValue` (`.*` on our dashboards); a multi-value variable is the
 * glob `{a,b}` without a format, `a,b` with `csv`, and a format function is given the value(s).
 */
function templateVariables(variables: Record<string, string | string[]>) {
  replaceMock.mockImplementation((target, _scopedVars, format) =>
    target.replace(/\$(\w+)|\$\{(\w+)(?::(\w+))?\}/g, (match, plain?: string, braced?: string, inline?: string) => {
      const value = variables[plain ?? braced ?? ''];
      if (value === undefined) {
        return match;
      }
      const current = value === '$__all' ? '.*' : value;
      const how = inline ?? format;
      if (typeof how === 'function') {
        return how(current);
      }
      if (!Array.isArray(current)) {
        return current;
      }
      if (how === 'csv') {
        return current.join(',');
      }
      return current.length === 1 ? current[0] : `{${current.join(',')}}`;
    })
  );
}

function createDataSource(jsonData: NocaiOptions = { url: BACKEND_URL }) {
  const settings = { id: 1, uid: 'nocai', name: 'NOC AI', url: PROXY_URL, jsonData, meta: {} };
  return new NocaiDataSource(settings as unknown as DataSourceInstanceSettings<NocaiOptions>);
}

function requestFor(targets: NocaiQuery[], scopedVars: ScopedVars = {}): DataQueryRequest<NocaiQuery> {
  const from = dateTime(1_767_225_600_000);
  const to = dateTime(1_767_229_200_000);
  return {
    requestId: 'Q1',
    targets,
    scopedVars,
    range: { from, to, raw: { from: 'now-1h', to: 'now' } },
  } as unknown as DataQueryRequest<NocaiQuery>;
}

const EVENT: ClassifiedEvent = {
  timeUs: 1_767_225_660_000_000,
  hostname: 'sw-core-1',
  appname: 'kernel',
  facility: 'kern',
  severity: 'err',
  site: 'factory-east',
  siteKind: 'factory',
  deviceKind: 'network_switch',
  eventClass: 'network',
  decision: 'alert',
  templateId: 't-2',
  template: 'link <*> down',
  message: 'link ge-0/0/1 down',
  confidence: 0.81,
  modelVersion: 'events-2026.01.1',
};

beforeEach(() => {
  fetchMock.mockReset();
  replaceMock.mockClear();
});

describe('testDatasource', () => {
  it('reports success when the backend is healthy and accepts the token', async () => {
    backendAnswers({
      '/api/healthz': { status: 200, data: { status: 'ok' } },
      '/api/api/whoami': { status: 200, data: { ok: true } },
    });

    await expect(createDataSource().testDatasource()).resolves.toEqual({
      status: 'success',
      message: TEST_MESSAGES.success,
    });
  });

  it('calls healthz, then whoami, through the api proxy route', async () => {
    backendAnswers({
      '/api/healthz': { status: 200, data: { status: 'ok' } },
      '/api/api/whoami': { status: 200, data: { ok: true } },
    });

    await createDataSource().testDatasource();

    const urls = fetchMock.mock.calls.map(([request]) => request.url);
    expect(urls).toEqual([`${PROXY_URL}/api/healthz`, `${PROXY_URL}/api/api/whoami`]);
  });

  it('says the backend cannot be reached when Grafana answers 502 Bad Gateway', async () => {
    backendAnswers({ '/api/healthz': { status: 502, statusText: 'Bad Gateway', data: '' } });

    const result = await createDataSource().testDatasource();

    expect(result.status).toBe('error');
    expect(result.message).toContain(`${TEST_MESSAGES.unreachable}:`);
    expect(result.message).toContain('502 Bad Gateway');
    expect(result.message).toContain(BACKEND_URL);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('says the backend cannot be reached when the request fails before any answer', async () => {
    backendAnswers({ '/api/healthz': new TypeError('Failed to fetch') });

    const result = await createDataSource().testDatasource();

    expect(result.message).toContain(`${TEST_MESSAGES.unreachable}:`);
    expect(result.message).toContain('Failed to fetch');
  });

  it('says the URL does not answer like the backend when healthz has another shape', async () => {
    backendAnswers({ '/api/healthz': { status: 200, data: '<html>Welcome to nginx</html>' } });

    const result = await createDataSource().testDatasource();

    expect(result.status).toBe('error');
    expect(result.message).toContain(`${TEST_MESSAGES.unreachable}:`);
    expect(result.message).toContain('did not answer like a NOC AI backend');
  });

  it("says the token was refused when Grafana's proxy reports the backend's 401", async () => {
    backendAnswers({
      '/api/healthz': { status: 200, data: { status: 'ok' } },
      '/api/api/whoami': { status: 400, statusText: 'Bad Request', data: 'Authentication to data source failed' },
    });

    const result = await createDataSource().testDatasource();

    expect(result.status).toBe('error');
    expect(result.message).toContain(TEST_MESSAGES.unauthorized);
  });

  it('says the token was refused when the 401 reaches the browser unchanged', async () => {
    backendAnswers({
      '/api/healthz': { status: 200, data: { status: 'ok' } },
      '/api/api/whoami': { status: 401, data: { error: { code: 'unauthorized', message: 'invalid token' } } },
    });

    const result = await createDataSource().testDatasource();

    expect(result.message).toContain(TEST_MESSAGES.unauthorized);
  });

  it("passes on the backend's own error when whoami fails for another reason", async () => {
    backendAnswers({
      '/api/healthz': { status: 200, data: { status: 'ok' } },
      '/api/api/whoami': { status: 500, data: { error: { code: 'internal', message: 'token store unavailable' } } },
    });

    const result = await createDataSource().testDatasource();

    expect(result.status).toBe('error');
    expect(result.message).toContain('token store unavailable');
    expect(result.message).not.toContain(TEST_MESSAGES.unauthorized);
  });

  it('asks for a URL without calling the proxy when none is configured', async () => {
    const result = await createDataSource({ url: '  ' }).testDatasource();

    expect(result).toEqual({ status: 'error', message: TEST_MESSAGES.noUrl });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('query', () => {
  it('returns one events frame per query, with the time range and filters as parameters', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });
    const query: NocaiQuery = { refId: 'A', queryType: 'events', eventClass: 'network', host: 'sw-core-1', limit: 50 };

    const response = await createDataSource().query(requestFor([query]));

    expect(response.errors).toBeUndefined();
    expect(response.data).toHaveLength(1);
    expect(response.data[0].refId).toBe('A');
    expect(response.data[0].fields.find((field: { name: string }) => field.name === 'time')?.type).toBe(FieldType.time);
    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      class: 'network',
      host: 'sw-core-1',
      limit: 50,
    });
  });

  it('interpolates template variables in filters and drops filters that end up empty', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [] } } });
    replaceMock.mockImplementation((value) => ({ $host: 'ups-03', $decision: '' })[value] ?? value);
    const scopedVars: ScopedVars = { __interval: { text: '1m', value: '1m' } };

    await createDataSource().query(
      requestFor([{ refId: 'A', queryType: 'events', host: '$host', decision: '$decision' }], scopedVars)
    );

    expect(replaceMock).toHaveBeenCalledWith('$host', scopedVars, expect.any(Function));
    const params = fetchMock.mock.calls[0][0].params;
    expect(params).toMatchObject({ host: 'ups-03' });
    expect(params).not.toHaveProperty('decision');
  });

  it('When an events query follows $site with two sites selected, then the events of either site are asked for, and All sends no site', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });
    templateVariables({ site: ['hosp-01', 'factory-east'] });
    const query: NocaiQuery = { refId: 'A', queryType: 'events', site: '$site', limit: 500 };

    await createDataSource().query(requestFor([query]));
    templateVariables({ site: '$__all' });
    await createDataSource().query(requestFor([query]));

    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      site: 'hosp-01,factory-east',
      limit: 500,
    });
    expect(fetchMock.mock.calls[1][0].params).not.toHaveProperty('site');
  });

  it('When an events query follows $department with two departments selected, then the events routed to either are asked for, and All sends no department', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });
    const query: NocaiQuery = { refId: 'A', queryType: 'events', site: '$site', department: '$department' };

    templateVariables({ site: 'hosp-01', department: ['field_technicians', 'maintenance'] });
    await createDataSource().query(requestFor([query]));
    templateVariables({ site: 'hosp-01', department: '$__all' });
    await createDataSource().query(requestFor([query]));

    expect(fetchMock.mock.calls[0][0].params).toMatchObject({
      site: 'hosp-01',
      department: 'field_technicians,maintenance',
    });
    expect(fetchMock.mock.calls[1][0].params).not.toHaveProperty('department');
  });

  it('When a selected site holds a comma, then its comma is escaped so that the backend reads one site, not two', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [] } } });
    const query: NocaiQuery = { refId: 'A', queryType: 'events', site: '$site', host: '$host' };

    templateVariables({ site: ['Paris, North', 'Lyon'], host: 'DOMAIN\\srv-1' });
    await createDataSource().query(requestFor([query]));
    templateVariables({ site: 'Paris, North' });
    await createDataSource().query(requestFor([{ ...query, host: undefined }]));

    expect(fetchMock.mock.calls[0][0].params).toMatchObject({ site: 'Paris\\, North,Lyon', host: 'DOMAIN\\\\srv-1' });
    expect(fetchMock.mock.calls[1][0].params).toMatchObject({ site: 'Paris\\, North' });
  });

  it('When a filter is typed with an escaped comma, then it is sent as one value, beside the values of a variable', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [] } } });
    templateVariables({ site: ['Lyon'] });

    await createDataSource().query(requestFor([{ refId: 'A', queryType: 'events', site: 'Paris\\, North, $site' }]));

    expect(fetchMock.mock.calls[0][0].params).toMatchObject({ site: 'Paris\\, North,Lyon' });
  });

  it('When a multi-value variable holds any values, commas and backslashes included, then the backend splits the list back into exactly those values', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [] } } });
    const value = fc
      .string({ unit: fc.oneof(fc.constantFrom(',', '\\', ' ', '$'), fc.string({ minLength: 1, maxLength: 1 })) })
      .map((text) => text.trim())
      .filter((text) => text !== '' && !['$__all', '.*', '*'].includes(text));
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 6 }), async (sites) => {
        fetchMock.mockClear();
        templateVariables({ site: sites });

        await createDataSource().query(requestFor([{ refId: 'A', queryType: 'events', site: '$site' }]));

        const sent = String(fetchMock.mock.calls[0][0].params?.site);
        expect(splitValueList(sent).map((item) => item.trim())).toEqual(sites);
      }),
      { numRuns: 300 }
    );
  });

  it('treats a saved query without a query type as an events query', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });
    const savedByHand = { refId: 'A' } as NocaiQuery;

    const response = await createDataSource().query(requestFor([savedByHand]));

    expect(response.data).toHaveLength(1);
  });

  it('When the saved query type is not one the data source knows, then that query answers an error without a request', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });

    const response = await createDataSource().query(
      requestFor([{ refId: 'A', queryType: 'events' }, { refId: 'B', queryType: 'logs' } as unknown as NocaiQuery])
    );

    expect(response.data.map((frame: { refId: string }) => frame.refId)).toEqual(['A']);
    expect(response.errors).toEqual([{ refId: 'B', message: 'Unknown query type logs.' }]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("reports the backend's error body for the query that failed", async () => {
    backendAnswers({
      '/api/api/events': {
        status: 400,
        data: { error: { code: 'invalid_request', message: 'limit must be <= 10000' } },
      },
    });

    const response = await createDataSource().query(requestFor([{ refId: 'A', queryType: 'events', limit: 99999 }]));

    expect(response.data).toEqual([]);
    expect(response.errors?.[0]).toMatchObject({ refId: 'A', status: 400 });
    expect(response.errors?.[0].message).toContain('limit must be <= 10000');
  });
});

const TICKET: Ticket = {
  id: 'CMP-1a2b',
  openedAtMs: 1_767_225_700_000,
  updatedAtMs: 1_767_225_700_000,
  resolvedAtMs: 1_767_227_500_000,
  status: 'resolved',
  source: 'complaint',
  title: 'UPS in the server room on battery',
  eventClass: 'power',
  department: 'field_technicians',
  priority: 'P1',
  confidence: 0.87,
  needsReview: false,
  site: 'hosp-01',
  siteKind: 'hospital',
  host: 'hosp-01-ups-01',
  deviceKind: 'ups',
  mttrP50Seconds: 1800,
  mttrP90Seconds: 5400,
  relatedAlertCount: 3,
  explanation: [{ feature: 'battery', weight: 1.2 }],
  similarTickets: [],
  modelVersion: 'router-1',
};

describe('tickets query', () => {
  it('When tickets are queried, then the filters, time range and limit reach the backend and one frame comes back', async () => {
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [TICKET], total: 1, limit: 100, offset: 0 } },
    });
    replaceMock.mockImplementation((value) => ({ $site: 'hosp-01', $host: 'mon-3' })[value] ?? value);

    const response = await createDataSource().query(
      requestFor([
        { refId: 'T', queryType: 'tickets', site: '$site', host: '$host', priority: 'P1', status: '', limit: 5000 },
      ])
    );

    expect(response.errors).toBeUndefined();
    expect(fetchMock.mock.calls[0][0].url).toBe(`${PROXY_URL}/api/api/tickets`);
    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      site: 'hosp-01',
      host: 'mon-3',
      priority: 'P1',
      // The backend's maximum: a larger limit would be refused.
      limit: 1000,
    });
    const [frame] = response.data;
    expect(frame.refId).toBe('T');
    expect(frame.fields.find((field: { name: string }) => field.name === 'ticket_id')?.values).toEqual(['CMP-1a2b']);
    expect(frame.meta?.custom).toEqual<NocaiFrameMeta>({
      source: 'nocai-inference-datasource',
      datasourceUid: 'nocai',
    });
  });

  it('When $site has two sites selected and $department is All, then the tickets of either site in every department are asked for', async () => {
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [TICKET], total: 1, limit: 100, offset: 0 } },
    });
    templateVariables({ site: ['hosp-01', 'fact-02'], department: '$__all', status: ['needs_review'] });

    await createDataSource().query(
      requestFor([
        { refId: 'T', queryType: 'tickets', site: '$site', department: '${department}', status: '$status', limit: 500 },
      ])
    );

    // Not the glob {hosp-01,fact-02} nor the regex .*, which match no ticket: the backend matches values exactly.
    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      site: 'hosp-01,fact-02',
      status: 'needs_review',
      limit: 500,
    });
  });

  it('When $parent_status holds resolved and closed, then the complaints whose incident ended are asked for, with their own status', async () => {
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [TICKET], total: 1, limit: 100, offset: 0 } },
    });
    templateVariables({ parent_status: ['resolved', 'closed'], status: ['open', 'in_progress'] });

    await createDataSource().query(
      requestFor([{ refId: 'T', queryType: 'tickets', status: '$status', parentStatus: '$parent_status', limit: 50 }])
    );

    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      status: 'open,in_progress',
      parentStatus: 'resolved,closed',
      limit: 50,
    });
  });

  it('When a filter is All by any of its spellings, then no filter is sent', async () => {
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [], total: 0, limit: 100, offset: 0 } },
    });
    templateVariables({ site: '*', department: ['$__all'], priority: ['P1', ''], parent_status: '$__all' });

    await createDataSource().query(
      requestFor([
        {
          refId: 'T',
          queryType: 'tickets',
          site: '$site',
          department: '$department',
          priority: '$priority',
          parentStatus: '$parent_status',
        },
      ])
    );

    const params = fetchMock.mock.calls[0][0].params;
    expect(params).not.toHaveProperty('site');
    expect(params).not.toHaveProperty('department');
    expect(params).not.toHaveProperty('parentStatus');
    expect(params).toMatchObject({ priority: 'P1' });
  });

  it('When 1,200 tickets need review and the page limit is 1000, then a count query shows 1200, asking for one ticket only', async () => {
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [TICKET], total: 1200, limit: 1, offset: 0 } },
    });
    templateVariables({ site: ['hosp-01', 'fact-02'], department: '$__all' });

    const response = await createDataSource().query(
      requestFor([
        {
          refId: 'A',
          queryType: 'tickets',
          status: 'needs_review',
          site: '$site',
          department: '$department',
          limit: 1000,
          count: true,
        },
      ])
    );

    expect(response.errors).toBeUndefined();
    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      status: 'needs_review',
      site: 'hosp-01,fact-02',
      limit: 1,
    });
    const [frame] = response.data;
    expect(frame.refId).toBe('A');
    expect(frame.length).toBe(1);
    expect(frame.fields.map((field: Field) => [field.name, field.type, field.values])).toEqual([
      ['tickets', FieldType.number, [1200]],
    ]);
  });

  it('When a count query gets a page without a total, then it fails instead of showing a wrong number', async () => {
    backendAnswers({ '/api/api/tickets': { status: 200, data: { tickets: [TICKET] } } });

    const response = await createDataSource().query(
      requestFor([{ refId: 'A', queryType: 'tickets', status: 'needs_review', count: true }])
    );

    expect(response.data).toEqual([]);
    expect(response.errors?.[0].message).toContain('without a total');
  });

  it("When the tickets endpoint refuses the query, then the backend's message is the query error", async () => {
    backendAnswers({
      '/api/api/tickets': {
        status: 400,
        data: { error: { code: 'bad_request', message: 'priority must be one of P1, P2, P3, P4 (got "P9")' } },
      },
    });

    const response = await createDataSource().query(requestFor([{ refId: 'T', queryType: 'tickets', priority: 'P9' }]));

    expect(response.data).toEqual([]);
    expect(response.errors?.[0].message).toBe(
      'Tickets query failed: priority must be one of P1, P2, P3, P4 (got "P9") (bad_request, 400)'
    );
  });
});

/** As the backend pages it: newest first. */
const SILENCES: SeriesPage = {
  kind: 'silences',
  measurement: 'aiops_silences',
  rows: [
    {
      timeMs: 1_767_225_900_000,
      tags: { site: 'hosp-01', host: 'hosp-01-pm-07', device_kind: 'patient_monitor', state: 'silent' },
      fields: { silent_since_ms: 1_767_225_600_000, cadence_s: 10, root_cause_host: 'hosp-01-ps-12' },
    },
    {
      timeMs: 1_767_225_600_000,
      tags: { site: 'hosp-01', host: 'hosp-01-ps-12', device_kind: 'power_switch', state: 'silent' },
      fields: { silent_since_ms: 1_767_225_600_000, cadence_s: 10, root_cause_host: null },
    },
  ],
};

describe('series query', () => {
  it('When a silences query filters on $site, then /api/series/silences gets the interpolated site and a typed frame comes back', async () => {
    backendAnswers({ '/api/api/series/silences': { status: 200, data: SILENCES } });
    replaceMock.mockImplementation((value) => ({ $site: 'hosp-01' })[value] ?? value);
    const scopedVars: ScopedVars = { __interval: { text: '1m', value: '1m' } };

    const response = await createDataSource().query(
      requestFor([{ refId: 'S', queryType: 'silences', filters: { site: '$site' } }], scopedVars)
    );

    expect(response.errors).toBeUndefined();
    const [request] = fetchMock.mock.calls[0];
    expect(request.url).toBe(`${PROXY_URL}/api/api/series/silences`);
    expect(request.params).toEqual({ from: 1_767_225_600_000, to: 1_767_229_200_000, site: 'hosp-01', limit: 1000 });
    expect(request.requestId).toBe('Q1-S');
    expect(replaceMock).toHaveBeenCalledWith('$site', scopedVars, expect.any(Function));
    const [frame] = response.data;
    expect(frame).toMatchObject({ refId: 'S', name: 'aiops_silences' });
    expect(frame.fields.map((field: Field) => [field.name, field.type])).toEqual([
      ['Time', FieldType.time],
      ['site', FieldType.string],
      ['host', FieldType.string],
      ['device_kind', FieldType.string],
      ['state', FieldType.string],
      ['silent_since_ms', FieldType.number],
      ['cadence_s', FieldType.number],
      ['root_cause_host', FieldType.string],
    ]);
    // Oldest first, for time-series panels.
    expect(frame.fields[0].values).toEqual([1_767_225_600_000, 1_767_225_900_000]);
  });

  it('When a series filter is a multi-value variable or All, then the values go as a list and All as no filter', async () => {
    backendAnswers({ '/api/api/series/anomalies': { status: 200, data: { ...SILENCES, rows: [] } } });
    templateVariables({ host: ['ups-03', 'ups-04'], site: '$__all' });

    await createDataSource().query(
      requestFor([{ refId: 'A', queryType: 'anomalies', filters: { host: '$host', site: '$site' } }])
    );

    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      host: 'ups-03,ups-04',
      limit: 1000,
    });
  });

  it('When a filter is empty, or a variable makes it empty, then it is not sent (it means "any")', async () => {
    backendAnswers({ '/api/api/series/anomalies': { status: 200, data: { ...SILENCES, rows: [] } } });
    replaceMock.mockImplementation((value) => ({ $host: '', $metric: 'cpu.usage_user' })[value] ?? value);

    await createDataSource().query(
      requestFor([
        {
          refId: 'A',
          queryType: 'anomalies',
          filters: { host: '$host', site: '', detector: '  ', metric: '$metric' },
        },
      ])
    );

    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      metric: 'cpu.usage_user',
      limit: 1000,
    });
  });

  it('When a models query was saved before the backend served it (no filters), then it asks for the whole series', async () => {
    backendAnswers({
      '/api/api/series/models': { status: 200, data: { kind: 'models', measurement: 'aiops_models', rows: [] } },
    });
    const savedBefore = { refId: 'M', queryType: 'models', datasource: { uid: 'nocai' } } as NocaiQuery;

    const response = await createDataSource().query(requestFor([savedBefore]));

    expect(response.errors).toBeUndefined();
    expect(response.data[0]).toMatchObject({ refId: 'M', name: 'aiops_models', length: 0 });
    expect(fetchMock.mock.calls[0][0].params).toEqual({ from: 1_767_225_600_000, to: 1_767_229_200_000, limit: 1000 });
  });

  it('When the limit is above the backend maximum, then the maximum is asked for instead of a refusal', async () => {
    backendAnswers({
      '/api/api/series/drift': { status: 200, data: { kind: 'drift', measurement: 'aiops_drift', rows: [] } },
    });

    await createDataSource().query(requestFor([{ refId: 'D', queryType: 'drift', limit: 50_000 }]));

    expect(fetchMock.mock.calls[0][0].params).toMatchObject({ limit: 10_000 });
  });

  it("When the backend answers 400, then that query's error carries the backend's message and the others still get data", async () => {
    backendAnswers({
      '/api/api/events': { status: 200, data: { events: [EVENT] } },
      '/api/api/series/forecasts': {
        status: 400,
        statusText: 'Bad Request',
        data: { error: { code: 'bad_request', message: 'from must not be after to' } },
      },
    });

    const response = await createDataSource().query(
      requestFor([
        { refId: 'A', queryType: 'events' },
        { refId: 'F', queryType: 'forecasts', filters: { target: 'tickets' } },
      ])
    );

    expect(response.data.map((frame: { refId: string }) => frame.refId)).toEqual(['A']);
    expect(response.errors).toEqual([
      {
        refId: 'F',
        status: 400,
        message: 'Forecasts query failed: from must not be after to (bad_request, 400 Bad Request)',
      },
    ]);
  });

  it('When a hand-written filter names no tag of the kind, then the query says which tags exist, without a request', async () => {
    const response = await createDataSource().query(
      requestFor([{ refId: 'S', queryType: 'silences', filters: { hostname: 'ups-03', from: '0' } }])
    );

    expect(response.errors?.[0]).toMatchObject({
      refId: 'S',
      message:
        'Silences query failed: aiops_silences has no tag hostname, from to filter on; its tags are site, host, device_kind, state',
    });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('When the answer has no rows list, then the query fails instead of drawing an empty panel', async () => {
    backendAnswers({ '/api/api/series/maintenance': { status: 200, data: '<html>proxy login</html>' } });

    const response = await createDataSource().query(requestFor([{ refId: 'P', queryType: 'maintenance' }]));

    expect(response.errors?.[0].message).toBe(
      'Maintenance query failed: the backend answered /api/series/maintenance without a rows list'
    );
  });
});

/** aiops_problems as the backend pages it (newest first): two freezers, the threshold on every point. */
const PROBABILITIES: SeriesPage = {
  kind: 'problems',
  measurement: 'aiops_problems',
  rows: [
    { timeMs: 1_767_226_200_000, entity: 'freezer-02', probability: 0.12 },
    { timeMs: 1_767_226_200_000, entity: 'freezer-01', probability: 0.81 },
    { timeMs: 1_767_225_900_000, entity: 'freezer-01', probability: 0.35 },
  ].map(({ timeMs, entity, probability }) => ({
    timeMs,
    tags: { problem: 'freezer-warm', entity, model_version: 'problem-freezer-warm@v1' },
    fields: { probability, threshold: 0.42, alert: probability >= 0.42 },
  })),
};

describe('problems query', () => {
  it('When the probability of $problem is asked, then /api/series/problems gets the problem and one line per entity comes back with the threshold', async () => {
    backendAnswers({ '/api/api/series/problems': { status: 200, data: PROBABILITIES } });
    replaceMock.mockImplementation((value) => ({ $problem: 'freezer-warm', $entity: '' })[value] ?? value);

    const response = await createDataSource().query(
      requestFor([{ refId: 'P', queryType: 'problems', problem: '$problem', entity: '$entity', what: 'probability' }])
    );

    expect(response.errors).toBeUndefined();
    const [request] = fetchMock.mock.calls[0];
    expect(request.url).toBe(`${PROXY_URL}/api/api/series/problems`);
    // An entity variable set to nothing means every entity: no filter is sent.
    expect(request.params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      problem: 'freezer-warm',
      limit: 10_000,
    });
    expect(response.data.map((frame: { name?: string }) => frame.name)).toEqual([
      'freezer-01',
      'freezer-02',
      'threshold',
    ]);
    const [first, second, threshold] = response.data;
    // Oldest first, for the time-series panel, with the entity as the line's name.
    expect(first.fields[0].values).toEqual([1_767_225_900_000, 1_767_226_200_000]);
    expect(first.fields[1]).toMatchObject({
      name: 'probability',
      values: [0.35, 0.81],
      labels: { problem: 'freezer-warm', entity: 'freezer-01' },
      config: { unit: 'percentunit', min: 0, max: 1, displayNameFromDS: 'freezer-01' },
    });
    expect(second.fields[1].values).toEqual([0.12]);
    expect(threshold.fields.map((field: Field) => [field.name, field.values])).toEqual([
      ['Time', [1_767_225_900_000, 1_767_226_200_000]],
      ['threshold', [0.42, 0.42]],
    ]);
  });

  it("When a problem's alerts are asked for one entity, then the backend is asked for that host's tickets, which come back with their verdicts and recommendation", async () => {
    const alert: Ticket = {
      ...TICKET,
      id: 'INC-7',
      host: 'freezer-01',
      title: 'Predicted freezer-warm on freezer-01 within 2 h',
      problem: 'freezer-warm',
      recommendation: 'lower freezer.setpoint_c from -22 to -25 2 h earlier: probability 0.81 → 0.22',
      feedback: { verdict: 'avoided', atMs: 1_767_227_000_000 },
    };
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [alert], total: 1, limit: 1000, offset: 0 } },
    });

    const response = await createDataSource().query(
      requestFor([{ refId: 'A', queryType: 'problems', problem: 'freezer-warm', entity: 'freezer-01', what: 'alerts' }])
    );

    expect(response.errors).toBeUndefined();
    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      problem: 'freezer-warm',
      host: 'freezer-01',
      limit: 1000,
    });
    const [frame] = response.data;
    const column = (name: string) => frame.fields.find((field: Field) => field.name === name)?.values;
    expect(column('ticket_id')).toEqual(['INC-7']);
    expect(column('feedback_verdict')).toEqual(['avoided']);
    expect(column('problem')).toEqual(['freezer-warm']);
    expect(column('recommendation')).toEqual([alert.recommendation]);
    // The triage panel may post verdicts on these rows: the frame is marked as this data source's.
    expect(frame.meta?.custom).toEqual<NocaiFrameMeta>({
      source: 'nocai-inference-datasource',
      datasourceUid: 'nocai',
    });
  });

  it("When a problem's alerts are asked for two entities of $entity, then the tickets of both hosts are asked for", async () => {
    const alert = (id: string, host: string): Ticket => ({ ...TICKET, id, host, problem: 'freezer-warm' });
    backendAnswers({
      '/api/api/tickets': {
        status: 200,
        data: {
          tickets: [alert('INC-1', 'freezer-01'), alert('INC-3', 'freezer-03')],
          total: 2,
          limit: 1000,
          offset: 0,
        },
      },
    });
    templateVariables({ problem: 'freezer-warm', entity: ['freezer-01', 'freezer-03'] });

    const response = await createDataSource().query(
      requestFor([{ refId: 'A', queryType: 'problems', problem: '$problem', entity: '$entity', what: 'alerts' }])
    );

    expect(fetchMock.mock.calls[0][0].params).toMatchObject({ problem: 'freezer-warm', host: 'freezer-01,freezer-03' });
    const ids = response.data[0].fields.find((field: Field) => field.name === 'ticket_id')?.values;
    expect(ids).toEqual(['INC-1', 'INC-3']);
  });

  it('When no problem is chosen, or the view is unknown, then the query says so without a request', async () => {
    replaceMock.mockImplementation((value) => ({ $problem: '' })[value] ?? value);

    const response = await createDataSource().query(
      requestFor([
        { refId: 'A', queryType: 'problems', problem: '$problem' },
        { refId: 'B', queryType: 'problems', problem: 'freezer-warm', what: 'chart' } as unknown as NocaiQuery,
      ])
    );

    expect(fetchMock).not.toHaveBeenCalled();
    expect(response.errors?.map((error) => [error.refId, error.message])).toEqual([
      ['A', 'Problems query failed: choose a problem (or a $problem variable that has a value)'],
      ['B', 'Problems query failed: unknown problems view chart: use one of probability, alerts'],
    ]);
  });

  it('When the editor lists problems, then the names defined on the backend come back sorted with what they predict', async () => {
    const stored = (name: string, description?: string) => ({
      definition: { name, ...(description ? { description } : {}) },
      version: 1,
      savedAt: '2026-01-01T00:00:00Z',
    });
    backendAnswers({
      '/api/api/problems': {
        status: 200,
        data: { problems: [stored('plc-hot'), stored('freezer-warm', 'freezer above -18 °C')], invalid: [] },
      },
    });

    await expect(createDataSource().problemOptions()).resolves.toEqual([
      { value: 'freezer-warm', description: 'freezer above -18 °C' },
      { value: 'plc-hot', description: '' },
    ]);
  });
});

describe('postFeedback', () => {
  it('When an operator validates a ticket, then the verdict and comment are posted and the updated ticket returned', async () => {
    const updated: Ticket = { ...TICKET, feedback: { verdict: 'valid', comment: 'confirmed on site', atMs: 1 } };
    backendAnswers({ '/api/api/tickets/CMP-1a2b/feedback': { status: 200, data: { ticket: updated } } });

    const ticket = await createDataSource().postFeedback('CMP-1a2b', 'valid', '  confirmed on site ');

    expect(ticket.feedback?.verdict).toBe('valid');
    const [request] = fetchMock.mock.calls[0];
    expect(request).toMatchObject({ method: 'POST', data: { verdict: 'valid', comment: 'confirmed on site' } });
  });

  it('When the comment is blank, then no comment is sent', async () => {
    backendAnswers({ '/api/api/tickets/CMP-1a2b/feedback': { status: 200, data: { ticket: TICKET } } });

    await createDataSource().postFeedback('CMP-1a2b', 'avoided', '   ');

    expect(fetchMock.mock.calls[0][0].data).toEqual({ verdict: 'avoided' });
  });

  it("When the backend does not know the ticket, then the Error carries the backend's message", async () => {
    backendAnswers({
      '/api/api/tickets/NOPE-1/feedback': {
        status: 404,
        statusText: 'Not Found',
        data: { error: { code: 'not_found', message: 'no ticket NOPE-1' } },
      },
    });

    const attempt = createDataSource().postFeedback('NOPE-1', 'invalid');

    await expect(attempt).rejects.toThrow(Error);
    await expect(attempt).rejects.toThrow('no ticket NOPE-1 (not_found, 404 Not Found)');
  });

  it('When the backend is down behind the proxy, then the Error says no answer came', async () => {
    backendAnswers({ '/api/api/tickets/CMP-1a2b/feedback': { status: 502, statusText: 'Bad Gateway', data: '' } });

    await expect(createDataSource().postFeedback('CMP-1a2b', 'valid')).rejects.toThrow(
      "Grafana's proxy got no answer from the backend (502 Bad Gateway)"
    );
  });

  it('When the ticket id has characters that mean something in a URL, then it is escaped in the path', async () => {
    backendAnswers({ '/api/api/tickets/a%2Fb/feedback': { status: 200, data: { ticket: TICKET } } });

    await createDataSource().postFeedback('a/b', 'valid');

    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});

describe('getTicketDetail', () => {
  it("When a ticket's detail is asked for, then GET /api/tickets/:id answers with its related tickets", async () => {
    const related = {
      id: 'GRA-9',
      title: 'hosp-01-mon-07 unreachable',
      status: 'open',
      source: 'grafana_alert',
      eventClass: 'network',
      department: 'network_ops',
      priority: 'P1',
      openedAtMs: 1,
      host: 'hosp-01-mon-07',
    };
    backendAnswers({
      '/api/api/tickets/CMP-1a2b': {
        status: 200,
        data: { ticket: TICKET, relatedAlerts: [], relatedTickets: [related] },
      },
    });

    const detail = await createDataSource().getTicketDetail('CMP-1a2b');

    expect(detail.relatedTickets).toEqual([related]);
    expect(fetchMock.mock.calls[0][0]).toMatchObject({ method: 'GET' });
  });

  it('When a complaint is linked to an incident, then its detail carries that incident as its parent', async () => {
    const parent = {
      id: 'GRA-9',
      title: 'hosp-01-mon-07 unreachable',
      status: 'resolved',
      source: 'grafana_alert',
      eventClass: 'network',
      department: 'network_ops',
      priority: 'P1',
      openedAtMs: 1,
      resolvedAtMs: 2,
      host: 'hosp-01-mon-07',
    };
    backendAnswers({
      '/api/api/tickets/CMP-1a2b': {
        status: 200,
        data: { ticket: { ...TICKET, parentId: 'GRA-9' }, relatedAlerts: [], relatedTickets: [], parent },
      },
    });

    const detail = await createDataSource().getTicketDetail('CMP-1a2b');

    expect(detail.parent).toEqual(parent);
  });

  it('When the backend does not know the ticket, then the Error carries its message', async () => {
    backendAnswers({
      '/api/api/tickets/NOPE-1': {
        status: 404,
        statusText: 'Not Found',
        data: { error: { code: 'not_found', message: 'no ticket NOPE-1' } },
      },
    });

    await expect(createDataSource().getTicketDetail('NOPE-1')).rejects.toThrow(
      'no ticket NOPE-1 (not_found, 404 Not Found)'
    );
  });

  it('When an older backend answers without related tickets, then the Error says so instead of an empty list', async () => {
    backendAnswers({ '/api/api/tickets/CMP-1a2b': { status: 200, data: { ticket: TICKET, relatedAlerts: [] } } });

    await expect(createDataSource().getTicketDetail('CMP-1a2b')).rejects.toThrow('without related tickets');
  });
});

describe('updateTicket and addComment', () => {
  it('When an operator assigns a ticket, then a PATCH carries the change and the version it was made against', async () => {
    const updated: Ticket = { ...TICKET, assignee: 'team:network_ops', version: 4 };
    backendAnswers({ '/api/api/tickets/CMP-1a2b': { status: 200, data: { ticket: updated } } });

    const ticket = await createDataSource().updateTicket('CMP-1a2b', {
      assignee: 'team:network_ops',
      version: 3,
      comment: '  ',
    });

    expect(ticket.assignee).toBe('team:network_ops');
    const [request] = fetchMock.mock.calls[0];
    expect(request).toMatchObject({
      method: 'PATCH',
      url: expect.stringMatching(/\/api\/api\/tickets\/CMP-1a2b$/),
      data: { assignee: 'team:network_ops', version: 3 },
    });
    expect(request.data).not.toHaveProperty('comment');
  });

  it('When someone else changed the ticket first, then the Error carries the backend conflict message', async () => {
    backendAnswers({
      '/api/api/tickets/CMP-1a2b': {
        status: 409,
        statusText: 'Conflict',
        data: { error: { code: 'stale_version', message: 'ticket CMP-1a2b is at version 5, not 3' } },
      },
    });

    await expect(createDataSource().updateTicket('CMP-1a2b', { status: 'acknowledged', version: 3 })).rejects.toThrow(
      'ticket CMP-1a2b is at version 5, not 3 (stale_version, 409 Conflict)'
    );
  });

  it('When a comment is added, then it is posted trimmed without a version', async () => {
    backendAnswers({ '/api/api/tickets/CMP-1a2b/comments': { status: 201, data: { ticket: TICKET } } });

    await createDataSource().addComment('CMP-1a2b', '  called the site  ');

    expect(fetchMock.mock.calls[0][0]).toMatchObject({ method: 'POST', data: { text: 'called the site' } });
  });
});

describe('metricFindQuery', () => {
  it('When a variable asks for sites or hosts, then it offers every one the backend knows, sorted', async () => {
    backendAnswers({
      '/api/api/values/site': { status: 200, data: { tag: 'site', values: ['hosp-01', 'city-02', 'factory-east'] } },
      '/api/api/values/host': { status: 200, data: { tag: 'host', values: ['sw-2', 'mon-1', 'sw-10'] } },
    });

    const sites = await createDataSource().metricFindQuery('sites');
    const hosts = await createDataSource().metricFindQuery({ query: 'hosts' });

    expect(sites).toEqual(['city-02', 'factory-east', 'hosp-01'].map((text) => ({ text, value: text })));
    expect(hosts.map((value) => value.text)).toEqual(['mon-1', 'sw-10', 'sw-2']);
    expect(fetchMock.mock.calls.map((call) => call[0].url)).toEqual([
      `${PROXY_URL}/api/api/values/site`,
      `${PROXY_URL}/api/api/values/host`,
    ]);
  });

  it('When the backend answers the values without a list, then the variable says so', async () => {
    backendAnswers({ '/api/api/values/site': { status: 200, data: { tag: 'site' } } });

    await expect(createDataSource().metricFindQuery('sites')).rejects.toThrow(
      'the backend answered /api/values/site without a values list'
    );
  });

  it("When a variable asks for departments, then it offers the backend's, the organisation's own after the six", async () => {
    const departments = [...DEPARTMENTS, 'noc_tier2', 'radiology'];
    backendAnswers({ '/api/api/values/department': { status: 200, data: { tag: 'department', values: departments } } });

    const values = await createDataSource().metricFindQuery(' Departments ');

    expect(values).toEqual(departments.map((text) => ({ text, value: text })));
    expect(fetchMock.mock.calls.map((call) => call[0].url)).toEqual([`${PROXY_URL}/api/api/values/department`]);
  });

  it('When the triage panel asks for the departments, then it gets the list the backend accepts, and an answer without one is an error', async () => {
    backendAnswers({
      '/api/api/values/department': { status: 200, data: { tag: 'department', values: [...DEPARTMENTS, 'noc_tier2'] } },
    });
    await expect(createDataSource().getDepartments()).resolves.toEqual([...DEPARTMENTS, 'noc_tier2']);

    backendAnswers({ '/api/api/values/department': { status: 200, data: { tag: 'department', values: [1] } } });
    await expect(createDataSource().getDepartments()).rejects.toThrow(
      'the backend answered /api/values/department without a values list'
    );
  });

  it('When the variable query is not one the data source knows, then it says which ones it knows', async () => {
    await expect(createDataSource().metricFindQuery('racks')).rejects.toThrow(
      'use one of sites, departments, hosts, classes, priorities, statuses, events routed to $department, silences routed to $department, anomalies routed to $department.'
    );
  });

  it('When a hidden variable asks for the events routed to $department, then its one value is the condition the backend gives for the departments chosen', async () => {
    const condition = `"class" =~ /^(environment|security)$/`;
    backendAnswers({ '/api/api/events/filter': { status: 200, data: { influxql: condition } } });
    templateVariables({ department: ['facilities', 'security'] });
    const scopedVars: ScopedVars = {};

    const values = await createDataSource().metricFindQuery('events routed to $department', { scopedVars });

    expect(values).toEqual([{ text: 'events routed to facilities,security', value: condition }]);
    expect(fetchMock.mock.calls[0][0]).toMatchObject({
      url: `${PROXY_URL}/api/api/events/filter`,
      params: { department: 'facilities,security' },
    });
    expect(replaceMock).toHaveBeenCalledWith('$department', scopedVars, expect.any(Function));
  });

  it('When $department is All, then the routed events condition is asked for without departments: every event', async () => {
    backendAnswers({ '/api/api/events/filter': { status: 200, data: { influxql: '"class" =~ /.*/' } } });
    templateVariables({ department: '$__all' });

    const values = await createDataSource().metricFindQuery({ query: 'Events routed to $department' });

    expect(values).toEqual([{ text: 'events routed to every department', value: '"class" =~ /.*/' }]);
    expect(fetchMock.mock.calls[0][0].params).toEqual({});
  });

  it.each(['silences', 'anomalies'])(
    'When a hidden variable asks for the %s routed to $department, then its one value is the condition the backend gives for that series',
    async (of) => {
      const condition = `"device_kind" =~ /^(network_switch|router)$/`;
      backendAnswers({ [`/api/api/series/${of}/filter`]: { status: 200, data: { influxql: condition } } });
      templateVariables({ department: ['network_ops'] });

      const values = await createDataSource().metricFindQuery(`${of} routed to $department`, { scopedVars: {} });

      expect(values).toEqual([{ text: `${of} routed to network_ops`, value: condition }]);
      expect(fetchMock.mock.calls[0][0]).toMatchObject({
        url: `${PROXY_URL}/api/api/series/${of}/filter`,
        params: { department: 'network_ops' },
      });
    }
  );

  it('When the backend answers the routed events without a condition, then the variable says so', async () => {
    backendAnswers({ '/api/api/events/filter': { status: 200, data: {} } });

    await expect(createDataSource().metricFindQuery('events routed to facilities')).rejects.toThrow(
      'the backend answered /api/events/filter without an influxql condition'
    );
  });
});

describe('annotations', () => {
  it('When an annotation runs, then tickets become regions from opened to resolved tagged with priority and department', async () => {
    backendAnswers({ '/api/api/tickets': { status: 200, data: { tickets: [TICKET] } } });
    const datasource = createDataSource();
    const support = datasource.annotations;
    const annotation = {
      name: 'Incidents',
      enable: true,
      iconColor: 'red',
      target: { refId: 'Anno', queryType: 'tickets' as const },
    };

    if (!support?.prepareQuery || !support.processEvents) {
      throw new Error('the data source has no annotation support');
    }

    const query = support.prepareQuery(annotation);
    const response = await datasource.query(requestFor(query ? [query] : []));
    const events = await lastValueFrom(support.processEvents(annotation, response.data));

    expect(events).toEqual([
      expect.objectContaining({
        time: TICKET.openedAtMs,
        timeEnd: TICKET.resolvedAtMs,
        isRegion: true,
        title: 'CMP-1a2b: UPS in the server room on battery',
        tags: ['P1', 'field_technicians'],
      }),
    ]);
  });
});
