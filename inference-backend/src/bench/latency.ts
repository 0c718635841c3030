import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INPUT, type Inventory, type Ticket, type TicketsPage } from '@nocai/contract';
import type { InfluxClient } from '../adapters/influx/client';
import { eventTagsAt } from '../adapters/influx/eventsRepository';
import { quoteIdentifier } from '../adapters/influx/influxql';
import { toLineProtocol } from '../adapters/influx/lineProtocol';
import { createLogger } from '../adapters/logger';
import { loadConfig } from '../config';
import { startService } from '../main';
import { formatInventory } from '../simulator';
import { FACILITY_CODES, SEVERITY_CODES } from '../simulator/templates';
import { progress } from './report';

export interface LatencyInput {
  client: InfluxClient;
  influxUrl: string;
  influxToken?: string;
  inventory: Inventory;
  bursts: number;
  pollIntervalMs: number;
}

export interface LatencyResult {
  /** Write returned → the last line's aiops_events point is queryable, one per burst (ms). */
  lineToEventMs: number[];
  /** Write returned → the burst's ticket is listed by GET /api/tickets (ms). */
  lineToTicketMs: number[];
  /** Bursts whose ticket did not appear within the timeout. */
  missed: number;
}

/** Enough failures for a brute force (the engine's default is 10 within 10 minutes), and a margin. */
const FAILURES_PER_BURST = 12;
const CHECK_EVERY_MS = 20;
const TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts a fresh backend in-process (settle 0) and measures, burst after burst, how long a
 * brute force written to InfluxDB takes to become a ticket in the API. Each burst comes from
 * its own source address, so each opens its own incident.
 */
export async function measureTicketLatency(input: LatencyInput): Promise<LatencyResult> {
  const { client, inventory } = input;
  const servers = inventory.devices.filter((d) => d.kind === 'server');
  if (servers.length === 0) throw new Error('the inventory has no server to attack');
  const dir = mkdtempSync(join(tmpdir(), 'nocai-bench-latency-'));
  const inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(inventoryPath, formatInventory(inventory));
  const suffix = Date.now();
  const inputDb = `bench_latency_in_${suffix}`;
  const outputDb = `bench_latency_out_${suffix}`;
  const apiToken = randomBytes(16).toString('hex');
  const service = await startService(
    loadConfig({
      INFLUX_URL: input.influxUrl,
      INFLUX_TOKEN: input.influxToken,
      INFLUX_INPUT_DB: inputDb,
      INFLUX_OUTPUT_DB: outputDb,
      NOCAI_API_TOKEN: apiToken,
      NOCAI_HOST: '127.0.0.1',
      NOCAI_PORT: '0',
      NOCAI_STATE_DIR: join(dir, 'state'),
      NOCAI_INVENTORY: inventoryPath,
      NOCAI_SETTLE_MS: '0',
      NOCAI_RATE_LIMIT: '0',
      NOCAI_POLL_INTERVAL_MS: String(input.pollIntervalMs),
    }),
    { logger: createLogger('silent') }
  );
  const listTickets = async (): Promise<Ticket[]> => {
    const response = await fetch(`${service.url}/api/tickets?limit=1000`, {
      headers: { Authorization: `Bearer ${apiToken}` },
    });
    if (!response.ok) throw new Error(`GET /api/tickets answered ${response.status}`);
    return ((await response.json()) as TicketsPage).tickets;
  };

  const result: LatencyResult = { lineToEventMs: [], lineToTicketMs: [], missed: 0 };
  const known = new Set<string>();
  try {
    for (let burst = 0; burst < input.bursts; burst++) {
      const host = servers[burst % servers.length].host;
      // Writes land at a random phase of the backend's poll cycle, as real traffic does.
      await sleep(Math.random() * input.pollIntervalMs);
      const nowUs = Date.now() * 1000;
      const lines = Array.from({ length: FAILURES_PER_BURST }, (_, i) =>
        bruteForceLine(host, `203.0.113.${10 + burst}`, 40_000 + i, nowUs - (FAILURES_PER_BURST - i) * 1000)
      );
      const lastUs = nowUs - 1000;
      await client.writeLines(inputDb, lines);
      const written = performance.now();
      let eventMs: number | undefined;
      let ticketMs: number | undefined;
      while ((eventMs === undefined || ticketMs === undefined) && performance.now() - written < TIMEOUT_MS) {
        const [tags, tickets] = await Promise.all([
          eventMs === undefined ? eventTagsAt(client, outputDb, host, lastUs) : undefined,
          ticketMs === undefined ? listTickets() : undefined,
        ]);
        const at = performance.now() - written;
        if (eventMs === undefined && tags) eventMs = at;
        const fresh = tickets?.find((t) => !known.has(t.id) && t.eventClass === 'security');
        if (ticketMs === undefined && fresh) {
          ticketMs = at;
          known.add(fresh.id);
        }
        if (eventMs === undefined || ticketMs === undefined) await sleep(CHECK_EVERY_MS);
      }
      if (eventMs !== undefined) result.lineToEventMs.push(eventMs);
      if (ticketMs !== undefined) result.lineToTicketMs.push(ticketMs);
      else result.missed++;
      if ((burst + 1) % 5 === 0) progress(`latency ${burst + 1}/${input.bursts} bursts`);
    }
  } finally {
    await service.stop();
    await client.query(undefined, `DROP DATABASE ${quoteIdentifier(inputDb)}`);
    await client.query(undefined, `DROP DATABASE ${quoteIdentifier(outputDb)}`);
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** One sshd failure exactly as Telegraf's syslog input writes it. */
function bruteForceLine(host: string, source: string, port: number, timeUs: number): string {
  const S = INPUT.syslog;
  return toLineProtocol({
    measurement: S.measurement,
    tags: {
      [S.tags.hostname]: host,
      [S.tags.appname]: 'sshd',
      [S.tags.facility]: 'auth',
      [S.tags.severity]: 'warning',
    },
    fields: { [S.fields.message]: `Failed password for invalid user admin from ${source} port ${port} ssh2` },
    intFields: { [S.fields.severityCode]: SEVERITY_CODES.warning, [S.fields.facilityCode]: FACILITY_CODES.auth },
    timeUs,
  });
}
