import {
  type CoreApp,
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  DataSourceApi,
  type DataSourceInstanceSettings,
  type ScopedVars,
  type TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';

import { BackendClient, BackendError, type QueryParams, toBackendError } from './backendClient';
import { eventsToFrame } from './eventsToFrame';
import { TEST_MESSAGES } from './testMessages';
import {
  DEFAULT_QUERY,
  type EventsQuery,
  type EventsResponse,
  type HealthResponse,
  isEventsQuery,
  isNocaiQueryType,
  type NocaiOptions,
  type NocaiQuery,
  withDefaultQueryType,
} from './types';

type QueryOutcome = { frame: DataFrame; error?: undefined } | { frame?: undefined; error: DataQueryError };

export class NocaiDataSource extends DataSourceApi<NocaiQuery, NocaiOptions> {
  private readonly backend: BackendClient;
  private readonly backendUrl: string;

  constructor(instanceSettings: DataSourceInstanceSettings<NocaiOptions>) {
    super(instanceSettings);
    // `url` is the proxy URL Grafana gives every proxied data source; it is only absent in unit tests
    // that build settings by hand, and requests then fail with a clear message instead of a crash.
    this.backend = new BackendClient(instanceSettings.url ?? '');
    this.backendUrl = instanceSettings.jsonData.url?.trim() ?? '';
  }

  getDefaultQuery(_app: CoreApp): Partial<NocaiQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: NocaiQuery): boolean {
    return !query.hide;
  }

  async query(request: DataQueryRequest<NocaiQuery>): Promise<DataQueryResponse> {
    const outcomes = await Promise.all(request.targets.map((target) => this.runQuery(target, request)));
    const data = outcomes.flatMap((outcome) => (outcome.frame ? [outcome.frame] : []));
    const errors = outcomes.flatMap((outcome) => (outcome.error ? [outcome.error] : []));
    return errors.length > 0 ? { data, errors } : { data };
  }

  private async runQuery(savedQuery: NocaiQuery, request: DataQueryRequest<NocaiQuery>): Promise<QueryOutcome> {
    const target = withDefaultQueryType(savedQuery);
    if (!isNocaiQueryType(target.queryType)) {
      return { error: { refId: target.refId, message: `Unknown query type ${String(target.queryType)}.` } };
    }
    if (!isEventsQuery(target)) {
      return {
        error: {
          refId: target.refId,
          message: `Query type ${target.queryType} arrives with a later version of the backend; only events can be queried now.`,
        },
      };
    }
    try {
      const response = await this.backend.get<EventsResponse>('/api/events', {
        params: this.eventsParams(target, request),
        requestId: `${request.requestId}-${target.refId}`,
      });
      if (!Array.isArray(response?.events)) {
        throw new BackendError('backend', 'the backend answered /api/events without an events list');
      }
      return { frame: eventsToFrame(response.events, target.refId) };
    } catch (err) {
      const error = toBackendError(err);
      return { error: { refId: target.refId, message: `Events query failed: ${error.message}`, status: error.status } };
    }
  }

  private eventsParams(query: EventsQuery, request: DataQueryRequest<NocaiQuery>): QueryParams {
    const params: QueryParams = {
      from: request.range.from.valueOf(),
      to: request.range.to.valueOf(),
    };
    const filters = { class: query.eventClass, host: query.host, decision: query.decision };
    for (const [name, value] of Object.entries(filters)) {
      const interpolated = interpolate(value, request.scopedVars);
      if (interpolated) {
        params[name] = interpolated;
      }
    }
    if (query.limit !== undefined && query.limit > 0) {
      params.limit = Math.floor(query.limit);
    }
    return params;
  }

  /** "Save & test": first whether the backend answers at all (healthz needs no token), then the token. */
  async testDatasource(): Promise<TestDataSourceResponse> {
    if (!this.backendUrl) {
      return { status: 'error', message: TEST_MESSAGES.noUrl };
    }
    try {
      const health = await this.backend.get<HealthResponse>('/healthz');
      if (health?.status !== 'ok') {
        return {
          status: 'error',
          message: `${TEST_MESSAGES.unreachable}: ${this.backendUrl}/healthz did not answer like a NOC AI backend (expected status "ok").`,
        };
      }
    } catch (err) {
      const error = toBackendError(err);
      return {
        status: 'error',
        message: `${TEST_MESSAGES.unreachable}: ${error.message}. Check that ${this.backendUrl} is reachable from the Grafana server (the requests go through Grafana, not from your browser).`,
      };
    }
    try {
      await this.backend.get('/api/whoami');
      return { status: 'success', message: TEST_MESSAGES.success };
    } catch (err) {
      const error = toBackendError(err);
      if (error.kind === 'unauthorized') {
        return {
          status: 'error',
          message: `${TEST_MESSAGES.unauthorized}: enter the API token the backend was started with, then save and test again.`,
        };
      }
      return {
        status: 'error',
        message: `The backend is reachable but checking the API token failed: ${error.message}`,
      };
    }
  }
}

/** Template variables in filters; an empty result means "no filter". */
function interpolate(value: string | undefined, scopedVars: ScopedVars): string {
  if (!value) {
    return '';
  }
  return getTemplateSrv().replace(value, scopedVars).trim();
}
