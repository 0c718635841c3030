import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ticket } from '@nocai/contract';
import type { InfluxClient } from '../adapters/influx/client';
import { quoteIdentifier } from '../adapters/influx/influxql';
import { toLineProtocol } from '../adapters/influx/lineProtocol';
import { ticketPoint } from '../adapters/influx/ticketsRepository';
import { createLogger } from '../adapters/logger';
import { loadConfig } from '../config';
import { startService, type RunningService } from '../main';
import { quantile } from './report';

export interface TicketApiInput {
  client: InfluxClient;
  influxUrl: string;
  influxToken?: string;
  /** Requests timed per figure. */
  requests: number;
}

export interface TicketApiFigures {
  ticketPoints: number;
  /** Median latency of GET /api/tickets?limit=50 (ms). */
  listMs: number;
  /** Median latency of GET /api/tickets/:id for random ids (ms). */
  getMs: number;
  /** Time from start until the backend served (index warm-up included), ms. */
  startMs: number;
}

export interface WebhookFigures {
  alerts: number;
  /** Median time to answer one webhook request of `alerts` alerts (ms). */
  medianMs: number;
  tickets: number;
}

const STATES_PER_TICKET = 4;
const DAY_MS = 86_400_000;

/**
 * Ticket reads at two history sizes, each against its own backend over its own database: the
 * points are written first (four state changes per ticket over the last 30 days), then the
 * backend starts and the API is timed.
 */
export async function measureTicketReads(input: TicketApiInput, ticketPoints: number): Promise<TicketApiFigures> {
  const outputDb = `bench_tickets_${ticketPoints}_${Date.now()}`;
  await input.client.createDatabase(outputDb);
  const nowMs = Date.now();
  const count = Math.ceil(ticketPoints / STATES_PER_TICKET);
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `BENCH-${i}`;
    ids.push(id);
    const openedAtMs = nowMs - Math.floor(((i + 0.5) / count) * 30 * DAY_MS);
    for (let s = 0; s < STATES_PER_TICKET && lines.length < ticketPoints; s++) {
      lines.push(toLineProtocol(ticketPoint(syntheticTicket(id, i, openedAtMs, openedAtMs + s * 60_000, s))));
    }
  }
  for (let at = 0; at < lines.length; at += 5000) await input.client.writeLines(outputDb, lines.slice(at, at + 5000));

  const started = performance.now();
  const backend = await startBackend(input, outputDb);
  const startMs = performance.now() - started;
  try {
    const list = await timeRequests(input.requests, () => backend.get('/api/tickets?limit=50'));
    const get = await timeRequests(input.requests, () => backend.get(`/api/tickets/${ids[Math.floor(Math.random() * ids.length)]}`));
    return { ticketPoints: lines.length, listMs: quantile(list, 0.5), getMs: quantile(get, 0.5), startMs };
  } finally {
    await backend.stop();
    await input.client.query(undefined, `DROP DATABASE ${quoteIdentifier(outputDb)}`);
  }
}

/**
 * Grafana's webhook with `alerts` alerts at once: ten rules firing for many instances each, as an
 * outage makes them, every request with new fingerprints so each alert opens a ticket.
 */
export async function measureWebhook(input: TicketApiInput, alerts: number, repeats: number): Promise<WebhookFigures> {
  const outputDb = `bench_webhook_${Date.now()}`;
  const backend = await startBackend(input, outputDb);
  try {
    const times: number[] = [];
    let tickets = 0;
    for (let r = 0; r < repeats; r++) {
      const payload = {
        receiver: 'nocai',
        status: 'firing',
        alerts: Array.from({ length: alerts }, (_, i) => ({
          status: 'firing',
          labels: { alertname: RULES[i % RULES.length], instance: `host-${i}:9100`, site: `site-${i % 4}`, severity: 'critical' },
          annotations: { summary: `${RULES[i % RULES.length]} on host-${i}` },
          startsAt: new Date().toISOString(),
          fingerprint: `${r}-${i}-${randomBytes(4).toString('hex')}`,
        })),
      };
      const started = performance.now();
      const response = await backend.post('/api/alerts/grafana', payload);
      times.push(performance.now() - started);
      if (response.status !== 202) throw new Error(`the webhook answered ${response.status}: ${await response.text()}`);
      tickets += ((await response.json()) as { tickets: Ticket[] }).tickets.length;
    }
    return { alerts, medianMs: quantile(times, 0.5), tickets: tickets / repeats };
  } finally {
    await backend.stop();
    await input.client.query(undefined, `DROP DATABASE ${quoteIdentifier(outputDb)}`);
  }
}

const RULES = [
  'Link down',
  'Disk almost full',
  'High CPU load',
  'UPS on battery',
  'Temperature high',
  'Certificate expires soon',
  'Packet loss',
  'Memory pressure',
  'Service unreachable',
  'Login failures',
];

async function timeRequests(n: number, call: () => Promise<Response>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await (await call()).arrayBuffer(); // warm-up: JIT, connections
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const response = await call();
    await response.arrayBuffer();
    times.push(performance.now() - started);
    if (!response.ok) throw new Error(`the API answered ${response.status}`);
  }
  return times;
}

async function startBackend(input: TicketApiInput, outputDb: string) {
  const dir = mkdtempSync(join(tmpdir(), 'nocai-bench-tickets-'));
  const token = randomBytes(16).toString('hex');
  const service: RunningService = await startService(
    loadConfig({
      INFLUX_URL: input.influxUrl,
      INFLUX_TOKEN: input.influxToken,
      INFLUX_INPUT_DB: `${outputDb}_in`,
      INFLUX_OUTPUT_DB: outputDb,
      NOCAI_API_TOKEN: token,
      NOCAI_RATE_LIMIT: '0',
      NOCAI_HOST: '127.0.0.1',
      NOCAI_PORT: '0',
      NOCAI_STATE_DIR: join(dir, 'state'),
    }),
    { logger: createLogger('silent') }
  );
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  return {
    get: (path: string) => fetch(`${service.url}${path}`, { headers }),
    post: (path: string, body: unknown) => fetch(`${service.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
    stop: async () => {
      await service.stop();
      await input.client.query(undefined, `DROP DATABASE ${quoteIdentifier(`${outputDb}_in`)}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function syntheticTicket(id: string, i: number, openedAtMs: number, updatedAtMs: number, state: number): Ticket {
  const classes = ['power', 'network', 'hardware', 'software', 'security'] as const;
  const departments = ['field_technicians', 'network_ops', 'maintenance', 'it_ops', 'security'] as const;
  const c = i % classes.length;
  return {
    id,
    openedAtMs,
    updatedAtMs,
    resolvedAtMs: state === STATES_PER_TICKET - 1 ? updatedAtMs : undefined,
    status: state === STATES_PER_TICKET - 1 ? 'resolved' : 'open',
    source: 'logs',
    title: `${classes[c]} incident ${i} at site-${i % 4}`,
    eventClass: classes[c],
    department: departments[c],
    priority: (['P1', 'P2', 'P3', 'P4'] as const)[i % 4],
    confidence: 0.9,
    needsReview: false,
    site: `site-${i % 4}`,
    siteKind: 'hospital',
    host: `host-${i % 50}`,
    deviceKind: 'server',
    mttrP50Seconds: 1800,
    mttrP90Seconds: 7200,
    relatedAlertCount: 3,
    explanation: [{ feature: 'down', weight: 1.2 }],
    similarTickets: [],
    modelVersion: 'bench',
  };
}
