import {
  type DataQueryRequest,
  type DataSourceInstanceSettings,
  dateTime,
  FieldType,
  type ScopedVars,
} from '@grafana/data';
import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { type Observable, of, throwError } from 'rxjs';

import { NocaiDataSource } from './datasource';
import { TEST_MESSAGES } from './testMessages';
import type { ClassifiedEvent, NocaiOptions, NocaiQuery } from './types';

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

  it('answers query types the backend does not serve yet with an error instead of data', async () => {
    backendAnswers({ '/api/api/events': { status: 200, data: { events: [EVENT] } } });

    const response = await createDataSource().query(
      requestFor([
        { refId: 'A', queryType: 'events' },
        { refId: 'B', queryType: 'tickets' },
      ])
    );

    expect(response.data.map((frame: { refId: string }) => frame.refId)).toEqual(['A']);
    expect(response.errors).toEqual([
      expect.objectContaining({
        refId: 'B',
        message: expect.stringContaining('Query type tickets arrives with a later version of the backend'),
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
