import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../domain/audit/audit';
import { ROLES, type Role } from '../../domain/security/roles';
import type { EventsRepository } from '../influx/eventsRepository';
import type { SeriesRepository } from '../influx/seriesRepository';
import { createLogger } from '../logger';
import { Metrics } from '../metrics/metrics';
import type { ReportGenerator } from '../report/reportGenerator';
import type { RetrainStage } from '../../pipeline/retrainStage';
import { FileTokenStore } from '../security/fileTokenStore';
import { grafanaIdTokenVerifier } from '../security/grafanaIdToken';
import type { ProblemService } from '../../services/problemService';
import type { TicketService } from '../../services/ticketService';
import { createApp } from './app';
import { callerOf, requireRole, type AuthOptions } from './auth';
import { createAuditRouter } from './auditRoutes';
import { NotFoundError } from './errors';
import { createModelsRouter } from './modelsRoutes';
import { createPredictRouter } from './predictRoutes';
import { createProblemsRouter } from './problemsRoutes';
import { createReportRouter } from './reportRoutes';
import { createRetrainingRouter } from './retrainingRoutes';
import { createTokensRouter } from './tokenRoutes';
import { FUZZ_ROUTES } from '../../bench/fuzzRequests';

/**
 * The role each route needs. A route the app serves that is missing here, or whose gate says
 * another role, fails the first test: adding a route means deciding its role.
 */
const EXPECTED_ROLES: Record<string, Role | 'public'> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'POST /api/alerts/grafana': 'operator',
  'GET /api/whoami': 'viewer',
  'GET /api/events': 'viewer',
  'GET /api/events/filter': 'viewer',
  'GET /api/series/:kind': 'viewer',
  'GET /api/series/:kind/filter': 'viewer',
  'GET /api/tickets': 'viewer',
  'GET /api/values/department': 'viewer',
  'GET /api/values/:tag': 'viewer',
  'GET /api/tickets/:id': 'viewer',
  'GET /api/tickets/:id/history': 'viewer',
  'PATCH /api/tickets/:id': 'operator',
  'POST /api/tickets/:id/comments': 'operator',
  'POST /api/tickets/:id/feedback': 'operator',
  'POST /api/complaints': 'operator',
  'GET /api/retraining': 'viewer',
  'POST /api/retraining': 'analyst',
  'GET /api/models': 'viewer',
  'GET /api/models/:name': 'viewer',
  'GET /api/models/:name/versions/:version': 'viewer',
  'POST /api/models/import': 'admin',
  'POST /api/models/:name/promote': 'admin',
  'POST /api/models/:name/challenger': 'admin',
  'POST /api/models/:name/rollback': 'admin',
  'POST /api/models/:name/versions/:version/archive': 'admin',
  'POST /api/predict/:name': 'analyst',
  'GET /api/audit': 'admin',
  'GET /api/reports': 'viewer',
  'GET /api/reports/latest': 'viewer',
  'GET /api/reports/:id': 'viewer',
  'POST /api/reports': 'analyst',
  'GET /api/problems': 'viewer',
  'GET /api/problems/:name': 'viewer',
  'GET /api/problems/:name/versions': 'viewer',
  'GET /api/problems/:name/train': 'viewer',
  'GET /api/problems/:name/train/:job': 'viewer',
  'POST /api/problems': 'admin',
  'PUT /api/problems/:name': 'admin',
  'DELETE /api/problems/:name': 'admin',
  'POST /api/problems/:name/train': 'admin',
  'GET /api/tokens': 'admin',
  'POST /api/tokens': 'admin',
  'POST /api/tokens/:id/revoke': 'admin',
};

interface RouteInfo {
  key: string;
  method: string;
  path: string;
  /** The role of the route's gate, and whether the gate runs before the route's own handler. */
  gate?: { role: Role; beforeHandler: boolean };
}

/** Minimal shapes of express 5's router internals (`Layer.rawPath` holds the path a layer was added with). */
interface LayerLike {
  rawPath?: string;
  handle: { stack?: LayerLike[]; requiredRole?: Role };
  route?: { path: string; methods: Record<string, boolean>; stack: LayerLike[] };
}

/** Every route of the app with its full path, walking mounted routers. */
function routesOf(app: express.Express): RouteInfo[] {
  const out: RouteInfo[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = `${prefix}${layer.route.path === '/' && prefix !== '' ? '' : layer.route.path}`;
        const handlers = layer.route.stack;
        const gateAt = handlers.findIndex((h) => h.handle.requiredRole !== undefined);
        for (const method of Object.keys(layer.route.methods).map((m) => m.toUpperCase())) {
          out.push({
            key: `${method} ${path}`,
            method,
            path,
            gate:
              gateAt < 0
                ? undefined
                : { role: handlers[gateAt].handle.requiredRole as Role, beforeHandler: gateAt < handlers.length - 1 },
          });
        }
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, `${prefix}${layer.rawPath ?? ''}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '');
  return out;
}

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

/** Collaborators that answer "not found" to everything: a route that gets past its gate answers 404/400. */
const notFound = new Proxy(
  {},
  {
    get: () => async () => {
      throw new NotFoundError('nothing here in this test');
    },
  }
);

/** The ticket use cases, recording who each change is made by (the caller the route passes on). */
function recordingTickets() {
  const calls: Array<{ action: string; user?: string; role?: string; from?: string }> = [];
  const ticket = { id: 'T-1', version: 2 };
  const tickets = new Proxy(
    {},
    {
      get: (_t, prop: string) => {
        switch (prop) {
          case 'feedback':
          case 'comment':
            return async (_id: string, _body: unknown, user: string, from: string, role: string) => {
              calls.push({ action: prop, user, role, from });
              return ticket;
            };
          case 'fromComplaint':
            return async (_body: unknown, user: string, from: string, role: string) => {
              calls.push({ action: prop, user, role, from });
              return ticket;
            };
          case 'fromGrafana':
            return async (_body: unknown, from: string) => {
              calls.push({ action: prop, from });
              return { tickets: [], ignored: 0 };
            };
          default:
            return async () => {
              throw new NotFoundError('nothing here in this test');
            };
        }
      },
    }
  ) as TicketService;
  return { tickets, calls };
}

/** The route modules of this folder, each mounted in the app below: a new module must join the matrix. */
const ROUTE_MODULES = [
  'auditRoutes.ts',
  'modelsRoutes.ts',
  'predictRoutes.ts',
  'problemsRoutes.ts',
  'reportRoutes.ts',
  'retrainingRoutes.ts',
  'tokenRoutes.ts',
];

/** Like `notFound`, for a collaborator whose methods are not all async. */
const notFoundNow = new Proxy(
  {},
  {
    get: () => () => {
      throw new NotFoundError('nothing here in this test');
    },
  }
);

const SAMPLE_PARAMS: Record<string, string> = {
  id: 'T-1',
  kind: 'syslog',
  name: 'department',
  version: 'v1',
  job: 'j1',
  tag: 'site',
};
const samplePath = (path: string) => path.replace(/:([a-z]+)/g, (_m, p: string) => SAMPLE_PARAMS[p] ?? 'x');

const BOOTSTRAP = 'bootstrap-secret-for-tests';
const WEBHOOK = 'webhook-secret-for-tests';
const ISSUER = 'http://grafana.test:3000/';

describe('Roles: every route needs a role, and each role gets exactly its routes', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let jwksServer: Server;
  let app: express.Express;
  const secrets: Partial<Record<Role, string>> = {};
  let expiredSecret: string;
  let revokedSecret: string;
  /** A per-client admin token that is not Grafana's: its X-Grafana-User is not believed. */
  let itsmSecret: string;
  /** Grafana's data source token at operator: its users never act above operator. */
  let grafanaOperatorSecret: string;
  let grafanaAdminSecret: string;
  const audit = new MemorySink();
  const recorded = recordingTickets();
  let esKey: KeyLike;
  let rsKey: KeyLike;
  let strangerKey: KeyLike;
  let stage: { requests: unknown[] };

  const idToken = async (
    claims: Record<string, unknown>,
    options: { key?: KeyLike; alg?: string; kid?: string; exp?: number } = {}
  ) =>
    new SignJWT({ username: 'erin', email: 'erin@noc.example', ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'es-1' })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
      .setAudience('org:1')
      .setSubject('user:erin-uid')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(options.key ?? esKey);

  const call = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body: unknown = method === 'GET' ? undefined : {}
  ) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  const bearer = (secret: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${secret}`,
    ...extra,
  });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-roles-'));
    const registryDir = join(dir, 'models');
    const store = new FileTokenStore(join(dir, 'state'));
    const cli = { actor: 'root', role: 'admin', from: 'cli' };
    for (const role of ROLES)
      secrets[role] = (await store.create({ name: `client-${role}`, role, lifetimeMs: 86_400_000 }, cli, audit)).secret;
    itsmSecret = (await store.create({ name: 'itsm', role: 'admin', lifetimeMs: null }, cli, audit)).secret;
    grafanaOperatorSecret = (
      await store.create({ name: 'grafana-editors', role: 'operator', grafana: true, lifetimeMs: null }, cli, audit)
    ).secret;
    grafanaAdminSecret = (
      await store.create({ name: 'grafana', role: 'admin', grafana: true, lifetimeMs: null }, cli, audit)
    ).secret;
    const revoked = await store.create({ name: 'old-script', role: 'admin', lifetimeMs: null }, cli, audit);
    revokedSecret = revoked.secret;
    await store.revoke(revoked.token.id, cli, audit);
    // Made an hour ago with a lifetime of one minute.
    const past = new FileTokenStore(join(dir, 'state'), { clock: { nowMs: () => Date.now() - 3_600_000 } });
    expiredSecret = (await past.create({ name: 'temp', role: 'admin', lifetimeMs: 60_000 }, cli, audit)).secret;

    // Grafana's JWKS: an ES256 key (what Grafana signs with) and an RS256 key, served over HTTP.
    const es = await generateKeyPair('ES256');
    const rs = await generateKeyPair('RS256');
    esKey = es.privateKey;
    rsKey = rs.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const keys: JWK[] = [
      { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' },
    ];
    jwksServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
    );
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/api/signing-keys/keys`;

    stage = { requests: [] };
    const retrainStage = {
      running: false,
      latest: undefined,
      lastFailure: undefined,
      request: (...args: unknown[]) => stage.requests.push(args),
    } as unknown as RetrainStage;
    const generator = {
      store: { list: async () => [], latest: async () => undefined, read: async () => undefined },
      generate: async () => {
        throw new NotFoundError('no data in this test');
      },
    } as unknown as ReportGenerator;
    const auth: AuthOptions = {
      apiToken: BOOTSTRAP,
      webhookToken: WEBHOOK,
      allowAnonymous: false,
      tokens: store,
      grafana: { verifyIdToken: grafanaIdTokenVerifier({ jwksUrl, issuer: ISSUER, audience: 'org:1' }) },
    };
    app = createApp({
      logger: createLogger('silent'),
      metrics: new Metrics(),
      clock: { nowMs: () => Date.now() },
      events: notFound as EventsRepository,
      series: notFound as SeriesRepository,
      tickets: recorded.tickets,
      checkInflux: async () => undefined,
      auth,
      routers: [
        { path: '/retraining', router: createRetrainingRouter({ stage: retrainStage, registryDir, audit }) },
        { path: '/models', router: createModelsRouter({ registryDir, audit, onAliasChange: async () => undefined }) },
        { path: '/predict', router: createPredictRouter({ registryDir }) },
        {
          path: '/audit',
          router: createAuditRouter({ trail: { list: async () => ({ entries: [], truncated: false }) } }),
        },
        { path: '/reports', router: createReportRouter({ generator, clock: { nowMs: () => Date.now() } }) },
        { path: '/tokens', router: createTokensRouter({ store, audit }) },
        {
          path: '/problems',
          // As main.ts wires it: problems are read by viewers and changed by admins.
          router: createProblemsRouter({
            service: notFoundNow as ProblemService,
            callerOf: (_req, res) => ({ actor: callerOf(res).name, role: callerOf(res).role }),
            canRead: requireRole('viewer'),
            canChange: requireRole('admin'),
          }),
        },
      ],
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => jwksServer.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('When a routes module is added to adapters/http, then it must be mounted in this matrix', () => {
    const modules = readdirSync(__dirname).filter((f) => /Routes\.ts$/.test(f));
    expect(modules.sort()).toEqual([...ROUTE_MODULES].sort());
  });

  it('When a route is added, then the hostile-input fuzzer (bench/fuzzRequests.ts) sends requests to it too', () => {
    expect(FUZZ_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(EXPECTED_ROLES).sort());
  });

  it('When the app is walked, then every route has a role gate before its handler, with the role the table expects', () => {
    const routes = routesOf(app);
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(EXPECTED_ROLES).length);
    const problems: string[] = [];
    for (const route of routes) {
      const expected = EXPECTED_ROLES[route.key];
      if (expected === undefined) problems.push(`${route.key} is not in the role table: decide its role`);
      else if (expected === 'public' && route.gate)
        problems.push(`${route.key} is public but has a ${route.gate.role} gate`);
      else if (expected !== 'public' && !route.gate) problems.push(`${route.key} has no role gate (requireRole)`);
      else if (route.gate && route.gate.role !== expected)
        problems.push(`${route.key} needs ${route.gate.role}, the table says ${expected}`);
      else if (route.gate && !route.gate.beforeHandler)
        problems.push(`${route.key}: its role gate runs after its handler`);
    }
    const served = new Set(routes.map((r) => r.key));
    for (const key of Object.keys(EXPECTED_ROLES))
      if (!served.has(key)) problems.push(`${key} is in the table but not served`);
    expect(problems).toEqual([]);
  });

  it('When each role calls every route, then a role below the route’s gets 403 naming the role, the others get through', async () => {
    const problems: string[] = [];
    for (const route of routesOf(app).filter((r) => r.gate)) {
      const needed = route.gate?.role as Role;
      for (const role of ROLES) {
        const res = await call(route.method, samplePath(route.path), bearer(secrets[role] as string));
        const allowed = ROLES.indexOf(role) >= ROLES.indexOf(needed);
        if (allowed && (res.status === 401 || res.status === 403)) problems.push(`${role} ${route.key}: ${res.status}`);
        if (!allowed) {
          if (res.status !== 403) problems.push(`${role} ${route.key}: ${res.status}, expected 403`);
          else if (!(await errorOf(res)).message.includes(`needs the ${needed} role`))
            problems.push(`${role} ${route.key}: message`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('When a request has no token, an unknown, a revoked or an expired one, then every API route answers 401 with the reason and a Bearer challenge', async () => {
    const problems: string[] = [];
    for (const route of routesOf(app).filter((r) => r.gate)) {
      const path = samplePath(route.path);
      const none = await call(route.method, path);
      if (none.status !== 401) problems.push(`no token ${route.key}: ${none.status}`);
      if (none.headers.get('www-authenticate') !== 'Bearer realm="nocai"') problems.push(`no challenge ${route.key}`);
      const unknown = await call(route.method, path, bearer(`nocai_${'0'.repeat(12)}_${'A'.repeat(43)}`));
      if (unknown.status !== 401) problems.push(`unknown token ${route.key}: ${unknown.status}`);
      if (unknown.headers.get('www-authenticate') !== 'Bearer realm="nocai", error="invalid_token"')
        problems.push(`no invalid_token challenge ${route.key}`);
      const revoked = await call(route.method, path, bearer(revokedSecret));
      if (revoked.status !== 401 || !/revoked/.test((await errorOf(revoked)).message))
        problems.push(`revoked ${route.key}`);
      const expired = await call(route.method, path, bearer(expiredSecret));
      if (expired.status !== 401 || !/expired/.test((await errorOf(expired)).message))
        problems.push(`expired ${route.key}`);
    }
    expect(problems).toEqual([]);
  });

  it('When a route is called with a method it does not serve, then it answers 405 with Allow listing the methods it does', async () => {
    const served = new Map<string, Set<string>>();
    for (const key of Object.keys(EXPECTED_ROLES)) {
      const [method, path] = key.split(' ');
      const methods = served.get(samplePath(path)) ?? new Set<string>();
      methods.add(method);
      if (method === 'GET') methods.add('HEAD');
      served.set(samplePath(path), methods);
    }
    const problems: string[] = [];
    for (const [path, methods] of served) {
      const wrong = ['DELETE', 'PUT', 'PATCH', 'POST', 'GET'].find((m) => !methods.has(m)) as string;
      const res = await call(wrong, path, bearer(secrets.admin as string));
      const allow = (res.headers.get('allow') ?? '').split(', ');
      if (res.status !== 405) problems.push(`${wrong} ${path}: ${res.status}, expected 405`);
      // A path may fit two routes (`POST /api/models/import` is also `GET /api/models/:name`): at least its own.
      else if (![...methods].every((m) => allow.includes(m)))
        problems.push(`${wrong} ${path}: Allow ${allow.join(', ')}`);
      else if ((await errorOf(res)).code !== 'method_not_allowed') problems.push(`${wrong} ${path}: error code`);
    }
    expect(problems).toEqual([]);
  });

  it('When the ticket list is deleted or a history posted to, then 405 says which methods the route answers; an unknown path stays 404', async () => {
    const admin = bearer(secrets.admin as string);
    const deleted = await call('DELETE', '/api/tickets', admin);
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get('allow')).toBe('GET, HEAD');
    expect(await errorOf(deleted)).toEqual({
      code: 'method_not_allowed',
      message: 'DELETE is not allowed on /api/tickets: it answers GET, HEAD',
    });
    const history = await call('POST', '/api/tickets/T-1/history', admin);
    expect(history.status).toBe(405);
    expect(history.headers.get('allow')).toBe('GET, HEAD');
    const ticket = await call('PUT', '/api/tickets/T-1/', admin);
    expect([ticket.status, ticket.headers.get('allow')]).toEqual([405, 'GET, HEAD, PATCH']);
    const health = await call('POST', '/healthz');
    expect([health.status, health.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const problem = await call('PATCH', '/api/problems/freezer-warm', admin);
    expect([problem.status, problem.headers.get('allow')]).toEqual([405, 'DELETE, GET, HEAD, PUT']);

    for (const [method, path] of [
      ['GET', '/api/ticket'],
      ['DELETE', '/api/tickets/T-1/history/2'],
      ['POST', '/nothing-here'],
    ]) {
      const res = await call(method, path, admin);
      expect(res.status).toBe(404);
      expect(res.headers.get('allow')).toBeNull();
      expect(await errorOf(res)).toEqual({ code: 'not_found', message: `no route for ${method} ${path}` });
    }
    // Without a token, the API says nothing about its routes.
    expect((await call('DELETE', '/api/tickets')).status).toBe(401);
  });

  it('When the webhook token is used, then it opens the alert webhook only, and the sender is kept', async () => {
    const alert = {
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'UpsOnBattery', site: 'par-01' },
          annotations: { summary: 'UPS ups-01 is on battery' },
          startsAt: new Date().toISOString(),
          fingerprint: 'a1b2c3d4e5f60718',
        },
      ],
    };
    expect((await call('POST', '/api/alerts/grafana', bearer(WEBHOOK), alert)).status).toBe(202);
    expect(recorded.calls.at(-1)).toEqual({ action: 'fromGrafana', from: 'webhook:grafana-webhook' });
    const tickets = await call('GET', '/api/tickets', bearer(WEBHOOK));
    expect(tickets.status).toBe(401);
    expect((await errorOf(tickets)).message).toMatch(/only POST \/api\/alerts\/grafana/);
  });

  it('When a client token that is not Grafana’s writes X-Grafana-User: admin, then it is recorded under its own name and role', async () => {
    const me = await call('GET', '/api/whoami', bearer(secrets.operator as string, { 'x-grafana-user': 'admin' }));
    expect(await me.json()).toMatchObject({ user: 'client-operator', role: 'operator', via: 'token' });
    const verdict = await call('POST', '/api/tickets/T-1/feedback', bearer(itsmSecret, { 'x-grafana-user': 'admin' }), {
      verdict: 'valid',
    });
    expect(verdict.status).toBe(200);
    expect(recorded.calls.at(-1)).toMatchObject({ action: 'feedback', user: 'itsm', role: 'admin' });
    const complaint = await call('POST', '/api/complaints', bearer(itsmSecret), {
      text: 'The badge reader is dead',
      reporter: 'the-ceo',
    });
    expect(complaint.status).toBe(201);
    expect(recorded.calls.at(-1)).toMatchObject({ action: 'fromComplaint', user: 'itsm', role: 'admin' });
  });

  it('When ID tokens are configured, then X-Grafana-User is not believed even from Grafana’s token', async () => {
    const me = await call('GET', '/api/whoami', bearer(grafanaAdminSecret, { 'x-grafana-user': 'mallory' }));
    expect(await me.json()).toMatchObject({ user: 'grafana', role: 'admin', via: 'token' });
  });

  it('When Grafana forwards a valid ID token, then the user and the mapped Grafana role are used, never above the token’s role', async () => {
    const editor = await call(
      'GET',
      '/api/whoami',
      bearer(grafanaAdminSecret, { 'x-grafana-id': await idToken({ role: 'Editor' }) })
    );
    expect(await editor.json()).toMatchObject({
      user: 'erin',
      role: 'operator',
      via: 'grafana-id',
      token: { name: 'grafana', role: 'admin' },
    });

    const promote = await call(
      'POST',
      '/api/models/department/promote',
      bearer(grafanaAdminSecret, { 'x-grafana-id': await idToken({ role: 'Editor' }) }),
      { version: 'v1' }
    );
    expect(promote.status).toBe(403);
    expect((await errorOf(promote)).message).toMatch(
      /needs the admin role; erin \(through token grafana\) has the operator role/
    );

    const admin = await call(
      'GET',
      '/api/audit',
      bearer(grafanaAdminSecret, { 'x-grafana-id': await idToken({ role: 'Admin' }) })
    );
    expect(admin.status).toBe(200);

    // An RS256 key of the same JWKS verifies too.
    const rsSigned = await idToken({ role: 'Viewer' }, { key: rsKey, alg: 'RS256', kid: 'rs-1' });
    expect(
      await (await call('GET', '/api/whoami', bearer(grafanaAdminSecret, { 'x-grafana-id': rsSigned }))).json()
    ).toMatchObject({ role: 'viewer' });

    // A Grafana Admin behind the operator-level data source token stays an operator.
    const capped = await call(
      'GET',
      '/api/audit',
      bearer(grafanaOperatorSecret, { 'x-grafana-id': await idToken({ role: 'Admin' }) })
    );
    expect(capped.status).toBe(403);

    const verdict = await call(
      'POST',
      '/api/tickets/T-1/comments',
      bearer(grafanaAdminSecret, { 'x-grafana-id': await idToken({ role: 'Editor' }) }),
      { text: 'on it' }
    );
    expect(verdict.status).toBe(201);
    expect(recorded.calls.at(-1)).toMatchObject({ action: 'comment', user: 'erin', role: 'operator' });

    const none = await call(
      'GET',
      '/api/tickets',
      bearer(grafanaAdminSecret, { 'x-grafana-id': await idToken({ role: 'None' }) })
    );
    expect(none.status).toBe(403);
    expect((await errorOf(none)).message).toMatch(/Grafana role None of erin maps to no role/);
  });

  it('When the ID token is expired, signed by another key or from another issuer, then the request is refused with 401 saying why', async () => {
    const expired = await idToken({ role: 'Admin' }, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const forged = await idToken({ role: 'Admin' }, { key: strangerKey });
    const otherIssuer = await idToken({ role: 'Admin', iss: 'http://evil.test/' });
    const cases: Array<[string, RegExp]> = [
      [expired, /expired/],
      [forged, /signature does not verify/],
      [otherIssuer, /iss claim/],
      ['not-a-jwt', /refused/],
    ];
    for (const [token, reason] of cases) {
      const res = await call('GET', '/api/whoami', bearer(grafanaAdminSecret, { 'x-grafana-id': token }));
      expect(res.status).toBe(401);
      expect((await errorOf(res)).message).toMatch(reason);
    }
  });

  it('When the bootstrap token makes a token through the API, then the new token works at its role until it is revoked', async () => {
    const made = await call('POST', '/api/tokens', bearer(BOOTSTRAP), {
      name: 'pager-app',
      role: 'viewer',
      expires: '1d',
    });
    expect(made.status).toBe(201);
    const { token, secret } = (await made.json()) as { token: { id: string; role: string }; secret: string };
    expect(token.role).toBe('viewer');
    expect(await (await call('GET', '/api/whoami', bearer(secret))).json()).toMatchObject({
      user: 'pager-app',
      role: 'viewer',
    });
    expect(audit.entries.at(-1)).toMatchObject({ actor: 'bootstrap', role: 'admin', action: 'token.create' });

    const listed = (await (await call('GET', '/api/tokens', bearer(BOOTSTRAP))).json()) as { tokens: object[] };
    expect(JSON.stringify(listed)).not.toContain(secret.slice(20));
    expect((await call('POST', `/api/tokens/${token.id}/revoke`, bearer(BOOTSTRAP))).status).toBe(200);
    const after = await call('GET', '/api/whoami', bearer(secret));
    expect(after.status).toBe(401);
    expect((await errorOf(after)).message).toMatch(/"pager-app" .* was revoked/);

    const bad = await call('POST', '/api/tokens', bearer(BOOTSTRAP), { name: 'x', role: 'admin', expires: 'forever' });
    expect(bad.status).toBe(400);
    // The API names its own field, not the CLI's flag.
    expect((await errorOf(bad)).message).toMatch(
      /^expires must be a lifetime such as 90m, 12h, 30d or 2w .*; got "forever"$/
    );
  });

  it('When whoami is asked, then it names the user, the role and what the role may do', async () => {
    const res = await call('GET', '/api/whoami', bearer(secrets.analyst as string));
    const body = (await res.json()) as { user: string; role: string; abilities: string[] };
    expect(body).toMatchObject({ user: 'client-analyst', role: 'analyst' });
    expect(body.abilities).toEqual(expect.arrayContaining(['give verdicts', 'ask for a retraining run']));
    expect(body.abilities).not.toContain('promote, roll back and archive models');
  });
});

describe('Roles without ID tokens: Grafana’s token names its user by X-Grafana-User', () => {
  let server: Server;
  let base: string;
  const recorded = recordingTickets();

  beforeAll(async () => {
    const app = createApp({
      logger: createLogger('silent'),
      metrics: new Metrics(),
      clock: { nowMs: () => Date.now() },
      events: notFound as EventsRepository,
      series: notFound as SeriesRepository,
      tickets: recorded.tickets,
      checkInflux: async () => undefined,
      auth: { apiToken: BOOTSTRAP, allowAnonymous: false },
      routers: [
        {
          path: '/audit',
          router: createAuditRouter({ trail: { list: async () => ({ entries: [], truncated: false }) } }),
        },
      ],
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('When the bootstrap token names a user, then the user acts as operator: verdicts pass, the audit trail is refused', async () => {
    const headers = {
      authorization: `Bearer ${BOOTSTRAP}`,
      'x-grafana-user': 'admin',
      'content-type': 'application/json',
    };
    const verdict = await fetch(`${base}/api/tickets/T-1/feedback`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ verdict: 'valid' }),
    });
    expect(verdict.status).toBe(200);
    expect(recorded.calls.at(-1)).toMatchObject({ user: 'admin', role: 'operator' });
    expect((await fetch(`${base}/api/audit`, { headers })).status).toBe(403);
    // Without a user named, the bootstrap token is itself an admin.
    expect((await fetch(`${base}/api/audit`, { headers: { authorization: `Bearer ${BOOTSTRAP}` } })).status).toBe(200);
  });

  it('When the named user is too long or holds a control character, then the request is refused rather than run as the admin token', async () => {
    for (const user of ['a'.repeat(257), 'alice\tbob']) {
      const res = await fetch(`${base}/api/audit`, {
        headers: { authorization: `Bearer ${BOOTSTRAP}`, 'x-grafana-user': user },
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(
        /^X-Grafana-User must be a login of 1 to 256 printable characters \(got (257 characters|a control character)\)$/
      );
    }
  });

  it('When Grafana sends a login in UTF-8, then the user is recorded by that login, not its bytes read as latin1', async () => {
    const login = 'zoë.ünal';
    const res = await fetch(`${base}/api/tickets/T-1/feedback`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${BOOTSTRAP}`,
        // The bytes Grafana writes: fetch sends each character of a header value as one byte.
        'x-grafana-user': Buffer.from(login, 'utf8').toString('latin1'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ verdict: 'valid' }),
    });
    expect(res.status).toBe(200);
    expect(recorded.calls.at(-1)).toMatchObject({ user: login, role: 'operator' });
  });
});
