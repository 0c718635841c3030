import {
  type AnnotationQuery,
  type CoreApp,
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  DataSourceApi,
  type DataSourceInstanceSettings,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
  type TimeRange,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import type {
  CommentRequest,
  DepartmentValues,
  EventsFilter,
  FeedbackRequest,
  FeedbackVerdict,
  HealthResponse,
  PlaceTag,
  PlaceValues,
  SeriesKind,
  SeriesPage,
  StoredProblem,
  Ticket,
  TicketDetailResponse,
  TicketsPage,
  TicketUpdateRequest,
} from '@nocai/contract';
import { SERIES_BY_KIND, seriesTagNames } from '@nocai/contract/dist/outputSeries';
import { escapeListValue, joinValueList, splitValueList } from '@nocai/contract/dist/valueList';
import { of } from 'rxjs';

import { ticketFramesToAnnotations } from './annotations';
import { BackendClient, BackendError, type QueryParams, toBackendError } from './backendClient';
import { eventsToFrame } from './eventsToFrame';
import { migrateQuery } from './migrate';
import { seriesToFrame } from './seriesToFrame';
import { TEST_MESSAGES } from './testMessages';
import { problemProbabilityFrames } from './problemsToFrame';
import { ticketCountToFrame, ticketsToFrame } from './ticketsToFrame';
import {
  DEFAULT_ANNOTATION_QUERY,
  DEFAULT_QUERY,
  DEFAULT_SERIES_LIMIT,
  DEFAULT_TICKETS_LIMIT,
  type EventsQuery,
  type EventsResponse,
  isEventsQuery,
  isNocaiQueryType,
  isProblemsQuery,
  isProblemView,
  isTicketsQuery,
  MAX_SERIES_LIMIT,
  MAX_TICKETS_LIMIT,
  type NocaiOptions,
  type NocaiQuery,
  PROBLEM_VIEWS,
  type ProblemsQuery,
  type SeriesQuery,
  type TicketsQuery,
} from './types';
import {
  parseVariableQuery,
  ROUTED_QUERIES,
  type RoutedKind,
  valuesTagOf,
  VARIABLE_KINDS,
  variableValues,
} from './variables';
import { FEEDBACK_VERDICTS } from './vocabulary';

type QueryOutcome = { frames: DataFrame[]; error?: undefined } | { frames?: undefined; error: DataQueryError };

export class NocaiDataSource extends DataSourceApi<NocaiQuery, NocaiOptions> {
  private readonly backend: BackendClient;
  private readonly backendUrl: string;

  constructor(instanceSettings: DataSourceInstanceSettings<NocaiOptions>) {
    super(instanceSettings);
    // `url` is the proxy URL Grafana gives every proxied data source; it is only absent in unit tests
    // that build settings by hand, and requests then fail with a clear message instead of a crash.
    this.backend = new BackendClient(instanceSettings.url ?? '');
    this.backendUrl = instanceSettings.jsonData.url?.trim() ?? '';
    // Incidents as annotations: the annotation runs a (tickets) query through `query()`, and the frames
    // become regions from opened to resolved, tagged with priority and department.
    this.annotations = {
      getDefaultQuery: () => DEFAULT_ANNOTATION_QUERY,
      prepareQuery: (annotation: AnnotationQuery<NocaiQuery>) =>
        annotation.target ? migrateQuery(annotation.target) : { refId: 'Anno', ...DEFAULT_ANNOTATION_QUERY },
      processEvents: (_annotation, frames) => of(ticketFramesToAnnotations(frames)),
    };
  }

  getDefaultQuery(_app: CoreApp): Partial<NocaiQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: NocaiQuery): boolean {
    return !query.hide;
  }

  async query(request: DataQueryRequest<NocaiQuery>): Promise<DataQueryResponse> {
    const outcomes = await Promise.all(request.targets.map((target) => this.runQuery(target, request)));
    const data = outcomes.flatMap((outcome) => outcome.frames ?? []);
    const errors = outcomes.flatMap((outcome) => (outcome.error ? [outcome.error] : []));
    return errors.length > 0 ? { data, errors } : { data };
  }

  private async runQuery(savedQuery: NocaiQuery, request: DataQueryRequest<NocaiQuery>): Promise<QueryOutcome> {
    const target = migrateQuery(savedQuery);
    // Saved JSON can hold any string; past this check the query type is one the backend serves.
    if (!isNocaiQueryType(target.queryType)) {
      return { error: { refId: target.refId, message: `Unknown query type ${String(target.queryType)}.` } };
    }
    try {
      return { frames: await this.fetchFrames(target, request) };
    } catch (err) {
      const error = toBackendError(err);
      const kind = capitalize(target.queryType);
      return {
        error: { refId: target.refId, message: `${kind} query failed: ${error.message}`, status: error.status },
      };
    }
  }

  private async fetchFrames(target: NocaiQuery, request: DataQueryRequest<NocaiQuery>): Promise<DataFrame[]> {
    const requestId = `${request.requestId}-${target.refId}`;
    const { range, scopedVars } = request;
    if (isEventsQuery(target)) {
      const events = await this.fetchEvents(this.eventsParams(target, range, scopedVars), requestId);
      return [eventsToFrame(events, target.refId)];
    }
    if (isTicketsQuery(target)) {
      const params = this.ticketsParams(target, range, scopedVars);
      if (target.count) {
        // Only the total is read: the smallest page the backend serves.
        const { total } = await this.fetchTicketsPage({ ...params, limit: 1 }, requestId);
        if (typeof total !== 'number') {
          throw new BackendError('backend', 'the backend answered /api/tickets without a total');
        }
        return [ticketCountToFrame(total, target.refId)];
      }
      const { tickets } = await this.fetchTicketsPage(params, requestId);
      return [ticketsToFrame(tickets, target.refId, this.uid)];
    }
    if (isProblemsQuery(target)) {
      return this.fetchProblemFrames(target, range, scopedVars, requestId);
    }
    const page = await this.fetchSeries(target.queryType, this.seriesParams(target, range, scopedVars), requestId);
    return [seriesToFrame(page, target.queryType, target.refId)];
  }

  /**
   * A problem's probability per entity with its threshold (`/api/series/problems`), or its alerts: the tickets
   * they opened (`/api/tickets?problem=&host=`), each with its verdict. An entity is the host its alerts name.
   */
  private async fetchProblemFrames(
    query: ProblemsQuery,
    range: TimeRange,
    scopedVars: ScopedVars,
    requestId: string
  ): Promise<DataFrame[]> {
    const filters = filterParams({ problem: query.problem, entity: query.entity }, {}, scopedVars);
    const problem = filters.problem === undefined ? undefined : String(filters.problem);
    // Already a list in the backend's syntax (`filterParams`): the entities are the hosts their alerts name.
    const entities = filters.entity === undefined ? undefined : String(filters.entity);
    if (problem === undefined) {
      throw new BackendError('backend', 'choose a problem (or a $problem variable that has a value)');
    }
    const what: unknown = query.what ?? 'probability';
    if (!isProblemView(what)) {
      throw new BackendError(
        'backend',
        `unknown problems view ${String(what)}: use one of ${PROBLEM_VIEWS.join(', ')}`
      );
    }
    if (what === 'alerts') {
      const params: QueryParams = {
        ...rangeParams(range),
        problem,
        limit: Math.min(MAX_TICKETS_LIMIT, Math.floor(query.limit ?? MAX_TICKETS_LIMIT)),
      };
      if (entities !== undefined) {
        params.host = entities;
      }
      return [ticketsToFrame(await this.fetchTickets(params, requestId), query.refId, this.uid)];
    }
    const limit = Math.min(MAX_SERIES_LIMIT, Math.floor(query.limit ?? MAX_SERIES_LIMIT));
    const params: QueryParams = { ...rangeParams(range), problem, limit };
    if (entities !== undefined) {
      params.entity = entities;
    }
    return problemProbabilityFrames(await this.fetchSeries('problems', params, requestId), query.refId);
  }

  /**
   * The problems defined on the backend (`GET /api/problems`), for the query editor's choice: names with
   * what each predicts. A problem file the backend could not read is left out (its own page says why).
   */
  async problemOptions(): Promise<Array<{ value: string; description: string }>> {
    const response = await this.backend.get<{ problems?: StoredProblem[] }>('/api/problems');
    if (!Array.isArray(response?.problems)) {
      throw new BackendError('backend', 'the backend answered /api/problems without a problems list');
    }
    return response.problems
      .map(({ definition }) => ({ value: definition.name, description: definition.description ?? '' }))
      .sort((a, b) => a.value.localeCompare(b.value));
  }

  /**
   * A ticket with what relates to it (`GET /api/tickets/:id`): its related alerts and the other tickets of its
   * devices open at the same time. A read, so any Grafana role may ask (the proxy's GET route is Viewer).
   */
  async getTicketDetail(ticketId: string): Promise<TicketDetailResponse> {
    if (!ticketId) {
      throw new BackendError('backend', 'a ticket detail needs a ticket id');
    }
    const response = await this.backend.get<Partial<TicketDetailResponse>>(
      `/api/tickets/${encodeURIComponent(ticketId)}`
    );
    if (typeof response?.ticket?.id !== 'string' || !Array.isArray(response.relatedTickets)) {
      throw new BackendError('backend', `the backend answered /api/tickets/${ticketId} without related tickets`);
    }
    return {
      ticket: response.ticket,
      relatedAlerts: Array.isArray(response.relatedAlerts) ? response.relatedAlerts : [],
      relatedTickets: response.relatedTickets,
      // A complaint linked to an incident: the panel shows that incident above the list, as it is now.
      ...(response.parent ? { parent: response.parent } : {}),
    };
  }

  /**
   * Records an operator's verdict on a ticket (`POST /api/tickets/:id/feedback`) and returns the ticket as
   * the backend now has it. Throws an `Error` whose message is the backend's own (e.g. "no ticket X") when
   * it refuses, or says that the backend could not be reached.
   */
  async postFeedback(ticketId: string, verdict: FeedbackVerdict, comment?: string): Promise<Ticket> {
    if (!ticketId) {
      throw new BackendError('backend', 'feedback needs a ticket id');
    }
    if (!(FEEDBACK_VERDICTS as readonly string[]).includes(verdict)) {
      throw new BackendError('backend', `unknown verdict ${verdict}: use one of ${FEEDBACK_VERDICTS.join(', ')}`);
    }
    const body: FeedbackRequest = { verdict };
    const trimmed = comment?.trim();
    if (trimmed) {
      body.comment = trimmed;
    }
    const response = await this.backend.post<{ ticket?: Ticket }>(
      `/api/tickets/${encodeURIComponent(ticketId)}/feedback`,
      body
    );
    if (typeof response?.ticket?.id !== 'string') {
      throw new BackendError('backend', 'the backend accepted the feedback but did not return the ticket');
    }
    return response.ticket;
  }

  /**
   * A workflow change (`PATCH /api/tickets/:id`: status, assignee, a corrected class, department or priority,
   * with an optional comment), made against `change.version`, the version the operator saw. Grafana's proxy
   * forwards no `If-Match`, so the version travels in the body. Returns the ticket as the backend now has it;
   * a stale version, a closed ticket or a move the workflow does not allow is refused with the backend's
   * message.
   */
  async updateTicket(ticketId: string, change: TicketUpdateRequest): Promise<Ticket> {
    if (!ticketId) {
      throw new BackendError('backend', 'a ticket change needs a ticket id');
    }
    const body: TicketUpdateRequest = { ...change };
    const comment = change.comment?.trim();
    if (comment) {
      body.comment = comment;
    } else {
      delete body.comment;
    }
    return this.ticketOf(
      await this.backend.patch<{ ticket?: Ticket }>(`/api/tickets/${encodeURIComponent(ticketId)}`, body),
      'change'
    );
  }

  /** A comment on its own (`POST /api/tickets/:id/comments`); appending needs no version. */
  async addComment(ticketId: string, text: string): Promise<Ticket> {
    const trimmed = text.trim();
    if (!ticketId || !trimmed) {
      throw new BackendError('backend', 'a comment needs a ticket id and some text');
    }
    const body: CommentRequest = { text: trimmed };
    return this.ticketOf(
      await this.backend.post<{ ticket?: Ticket }>(`/api/tickets/${encodeURIComponent(ticketId)}/comments`, body),
      'comment'
    );
  }

  private ticketOf(response: { ticket?: Ticket } | undefined, what: string): Ticket {
    if (typeof response?.ticket?.id !== 'string') {
      throw new BackendError('backend', `the backend accepted the ${what} but did not return the ticket`);
    }
    return response.ticket;
  }

  /**
   * Template variables: the query is one of `sites` or `hosts` (every one the backend knows: the sites and
   * hosts of its classified events, tickets and inventory, `GET /api/values/site|host`), `departments` (the six
   * and the organisation's own, `GET /api/values/department`), `classes`, `priorities` or `statuses` (the
   * contract's closed lists), or `events routed to $department`
   * (the InfluxQL condition on aiops_events that keeps the events routed to those departments, every event
   * when the variable is All, `GET /api/events/filter`), and likewise `silences routed to $department` and
   * `anomalies routed to $department` for aiops_silences and aiops_anomalies (`GET /api/series/:kind/filter`).
   */
  async metricFindQuery(query: unknown, options?: { scopedVars?: ScopedVars }): Promise<MetricFindValue[]> {
    const parsed = parseVariableQuery(query);
    if (!parsed) {
      const known = [...VARIABLE_KINDS, ...ROUTED_QUERIES.map((routed) => `${routed} $department`)].join(', ');
      throw new Error(`Unknown variable query ${JSON.stringify(query)}: use one of ${known}.`);
    }
    if (parsed.kind === 'routed') {
      return this.routedCondition(parsed.of, parsed.departments, options?.scopedVars ?? {});
    }
    const tag = valuesTagOf(parsed.kind);
    return variableValues(parsed.kind, tag === undefined ? [] : await this.fetchValues(tag));
  }

  /**
   * Every department a ticket may be in (`GET /api/values/department`): the six, then the organisation's own
   * (those tickets carry, those the serving department model routes to), for the triage panel's correction.
   */
  async getDepartments(): Promise<string[]> {
    return this.fetchValues('department');
  }

  private async fetchValues(tag: PlaceTag | 'department'): Promise<string[]> {
    const response = await this.backend.get<PlaceValues | DepartmentValues>(`/api/values/${tag}`);
    if (!Array.isArray(response?.values) || !response.values.every((value) => typeof value === 'string')) {
      throw new BackendError('backend', `the backend answered /api/values/${tag} without a values list`);
    }
    return response.values;
  }

  private async routedCondition(
    of: RoutedKind,
    departments: string,
    scopedVars: ScopedVars
  ): Promise<MetricFindValue[]> {
    const params = filterParams({ department: departments }, {}, scopedVars);
    const path = of === 'events' ? '/api/events/filter' : `/api/series/${of}/filter`;
    const response = await this.backend.get<EventsFilter>(path, { params });
    if (typeof response?.influxql !== 'string') {
      throw new BackendError('backend', `the backend answered ${path} without an influxql condition`);
    }
    const text = `${of} routed to ${params.department ?? 'every department'}`;
    return [{ text, value: response.influxql }];
  }

  private async fetchEvents(params: QueryParams, requestId?: string) {
    const response = await this.backend.get<EventsResponse>('/api/events', { params, requestId });
    if (!Array.isArray(response?.events)) {
      throw new BackendError('backend', 'the backend answered /api/events without an events list');
    }
    return response.events;
  }

  private async fetchTickets(params: QueryParams, requestId?: string) {
    return (await this.fetchTicketsPage(params, requestId)).tickets;
  }

  private async fetchTicketsPage(params: QueryParams, requestId?: string): Promise<TicketsPage> {
    const response = await this.backend.get<TicketsPage>('/api/tickets', { params, requestId });
    if (!Array.isArray(response?.tickets)) {
      throw new BackendError('backend', 'the backend answered /api/tickets without a tickets list');
    }
    return response;
  }

  private async fetchSeries(kind: SeriesKind, params: QueryParams, requestId?: string): Promise<SeriesPage> {
    const path = `/api/series/${kind}`;
    const response = await this.backend.get<SeriesPage>(path, { params, requestId });
    if (!Array.isArray(response?.rows)) {
      throw new BackendError('backend', `the backend answered ${path} without a rows list`);
    }
    return response;
  }

  private eventsParams(query: EventsQuery, range: TimeRange, scopedVars: ScopedVars): QueryParams {
    const params = filterParams(
      {
        class: query.eventClass,
        host: query.host,
        site: query.site,
        department: query.department,
        decision: query.decision,
      },
      rangeParams(range),
      scopedVars
    );
    if (query.limit !== undefined && query.limit > 0) {
      params.limit = Math.floor(query.limit);
    }
    return params;
  }

  private ticketsParams(query: TicketsQuery, range: TimeRange, scopedVars: ScopedVars): QueryParams {
    const params = filterParams(
      {
        status: query.status,
        site: query.site,
        host: query.host,
        department: query.department,
        priority: query.priority,
        parentStatus: query.parentStatus,
      },
      rangeParams(range),
      scopedVars
    );
    // The backend refuses a limit above its maximum; asking for the maximum is what the user meant.
    params.limit = Math.min(MAX_TICKETS_LIMIT, Math.floor(query.limit ?? DEFAULT_TICKETS_LIMIT));
    return params;
  }

  /**
   * The backend refuses a parameter that is not a tag of the series (HTTP 400), so a filter on another name
   * (only hand-written JSON has one: the editor offers the kind's tags) is reported here, naming the tags
   * it could have been. This also keeps a filter from replacing `from`, `to` or `limit`.
   */
  private seriesParams(query: SeriesQuery, range: TimeRange, scopedVars: ScopedVars): QueryParams {
    const filters = filterParams(query.filters ?? {}, {}, scopedVars);
    const tags = seriesTagNames(query.queryType);
    const unknown = Object.keys(filters).filter((name) => !tags.includes(name));
    if (unknown.length > 0) {
      const measurement = SERIES_BY_KIND[query.queryType].measurement;
      throw new BackendError(
        'backend',
        `${measurement} has no tag ${unknown.join(', ')} to filter on; its tags are ${tags.join(', ')}`
      );
    }
    const limit = Math.min(MAX_SERIES_LIMIT, Math.floor(query.limit ?? DEFAULT_SERIES_LIMIT));
    return { ...rangeParams(range), ...filters, limit };
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

function rangeParams(range: TimeRange): QueryParams {
  return { from: range.from.valueOf(), to: range.to.valueOf() };
}

/**
 * What a variable set to All interpolates to: Grafana's own marker, the `allValue` our dashboards give their
 * variables (`.*`, a regex for the InfluxDB panels) or a glob's `*`. The backend matches values exactly, so
 * All is sent as no filter at all.
 */
const ALL_VALUES: ReadonlySet<string> = new Set(['$__all', '.*', '*']);

/**
 * Template variables in filters are interpolated as a list in the backend's syntax (contract `valueList.ts`):
 * each value escaped, several joined by commas, which the backend reads as "any of these"
 * (`site=hosp-01,fact-02`, `site=Paris\, North`). Grafana's `csv` format would split a site named
 * `Paris, North` into two, its default format would send the glob `{hosp-01,fact-02}`. Text typed in a filter
 * is already in that syntax. A filter that ends up empty, or holds All, means "no filter".
 */
function filterParams(
  filters: Record<string, string | undefined>,
  params: QueryParams,
  scopedVars: ScopedVars
): QueryParams {
  const result = { ...params };
  for (const [name, value] of Object.entries(filters)) {
    const values = value ? listItems(getTemplateSrv().replace(value, scopedVars, asValueList)) : [];
    if (values.length > 0 && !values.some((item) => ALL_VALUES.has(item))) {
      result[name] = joinValueList(values);
    }
  }
  return result;
}

/**
 * Grafana's custom format for a variable's value: one value, or the values of a multi-value variable (Grafana
 * passes an array), as list items. A variable set to All with an `allValue` is not formatted (Grafana sends the
 * `allValue` as it is), which is how `ALL_VALUES` still recognises it.
 */
function asValueList(value: unknown): string {
  return Array.isArray(value) ? joinValueList(value.map(String)) : escapeListValue(String(value));
}

/** The values of a list, trimmed, without empty ones (a variable with no value left). */
function listItems(list: string): string[] {
  return splitValueList(list)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
