import {
  type DataQueryRequest,
  type DataSourceInstanceSettings,
  dateTime,
  FieldType,
  type ScopedVars,
} from '@grafana/data';
import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { lastValueFrom, type Observable, of, throwError } from 'rxjs';

import { NocaiDataSource } from './datasource';
import type { NocaiFrameMeta } from './ticketsToFrame';
import { TEST_MESSAGES } from './testMessages';
import type { ClassifiedEvent, Ticket } from '@nocai/contract';

import type { NocaiOptions, NocaiQuery } from './types';

const PROXY_URL = '/api/datasources/proxy/uid/nocai';
const BACKEND_URL = 'http://inference-backend:8080';

type Answer = { status: number; data: unknown; statusText?: string };
type Answers = Record<string, Answer | Error>;

const fetchMock = jest.fn<Observable<FetchResponse>, [BackendSrvRequest]>();
const replaceMock = jest.fn((value: string, _scopedVars?: ScopedVars) => value);

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

    expect(replaceMock).toHaveBeenCalledWith('$host', scopedVars);
    const params = fetchMock.mock.calls[0][0].params;
    expect(params).toMatchObject({ host: 'ups-03' });
    expect(params).not.toHaveProperty('decision');
  });

  it('treats a saved query without a query type as an events query', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });
    const savedByHand = { refId: 'A' } as NocaiQuery;

    const response = await createDataSource().query(requestFor([savedByHand]));

    expect(response.data).toHaveLength(1);
  });

  it('When a query type the backend does not serve yet is asked for, then it answers an error and no data', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });

    const response = await createDataSource().query(
      requestFor([
        { refId: 'A', queryType: 'events' },
        { refId: 'B', queryType: 'anomalies' },
      ])
    );

    expect(response.data.map((frame: { refId: string }) => frame.refId)).toEqual(['A']);
    expect(response.errors).toEqual([
      expect.objectContaining({
        refId: 'B',
        message: expect.stringContaining('The NOC AI backend does not serve anomalies yet'),
      }),
    ]);
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
    replaceMock.mockImplementation((value) => ({ $site: 'hosp-01' })[value] ?? value);

    const response = await createDataSource().query(
      requestFor([{ refId: 'T', queryType: 'tickets', site: '$site', priority: 'P1', status: '', limit: 5000 }])
    );

    expect(response.errors).toBeUndefined();
    expect(fetchMock.mock.calls[0][0].url).toBe(`${PROXY_URL}/api/api/tickets`);
    expect(fetchMock.mock.calls[0][0].params).toEqual({
      from: 1_767_225_600_000,
      to: 1_767_229_200_000,
      site: 'hosp-01',
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

  it("When the tickets endpoint refuses the query, then the backend's message is the query error", async () => {
    backendAnswers({
      '/api/api/tickets': {
        status: 400,
        data: { error: { code: 'bad_request', message: 'priority: Invalid option' } },
      },
    });

    const response = await createDataSource().query(requestFor([{ refId: 'T', queryType: 'tickets', priority: 'P9' }]));

    expect(response.data).toEqual([]);
    expect(response.errors?.[0].message).toBe('Tickets query failed: priority: Invalid option (bad_request, 400)');
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

describe('metricFindQuery', () => {
  it('When a variable asks for sites, then it gets the distinct sites of tickets and events, sorted', async () => {
    backendAnswers({
      '/api/api/tickets': { status: 200, data: { tickets: [TICKET, { ...TICKET, site: 'city-02' }] } },
      '/api/api/events': { status: 200, data: { events: [EVENT] } },
    });

    const values = await createDataSource().metricFindQuery('sites');

    expect(values.map((value) => value.text)).toEqual(['city-02', 'factory-east', 'hosp-01']);
  });

  it('When a variable asks for departments, then it gets the contract list without calling the backend', async () => {
    const values = await createDataSource().metricFindQuery(' Departments ');

    expect(values.map((value) => value.text)).toContain('field_technicians');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('When the variable query is not one the data source knows, then it says which ones it knows', async () => {
    await expect(createDataSource().metricFindQuery('racks')).rejects.toThrow(
      'use one of sites, departments, hosts, classes, priorities, statuses'
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
