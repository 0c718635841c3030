import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ticket } from '@nocai/contract';
import { createApp } from '../../inference-backend/src/adapters/http/app';
import { EventsRepository } from '../../inference-backend/src/adapters/influx/eventsRepository';
import { SeriesRepository } from '../../inference-backend/src/adapters/influx/seriesRepository';
import { TicketsRepository } from '../../inference-backend/src/adapters/influx/ticketsRepository';
import { DirectWriter } from '../../inference-backend/src/adapters/influx/writer';
import { createLogger, type Logger } from '../../inference-backend/src/adapters/logger';
import { Metrics } from '../../inference-backend/src/adapters/metrics/metrics';
import { systemClock } from '../../inference-backend/src/domain/series';
import { modelFailureReporter, mttrFailureReporter } from '../../inference-backend/src/main';
import {
  MTTR_FALLBACK_NOTE,
  mttrFallingBack,
  routerFallingBack,
} from '../../inference-backend/src/services/modelFallback';
import { MedianMttrBaseline, RuleTextRouter } from '../../inference-backend/src/services/baselineModels';
import type { MttrInput, MttrPrediction, MttrPredictor, TextRouter } from '../../inference-backend/src/services/ports';
import { TicketService } from '../../inference-backend/src/services/ticketService';
import { freshDatabase } from '../support/influx';

type TicketServiceDeps = ConstructorParameters<typeof TicketService>[0];

const TOKEN = 'mttr-failure-test-token';

/** The median baseline, until the test breaks it (an MTTR runtime that fails, as onnxruntime may). */
class BreakableMttr implements MttrPredictor {
  private readonly baseline = new MedianMttrBaseline([]);
  broken?: Error;

  predict(input: MttrInput): Promise<MttrPrediction> {
    return this.broken ? Promise.reject(this.broken) : this.baseline.predict(input);
  }
}

/**
 * The real HTTP API over a real TicketService on a fresh database, with the models `models` builds
 * (given the logger and metrics the service reports to). `call` sends the API token.
 */
async function startApi(
  name: string,
  models: (logger: Logger, metrics: Metrics) => Pick<TicketServiceDeps, 'router' | 'mttr' | 'onMttrFailure'>
) {
  const influx = await freshDatabase(name);
  const logged: string[] = [];
  const writer = new DirectWriter(influx.client, { database: influx.database });
  const logger = createLogger('warn', 'nocai', { destination: { write: (line: string) => logged.push(line) } });
  const metrics = new Metrics({ processMetrics: false });
  const tickets = new TicketService({
    tickets: new TicketsRepository(influx.client, influx.database, writer, systemClock),
    events: new EventsRepository(influx.client, influx.database),
    similar: () => undefined,
    clock: systemClock,
    options: { reviewThreshold: 0 },
    ...models(logger, metrics),
  });
  const app = createApp({
    logger,
    metrics,
    clock: systemClock,
    events: new EventsRepository(influx.client, influx.database),
    series: new SeriesRepository(influx.client, influx.database),
    tickets,
    checkInflux: () => influx.client.ping(),
    auth: { apiToken: TOKEN, allowAnonymous: false },
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${TOKEN}`);
    if (init.body) headers.set('Content-Type', 'application/json');
    return fetch(`${url}${path}`, { ...init, headers });
  };
  const stop = () => new Promise((resolve) => server.close(resolve));
  return { influx, logged, call, stop };
}

/**
 * A person's correction through the real API and a real influxd while the MTTR model fails: the
 * correction is what matters to them, the estimate can wait.
 */
describe('a correction when the MTTR model fails, against a real influxd', () => {
  const mttr = new BreakableMttr();
  let api: Awaited<ReturnType<typeof startApi>>;
  const call: typeof api.call = (path, init) => api.call(path, init);

  beforeAll(async () => {
    api = await startApi('mttrfail', (logger, metrics) => ({
      router: new RuleTextRouter(),
      mttr,
      onMttrFailure: mttrFailureReporter(logger, metrics),
    }));
  });

  afterAll(() => api?.stop());

  it('When the MTTR model throws while a correction is estimated, then PATCH succeeds, the correction is stored with the previous estimate, and the failure is logged and counted', async () => {
    const opened = await call('/api/complaints', {
      method: 'POST',
      body: JSON.stringify({ text: 'The label printer in the pharmacy prints blank pages since this morning' }),
    });
    expect(opened.status).toBe(201);
    const { ticket } = (await opened.json()) as { ticket: Ticket };
    expect(ticket.priority).not.toBe('P1');
    mttr.broken = new Error('onnxruntime: session is closed');

    const patched = await call(`/api/tickets/${ticket.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ priority: 'P1', comment: 'the pharmacy cannot label doses' }),
      headers: { 'If-Match': `"${ticket.version ?? 0}"`, 'X-Grafana-User': 'alice' },
    });

    expect(patched.status).toBe(200);
    const corrected = ((await patched.json()) as { ticket: Ticket }).ticket;
    expect(corrected).toMatchObject({
      priority: 'P1',
      corrected: ['priority'],
      predicted: { priority: ticket.priority },
      comments: [{ text: 'the pharmacy cannot label doses', by: 'alice' }],
      mttrP50Seconds: ticket.mttrP50Seconds,
      mttrP90Seconds: ticket.mttrP90Seconds,
      modelVersion: ticket.modelVersion,
    });
    const read = ((await (await call(`/api/tickets/${ticket.id}`)).json()) as { ticket: Ticket }).ticket;
    expect(read).toEqual(corrected);
    const stored =
      (
        await api.influx.client.query(
          api.influx.database,
          `SELECT "priority", "change", "changed_by" FROM aiops_tickets WHERE ticket_id = '${ticket.id}' ORDER BY time DESC LIMIT 1`
        )
      )[0]?.rows ?? [];
    expect(stored).toMatchObject([{ priority: 'P1', change: 'corrected', changed_by: 'alice' }]);

    const metrics = await (await call('/metrics')).text();
    expect(metrics).toMatch(/^nocai_model_failures_total\{model="mttr"\} 1$/m);
    const warnings = api.logged.map((line) => JSON.parse(line) as { ticket?: string; err?: string; msg: string });
    expect(warnings).toContainEqual(
      expect.objectContaining({
        ticket: ticket.id,
        err: 'onnxruntime: session is closed',
        msg: expect.stringContaining('the correction is saved with its previous time to resolve'),
      })
    );
  });
});

/**
 * The service as main.ts composes it: champions that throw are answered by their fallbacks (the
 * routing rules, the median time to resolve), each failure reported. A person's complaint and
 * Grafana's alerts must become tickets whatever the models do.
 */
describe('complaints and alerts when the serving models fail, against a real influxd', () => {
  const failing = new Error('onnxruntime: input tensor has the wrong shape');
  const brokenRouter: TextRouter = { route: () => Promise.reject(failing) };
  const brokenMttr: MttrPredictor = { predict: () => Promise.reject(failing) };
  let api: Awaited<ReturnType<typeof startApi>>;
  const call: typeof api.call = (path, init) => api.call(path, init);

  beforeAll(async () => {
    api = await startApi('modelfail', (logger, metrics) => {
      const reporter = modelFailureReporter(logger, metrics);
      return {
        router: routerFallingBack(brokenRouter, new RuleTextRouter(), reporter),
        mttr: mttrFallingBack(brokenMttr, new MedianMttrBaseline([]), reporter),
      };
    });
  });

  afterAll(() => api?.stop());

  it('When the routing and time-to-resolve models throw, then a complaint and a Grafana alert still become stored tickets, routed by the rules with the median estimate noted, and each failure is logged and counted', async () => {
    const text = 'The core switch in the server room is down, no network on floor 2';
    const complaint = await call('/api/complaints', { method: 'POST', body: JSON.stringify({ text }) });
    expect(complaint.status).toBe(201);
    const { ticket } = (await complaint.json()) as { ticket: Ticket };
    const rules = await new RuleTextRouter().route({ text });
    expect(ticket).toMatchObject({
      eventClass: rules.eventClass,
      department: rules.department,
      priority: rules.priority,
      mttrNote: MTTR_FALLBACK_NOTE,
    });
    expect(ticket.modelVersion).toContain(rules.modelVersion);
    expect(ticket.mttrP90Seconds).toBeGreaterThan(ticket.mttrP50Seconds);

    const alert = await call('/api/alerts/grafana', {
      method: 'POST',
      body: JSON.stringify({
        receiver: 'nocai',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'UPS on battery', host: 'plant-ups-01' },
            annotations: { summary: 'UPS plant-ups-01 is running on battery' },
            startsAt: new Date().toISOString(),
            fingerprint: 'ups-on-battery-1',
          },
        ],
      }),
    });
    expect(alert.status).toBe(202);
    const { tickets: opened } = (await alert.json()) as { tickets: Ticket[] };
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ mttrNote: MTTR_FALLBACK_NOTE });

    const stored = (await (await call('/api/tickets?from=0')).json()) as { tickets: Ticket[] };
    expect(stored.tickets.map((t) => t.id).sort()).toEqual([ticket.id, opened[0].id].sort());
    const metrics = await (await call('/metrics')).text();
    expect(metrics).toMatch(/^nocai_model_failures_total\{model="router"\} 2$/m);
    expect(metrics).toMatch(/^nocai_model_failures_total\{model="mttr"\} 2$/m);
    const warnings = api.logged.map((line) => JSON.parse(line) as { model?: string; err?: string });
    expect(warnings).toContainEqual(expect.objectContaining({ model: 'router', err: failing.message }));
  });
});
