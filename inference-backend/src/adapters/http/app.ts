import express, { type NextFunction, type Request, type Response } from 'express';
import {
  acceptedDepartments,
  checkInput,
  commentRequestSchema,
  complaintRequestSchema,
  describeValue,
  eventsFilterQuerySchema,
  eventsQuerySchema,
  feedbackRequestSchema,
  grafanaWebhookSchema,
  isPlaceTag,
  isSeriesKind,
  PLACE_TAGS,
  SERIES_KINDS,
  seriesQuerySchema,
  ticketsQuerySchema,
  ticketUpdateSchema,
  TICKET_ID,
  toSeriesQuery,
  type ApiErrorBody,
  type DepartmentValues,
  type EventsFilter,
  type GrafanaWebhook,
  type GrafanaWebhookAnswer,
  type HealthResponse,
  type InputWording,
  type PlaceValues,
  type Ticket,
} from '@nocai/contract';
import type { z } from 'zod';
import { AuditNotRecordedError, ChangeNotSavedError } from '../../domain/audit/audit';
import type { Clock } from '../../domain/series';
import { TicketError, type TicketErrorKind } from '../../domain/tickets/errors';
import { InfluxError } from '../influx/errors';
import { InexpressibleLiteralError } from '../influx/influxql';
import { UnrepresentableValueError } from '../influx/lineProtocol';
import { routedEventsCondition, type EventsRepository } from '../influx/eventsRepository';
import { isRoutedSeries, ROUTED_SERIES, routedSeriesCondition, type DeviceRouting } from '../influx/routedDevices';
import type { SeriesRepository } from '../influx/seriesRepository';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { ExpectedVersion, TicketService } from '../../services/ticketService';
import type { StageHealth } from '../../pipeline/scheduler';
import {
  AppError,
  BadRequestError,
  RequestTimeoutError,
  TooManyRequestsError,
  GatewayTimeoutError,
  MethodNotAllowedError,
  NotFoundError,
  StorageRefusedError,
  UnavailableError,
} from './errors';
import { authenticate, callerOf, personOf, requireRole, whoami, type AuthOptions, type Caller } from './auth';
import { perCallerRateLimit, requestDeadline, securityHeaders, type HttpLimits } from './limits';
import { methodsAllowedAt } from './methodNotAllowed';
import { alertsAtOwners, forwardTicketChange, SHARD_HEADER, type TicketOwnership } from './shardForwarding';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  events: EventsRepository;
  series: SeriesRepository;
  tickets: TicketService;
  /**
   * What the routing decides by besides a device's kind (power's department per site kind, and the inventory's
   * sites of each kind): the department filters follow it. Without it, the default routing.
   */
  routing?: DeviceRouting;
  /** Resolves when InfluxDB answers; rejects with the reason otherwise. */
  checkInflux(): Promise<void>;
  /** Pipeline stages and whether each is committing. */
  stageHealth?(): StageHealth[];
  /** Who may call and as whom: the bootstrap and webhook tokens, per-client tokens, Grafana's users. */
  auth: AuthOptions;
  /**
   * Further routes under `/api` (models, audit, reports…), each built in its own module and
   * mounted behind the same authentication and JSON body parser as the ticket routes; each of
   * their routes names its minimum role with `requireRole` (the role matrix test checks it).
   */
  routers?: ReadonlyArray<{ path: string; router: express.Router }>;
  /**
   * The per-caller rate limit and the request deadline (config: NOCAI_RATE_LIMIT,
   * NOCAI_REQUEST_TIMEOUT_MS); `clock` counts the rate limit's minutes (the system's by default).
   * Without it, neither applies (route tests).
   */
  limits?: HttpLimits & { clock?: Clock };
  /** Served over HTTPS (NOCAI_TLS_CERT): browsers are told to keep to it (HSTS). */
  https?: boolean;
  /**
   * Sharded replicas: which shard owns a ticket and where its replica answers; a change to a ticket
   * another replica owns is made there (`shardForwarding.ts`). Every answer names this shard.
   */
  ticketOwnership?: TicketOwnership;
}

/** `POST /api/models/import` (modelsRoutes.ts): a model file in the body, parsed there with its own limit. */
const MODEL_IMPORT_ROUTE = '/models/import';

/** The HTTP API, without listening (main.ts listens; tests use port 0). */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders({ https: deps.https ?? false }));
  const ownership = deps.ticketOwnership;
  if (ownership) {
    app.use((_req, res, next) => {
      res.set(SHARD_HEADER, String(ownership.self));
      next();
    });
  }
  app.use(requestMetrics(deps.metrics));
  app.use(requestLog(deps.logger));
  // A model upload may take long to receive and check: the server's request timeout bounds it.
  const isModelImport = (req: Request) => req.method === 'POST' && req.path === `/api${MODEL_IMPORT_ROUTE}`;
  app.use(requestDeadline(deps.limits?.requestTimeoutMs ?? 0, sendError, isModelImport));

  app.get('/healthz', (_req, res) => {
    const body: HealthResponse = { status: 'ok' };
    res.json(body);
  });

  // Ready means able to do the job: InfluxDB answers and every pipeline stage commits its batches.
  app.get('/readyz', async (_req, res) => {
    const checks: NonNullable<HealthResponse['checks']> = {};
    try {
      await deps.checkInflux();
      checks.influxdb = { ok: true };
    } catch (error) {
      checks.influxdb = { ok: false, message: messageOf(error) };
    }
    for (const stage of deps.stageHealth?.() ?? []) {
      checks[`stage:${stage.stage}`] = stage.ok
        ? { ok: true }
        : {
            ok: false,
            message: `not committing since ${new Date(stage.failingSinceMs ?? 0).toISOString()}: ${stage.error ?? ''}`,
          };
    }
    const ok = Object.values(checks).every((c) => c.ok);
    const body: HealthResponse = { status: ok ? 'ok' : 'unavailable', checks };
    res.status(ok ? 200 : 503).json(body);
  });

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  // Grafana's contact point holds the webhook token, which opens this route and nothing else.
  app.post(
    '/api/alerts/grafana',
    authenticate(deps.auth, { webhook: true }),
    requireRole('operator'),
    jsonBody('1mb'),
    async (req, res) => {
      // The alert's changes are Grafana's; the sender (which token) is kept as where they came from.
      const from = `webhook:${callerOf(res).name}`;
      // An alert no ticket can hold is refused alone (all of them: a 400), and named in the answer and the log.
      const { webhook, refused } = parse(grafanaWebhookSchema, req.body);
      if (refused.length > 0) {
        deps.logger.warn({ from, alerts: webhook.alerts.length + refused.length, refused }, 'alerts refused');
      }
      const takeIn = (part: GrafanaWebhook) => deps.tickets.fromGrafana(part, from);
      // With shards, each alert's ticket is taken in by the replica that owns it.
      const intake = await (ownership ? alertsAtOwners(req, webhook, ownership, takeIn) : takeIn(webhook));
      res.status(202).json({ ...intake, refused } satisfies GrafanaWebhookAnswer);
    }
  );

  const viewer = requireRole('viewer');
  const operator = requireRole('operator');
  // A change to a ticket is made by the replica that owns it; without shards, here.
  const atOwner: express.RequestHandler<{ id: string }> = ownership
    ? forwardTicketChange(ownership)
    : (_req, _res, next) => next();
  const api = express.Router();
  api.use(authenticate(deps.auth));
  // After authentication (the budget is the caller's), before the body is parsed. The webhook above
  // is left out: a refused alert is a lost page, and Grafana's notification policy already groups them.
  if (deps.limits && deps.limits.rateLimitPerMinute > 0) {
    api.use(perCallerRateLimit(deps.limits.rateLimitPerMinute, deps.limits.clock ?? { nowMs: () => Date.now() }));
  }
  // Bodies up to 1 MB; a model upload parses its own larger body, after its admin check.
  const json = jsonBody('1mb');
  api.use((req, res, next) =>
    req.method === 'POST' && req.path === MODEL_IMPORT_ROUTE ? next() : json(req, res, next)
  );
  api.get('/whoami', viewer, (_req, res) => {
    res.json(whoami(callerOf(res)));
  });
  api.get('/events', viewer, async (req, res) => {
    const query = parseQuery(eventsQuerySchema(deps.clock.nowMs(), await deps.tickets.departments()), req.query);
    res.json({ events: await deps.events.find(query, deps.clock.nowMs()) });
  });
  api.get('/events/filter', viewer, async (req, res) => {
    const { department } = parseQuery(eventsFilterQuerySchema(await deps.tickets.departments()), req.query);
    const power = deps.routing?.powerDepartmentBySiteKind;
    res.json({ influxql: routedEventsCondition(department, power) } satisfies EventsFilter);
  });
  api.get('/series/:kind/filter', viewer, async (req, res) => {
    const kind = req.params.kind;
    if (!isRoutedSeries(kind)) {
      throw new NotFoundError(`no department filter for ${kind.slice(0, 64)}: use one of ${ROUTED_SERIES.join(', ')}`);
    }
    const { department } = parseQuery(eventsFilterQuerySchema(await deps.tickets.departments()), req.query);
    res.json({ influxql: routedSeriesCondition(kind, department, deps.routing) } satisfies EventsFilter);
  });
  api.get('/series/:kind', viewer, async (req, res) => {
    const kind = req.params.kind;
    if (!isSeriesKind(kind)) {
      throw new NotFoundError(`no series ${kind.slice(0, 64)}: use one of ${SERIES_KINDS.join(', ')}`);
    }
    const query = toSeriesQuery(parseQuery(seriesQuerySchema(kind, deps.clock.nowMs()), req.query));
    res.json(await deps.series.find(kind, query, deps.clock.nowMs()));
  });
  // The departments a correction or a list filter accepts, in their order: the six, then the organisation's own.
  api.get('/values/department', viewer, async (req, res) => {
    refuseParameters(req, 'department');
    res.json({
      tag: 'department',
      values: acceptedDepartments(await deps.tickets.departments()),
    } satisfies DepartmentValues);
  });
  api.get('/values/:tag', viewer, async (req, res) => {
    const tag = req.params.tag;
    if (!isPlaceTag(tag)) {
      throw new NotFoundError(
        `no values of ${tag.slice(0, 64)}: use one of ${[...PLACE_TAGS, 'department'].join(', ')}`
      );
    }
    refuseParameters(req, tag);
    const [events, tickets] = await Promise.all([
      deps.events.tagValues(tag === 'host' ? 'hostname' : 'site'),
      deps.tickets.places(tag),
    ]);
    const values = [...new Set([...events, ...tickets])].filter((v) => v !== '').sort((a, b) => a.localeCompare(b));
    res.json({ tag, values } satisfies PlaceValues);
  });
  api.get('/tickets', viewer, async (req, res) => {
    const departments = await deps.tickets.departments();
    res.json(await deps.tickets.list(parseQuery(ticketsQuerySchema(deps.clock.nowMs(), departments), req.query)));
  });
  api.get('/tickets/:id', viewer, async (req, res) => {
    const detail = await deps.tickets.detail(ticketId(req.params.id));
    res.set('ETag', etagOf(detail.ticket)).json(detail);
  });
  api.get('/tickets/:id/history', viewer, async (req, res) => {
    res.json({ history: await deps.tickets.history(ticketId(req.params.id)) });
  });
  api.patch('/tickets/:id', operator, atOwner, async (req, res) => {
    const { version, ...change } = parse(ticketUpdateSchema(await deps.tickets.departments()), req.body);
    const id = ticketId(req.params.id);
    const who = callerOf(res);
    const ticket = await deps.tickets.update(id, change, expectedVersion(req, version), who.name, undefined, who.role);
    res.set('ETag', etagOf(ticket)).json({ ticket });
  });
  api.post('/tickets/:id/comments', operator, atOwner, async (req, res) => {
    const { text } = parse(commentRequestSchema, req.body);
    const who = callerOf(res);
    const ticket = await deps.tickets.comment(ticketId(req.params.id), text, who.name, undefined, who.role);
    res.status(201).set('ETag', etagOf(ticket)).json({ ticket });
  });
  api.post('/tickets/:id/feedback', operator, atOwner, async (req, res) => {
    const body = parse(feedbackRequestSchema, req.body);
    const who = callerOf(res);
    const ticket = await deps.tickets.feedback(ticketId(req.params.id), body, who.name, undefined, who.role);
    res.set('ETag', etagOf(ticket)).json({ ticket });
  });
  api.post('/complaints', operator, async (req, res) => {
    const complaint = parse(complaintRequestSchema, req.body);
    const who = personOf(res, complaint.reporter, deps.auth);
    res.status(201).json({ ticket: await deps.tickets.fromComplaint(complaint, who.name, undefined, who.role) });
  });
  for (const { path, router } of deps.routers ?? []) api.use(path, router);
  app.use('/api', api);

  // A path some route serves, asked with another method, is a 405 saying which; only an unknown path is a 404.
  const allowedAt = methodsAllowedAt(app);
  app.use((req, _res, next) => {
    const allow = allowedAt(req.path);
    next(
      allow.length > 0
        ? new MethodNotAllowedError(req.method, req.path, allow)
        : new AppError(`no route for ${req.method} ${req.path}`, 404, 'not_found')
    );
  });
  app.use(errorHandler(deps.logger));
  return app;
}

/** `GET /api/values/:tag` answers the whole list: a parameter (a time range, a filter) would be silently ignored. */
function refuseParameters(req: Request, tag: string): void {
  const unknown = Object.keys(req.query);
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((name) => name.slice(0, 64));
    throw new BadRequestError(`/api/values/${tag} takes no parameters (got ${named.join(', ')})`);
  }
}

function ticketId(raw: string): string {
  if (!TICKET_ID.test(raw)) throw new BadRequestError(`not a ticket id: ${raw.slice(0, 64)}`);
  return raw;
}

/** A ticket's version as an ETag (strong: a version names exactly one state). */
function etagOf(ticket: Ticket): string {
  return `"${ticket.version ?? 0}"`;
}

/**
 * The version a change was made against: `If-Match: "3"` (the ETag the caller read), `If-Match: *`
 * (any), or `version` in the body (Grafana's data source proxy forwards no `If-Match`). Undefined
 * when the caller sent neither.
 */
function expectedVersion(req: Request, bodyVersion: number | undefined): ExpectedVersion | undefined {
  const header = req.get('if-match')?.trim();
  if (header === undefined || header === '') return bodyVersion;
  let fromHeader: ExpectedVersion;
  if (header === '*') fromHeader = '*';
  else {
    const match = /^"?(\d{1,15})"?$/.exec(header);
    if (!match)
      throw new BadRequestError('If-Match must be a ticket ETag such as "3" (from GET /api/tickets/:id), or *');
    fromHeader = Number(match[1]);
  }
  if (bodyVersion !== undefined && fromHeader !== '*' && fromHeader !== bodyVersion) {
    throw new BadRequestError(`If-Match ${header} and version ${bodyVersion} disagree: send one of them`);
  }
  return bodyVersion ?? fromHeader;
}

const TICKET_ERROR_STATUS: Record<TicketErrorKind, number> = {
  not_found: 404,
  unknown_place: 400,
  ticket_closed: 409,
  invalid_transition: 409,
  stale_version: 409,
  version_required: 428,
};

const BODY: InputWording = { subject: 'the request body' };
const QUERY: InputWording = { subject: 'the query string', member: 'parameter' };

/**
 * `input` (a request body, unless `wording` says otherwise) checked against `schema`; a 400 whose
 * message is one sentence naming the first offending field, what it got and what it takes
 * (`priority must be one of P1, P2, P3, P4 (got "P7")`, see contract's `refusals.ts`) otherwise.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, wording: InputWording = BODY): z.infer<S> {
  const result = checkInput(schema, input, wording);
  if (!result.success) throw new BadRequestError(result.message);
  return result.data;
}

/**
 * express.json, and a body in another format refused naming the format: express.json leaves a form
 * or a text body unread, and the route's schema then answered "Invalid input: expected object,
 * received undefined" (curl -d without -H 'Content-Type: application/json' sends a form).
 */
function jsonBody(limit: string): express.RequestHandler {
  const json = express.json({ limit });
  return (req, res, next) =>
    json(req, res, (error?: unknown) => {
      if (error !== undefined) return next(error);
      // An empty body (Content-Length: 0, a POST that sends nothing) is no body in another format.
      const empty = req.get('content-length') === '0';
      if (req.body === undefined && !empty && req.is('application/json') === false) {
        const type = (req.get('content-type') ?? 'no Content-Type').slice(0, 64);
        return next(
          new AppError(
            `the request body must be JSON, sent with Content-Type: application/json (it came as ${type})`,
            415,
            'unsupported_media_type'
          )
        );
      }
      next();
    });
}

/**
 * A query string through its schema. A parameter given twice (`status=open&status=resolved`)
 * reaches it as an array, which the schema would refuse as not a string: it is refused naming the
 * parameter and how to ask for several values.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: Request['query']): z.infer<S> {
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') continue;
    const shown = name.slice(0, 64);
    throw new BadRequestError(
      `${shown} is given more than once: give it once, with a comma-separated list for several values (${shown}=a,b)`
    );
  }
  return parse(schema, query, QUERY);
}

function requestMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpSeconds.startTimer();
    res.on('finish', () => {
      // The matched route pattern, not the raw path, keeps the label set bounded.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/**
 * One debug line per request: method, path (no query string), status, caller and duration; never
 * a header or a body, which may hold tokens (the logger's redaction is the second line of defence).
 */
function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!logger.isLevelEnabled('debug')) return next();
    // Read now: routers rewrite `req.path` as the request goes down into them.
    const path = req.path.slice(0, 256);
    const startMs = performance.now();
    res.on('finish', () => {
      const caller = res.locals.caller as Caller | undefined;
      logger.debug(
        {
          method: req.method,
          path,
          status: res.statusCode,
          caller: caller?.name,
          ms: Math.round(performance.now() - startMs),
        },
        'request'
      );
    });
    next();
  };
}

/** An error as the caller sees it: a status, `{error:{code,message}}`, and when to retry. */
function sendError(res: Response, appError: AppError): void {
  const retryAfterSeconds =
    appError instanceof UnavailableError ||
    appError instanceof TooManyRequestsError ||
    appError instanceof RequestTimeoutError
      ? appError.retryAfterSeconds
      : undefined;
  if (retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds));
  if (appError instanceof MethodNotAllowedError) res.set('Allow', appError.allow.join(', '));
  // RFC 6750: a 401 says which scheme to use, and whether the token sent was the problem.
  if (appError.status === 401) {
    res.set('WWW-Authenticate', `Bearer realm="nocai"${res.req.get('authorization') ? ', error="invalid_token"' : ''}`);
  }
  const body: ApiErrorBody = { error: { code: appError.code, message: appError.message } };
  res.status(appError.status).json(body);
}

function errorHandler(logger: Logger) {
  // Express recognises an error handler by its four parameters.
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      // Answered already (the request deadline passed): this late outcome has no one to go to.
      logger.debug({ path: req.path, err: messageOf(error) }, 'request ended after its answer was sent');
      if (!res.writableEnded) res.destroy();
      return;
    }
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (error instanceof TicketError) {
      appError = new AppError(error.message, TICKET_ERROR_STATUS[error.kind], error.kind);
      // A stale change is answered with the version to retry against.
      if (error.currentVersion !== undefined) res.set('ETag', `"${error.currentVersion}"`);
    } else if (error instanceof InfluxError) appError = fromInflux(error);
    // The trail refused the entry, so nothing changed: the change may be asked again once it is fixed.
    else if (error instanceof AuditNotRecordedError) appError = new AppError(error.message, 503, 'audit_unavailable');
    // Not saved after its entry: a storage failure keeps its own answer (a refusal, an outage worth a retry).
    else if (error instanceof ChangeNotSavedError)
      appError =
        error.saveError instanceof InfluxError
          ? fromInflux(error.saveError, error.message)
          : new AppError(error.message, 500, 'not_saved');
    // The contract's schemas keep such values out; should one slip through, it is the caller's input.
    else if (error instanceof UnrepresentableValueError || error instanceof InexpressibleLiteralError)
      appError = new BadRequestError(error.message);
    else if (isBodyParseError(error)) appError = new BadRequestError(bodyParseProblem(error));
    else if (isBodyTooLarge(error)) appError = new AppError(bodyTooLargeProblem(error), 413, 'payload_too_large');
    else if (error instanceof URIError || isPathDecodeError(error))
      appError = new BadRequestError('the request path is not valid percent-encoding');
    else if (clientErrorStatus(error))
      appError = new AppError(messageOf(error), clientErrorStatus(error) ?? 400, 'bad_request');
    else {
      logger.error({ err: error, path: req.path }, 'unhandled error');
      appError = new AppError('internal error', 500, 'internal');
    }
    if (appError.status >= 500) logger.warn({ path: req.path, err: appError.message }, 'request failed');
    sendError(res, appError);
  };
}

/** An InfluxDB failure as the caller should see it: an outage, a timeout, or a refusal. */
function fromInflux(error: InfluxError, message = error.message): AppError {
  switch (error.kind) {
    case 'timeout':
      return new GatewayTimeoutError(message);
    case 'refused':
      return new StorageRefusedError(message);
    case 'auth':
      return new UnavailableError(`the backend's InfluxDB credentials are refused: ${message}`, 30);
    default:
      return new UnavailableError(message);
  }
}

/** Express's router answers a param it cannot decode with a 400 error that is not marked `expose`. */
function isPathDecodeError(error: unknown): boolean {
  const e = error as { status?: unknown; message?: unknown } | null;
  return e?.status === 400 && typeof e.message === 'string' && e.message.startsWith('Failed to decode param');
}

function isBodyParseError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: string }).type === 'entity.parse.failed';
}

function isBodyTooLarge(error: unknown): error is { limit?: unknown; length?: unknown } {
  return typeof error === 'object' && error !== null && (error as { type?: string }).type === 'entity.too.large';
}

/** body-parser says only "request entity too large": the caller is told the size and the limit. */
function bodyTooLargeProblem(error: { limit?: unknown; length?: unknown }): string {
  const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;
  const limit = typeof error.limit === 'number' ? error.limit : undefined;
  const shownLimit = limit === undefined ? "this route's limit" : `${bytes(limit)} (${limit / 2 ** 20} MB)`;
  const size = typeof error.length === 'number' ? `has ${bytes(error.length)}` : 'is larger';
  return `the request body ${size}, over the limit of ${shownLimit}`;
}

/**
 * Why express.json refused a body. It takes only an object or an array, and refuses other JSON (`null`,
 * `"text"`, `5`) with a made-up JSON.parse error ("Unexpected token 'n', "null" is not valid JSON") that
 * calls valid JSON invalid: that body is named for what it is.
 */
function bodyParseProblem(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const value: unknown = JSON.parse(body);
      return `the request body must be a JSON object (got ${describeValue(value, { kind: true })})`;
    } catch {
      // Not JSON at all: body-parser's own message says where it fails.
    }
  }
  return `the request body is not valid JSON: ${messageOf(error)}`;
}

/** body-parser's own 4xx (payload too large, unsupported charset) carry `status` and `expose`. */
function clientErrorStatus(error: unknown): number | undefined {
  const e = error as { status?: unknown; expose?: unknown } | null;
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true ? e.status : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
