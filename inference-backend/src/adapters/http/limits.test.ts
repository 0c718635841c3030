import { connect } from 'node:net';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventsRepository } from '../influx/eventsRepository';
import type { SeriesRepository } from '../influx/seriesRepository';
import { createLogger } from '../logger';
import { Metrics } from '../metrics/metrics';
import type { ReportGenerator } from '../report/reportGenerator';
import type { TicketService } from '../../services/ticketService';
import { createApp, type AppDeps } from './app';
import { createReportRouter } from './reportRoutes';
import { createHttpServer, type TransportOptions } from './server';

const BOOTSTRAP = 'bootstrap-token-for-limits';
const WEBHOOK = 'webhook-token-for-limits';

/** A clock the test moves: the rate limit's minutes pass when the test says so, never by waiting. */
function manualClock(startMs = Date.UTC(2026, 0, 5, 9)) {
  let nowMs = startMs;
  return { nowMs: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

const unused = new Proxy(
  {},
  {
    get: () => async () => {
      throw new Error('not used by this test');
    },
  }
);

/** A report store holding one report, as the report route reads it. */
const oneReport = {
  store: {
    latest: async () => ({ id: 'weekly-1' }),
    read: async () => '<html><body><h1>Weekly report</h1></body></html>',
    list: async () => [],
  },
} as unknown as ReportGenerator;

function appWith(overrides: Partial<AppDeps> = {}) {
  return createApp({
    logger: createLogger('silent'),
    metrics: new Metrics(),
    clock: { nowMs: () => Date.now() },
    events: unused as EventsRepository,
    series: unused as SeriesRepository,
    tickets: {
      fromGrafana: async () => ({ created: [], updated: [] }),
      departments: async () => new Set<string>(),
    } as unknown as TicketService,
    checkInflux: async () => undefined,
    auth: { apiToken: BOOTSTRAP, webhookToken: WEBHOOK, allowAnonymous: false },
    routers: [
      { path: '/reports', router: createReportRouter({ generator: oneReport, clock: { nowMs: () => Date.now() } }) },
    ],
    ...overrides,
  });
}

async function serve(app: ReturnType<typeof createApp>, transport: TransportOptions = { maxHeaderBytes: 16_384 }) {
  const server: Server = createHttpServer(app, transport);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, base: `http://127.0.0.1:${port}` };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const as = (headers: Record<string, string> = {}) => ({
  headers: { authorization: `Bearer ${BOOTSTRAP}`, ...headers },
});

describe('per-caller rate limit (NOCAI_RATE_LIMIT)', () => {
  const LIMIT = 5;
  const clock = manualClock();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    ({ server, base } = await serve(appWith({ limits: { rateLimitPerMinute: LIMIT, requestTimeoutMs: 0, clock } })));
  });
  afterAll(() => close(server));

  it('When a token sends one request more than its limit within a minute, then that one is refused with 429 and Retry-After, and passes again the next minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await fetch(`${base}/api/whoami`, as())).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses[LIMIT]).toBe(429);

    clock.advance(20_000);
    const refused = await fetch(`${base}/api/whoami`, as());
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('40');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({
      code: 'rate_limited',
      message: `token bootstrap sent more than ${LIMIT} requests this minute (NOCAI_RATE_LIMIT): try again in 40 s`,
    });

    clock.advance(40_000);
    expect((await fetch(`${base}/api/whoami`, as())).status).toBe(200);
  });

  it("When one Grafana user uses up the limit, then another user behind the same data source token keeps the full budget, and health probes and Grafana's alerts still pass", async () => {
    clock.advance(60_000);
    const alice = as({ 'x-grafana-user': 'alice' });
    for (let i = 0; i < LIMIT; i++) expect((await fetch(`${base}/api/whoami`, alice)).status).toBe(200);
    expect((await fetch(`${base}/api/whoami`, alice)).status).toBe(429);

    const bob = as({ 'x-grafana-user': 'bob' });
    const bobs: number[] = [];
    for (let i = 0; i < LIMIT; i++) bobs.push((await fetch(`${base}/api/whoami`, bob)).status);
    expect(bobs).toEqual(Array(LIMIT).fill(200));

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const alert = {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'firing',
        alerts: [{ status: 'firing', labels: { alertname: 'UPS on battery' }, startsAt: '2026-01-05T09:00:00Z' }],
      }),
    };
    const alerts: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) alerts.push((await fetch(`${base}/api/alerts/grafana`, alert)).status);
    expect(alerts).toEqual(Array(LIMIT + 2).fill(202));
  });

  it('When a request carries a wrong token, then it is refused with 401 and does not use up the budget of the real token', async () => {
    clock.advance(60_000);
    for (let i = 0; i < LIMIT + 1; i++) {
      expect((await fetch(`${base}/api/whoami`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(
        401
      );
    }
    expect((await fetch(`${base}/api/whoami`, as())).status).toBe(200);
  });
});

describe('request deadline (NOCAI_REQUEST_TIMEOUT_MS)', () => {
  it('When a route does not answer within the deadline, then the caller gets 503 with Retry-After and a sentence, and the late answer does not break the server', async () => {
    let release: (() => void) | undefined;
    const hanging = {
      find: () =>
        new Promise((resolve) => {
          release = () => resolve([]);
        }),
    } as unknown as EventsRepository;
    const { server, base } = await serve(
      appWith({ events: hanging, limits: { rateLimitPerMinute: 0, requestTimeoutMs: 100 } })
    );
    try {
      const response = await fetch(`${base}/api/events`, as());
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('request_timeout');
      expect(body.error.message).toBe(
        'the backend did not answer GET /api/events within 100 ms (NOCAI_REQUEST_TIMEOUT_MS): a change may still be applied, read it back before sending it again'
      );
      // The handler finishes after its caller was answered: nothing is sent twice, the server goes on.
      release?.();
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await close(server);
    }
  });
});

describe('security headers', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    ({ server, base } = await serve(appWith()));
  });
  afterAll(() => close(server));

  it('When the API answers JSON, then it forbids loading and framing anything, sniffing, and names no framework', async () => {
    const response = await fetch(`${base}/api/whoami`, as());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    // Over plain HTTP there is no HTTPS for a browser to keep to.
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('When a report is served as HTML, then it keeps its own policy, which lets its inline styles apply', async () => {
    const response = await fetch(`${base}/api/reports/latest`, as());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    );
    expect(await response.text()).toContain('Weekly report');
  });

  it('When the app is built for HTTPS (a certificate is configured), then browsers are told to keep to HTTPS (HSTS)', async () => {
    const https = await serve(appWith({ https: true }));
    try {
      const response = await fetch(`${https.base}/healthz`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await close(https.server);
    }
  });
});

describe('server limits', () => {
  it('When a request header is larger than NOCAI_MAX_HEADER_BYTES, then Node answers 431 before any route; a normal one passes', async () => {
    const { server, base } = await serve(appWith(), { maxHeaderBytes: 4096 });
    try {
      expect((await fetch(`${base}/healthz`, { headers: { 'x-note': 'a'.repeat(1000) } })).status).toBe(200);
      expect((await fetch(`${base}/healthz`, { headers: { 'x-note': 'a'.repeat(8000) } })).status).toBe(431);
    } finally {
      await close(server);
    }
  });

  it('When a client never finishes its request header (slowloris), then the server answers 408 and closes the connection', async () => {
    const { server, port } = await serve(appWith(), {
      maxHeaderBytes: 16_384,
      headersTimeoutMs: 300,
      checkIntervalMs: 50,
    });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '));
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      await close(server);
    }
  });
});
