import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroundTruthIncident, Ticket, TicketsPage } from '@nocai/contract';
import { InfluxWriter } from '../../inference-backend/src/adapters/influx';
import type { PointSink, SeriesPoint } from '../../inference-backend/src/domain/series';
import { ShardMap } from '../../inference-backend/src/domain/sharding/shards';
import { syslogLineKey } from '../../inference-backend/src/domain/logs/syslogLine';
import { formatInventory, generateInventory, runBackfill } from '../../inference-backend/src/simulator';
import { runCli, type BackendProcess } from '../support/backendProcess';
import { freshDatabase, testInfluxUrl } from '../support/influx';
import { waitFor } from '../support/wait';

const TOKEN = 'shard-token';
const SHARDS = 2;
const HOUR_US = 3_600_000_000;

/** Collects what the simulator would write, so that the test can store it in two parts. */
class Collector implements PointSink {
  readonly points: SeriesPoint[] = [];
  async write(points: readonly SeriesPoint[]): Promise<void> {
    this.points.push(...points);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Two consecutive free ports p and p + 1, p a multiple of 10: shard i answers on `${p / 10}${i}`. */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const base = 10 * Math.floor(((await freePort()) % 40_000) / 10) + 20_000;
    if ((await free(base)) && (await free(base + 1))) return base;
  }
}

interface Line {
  hostname: string;
  appname: string;
  facility: string;
  severity: string;
  timeUs: number;
}

describe('sharded replicas', () => {
  it('When two replicas share one influxd and one is killed -9 and restarted, then every line is processed exactly once overall and each ticket is opened once', async () => {
    // Arrange: six sites, two hours of telemetry with incidents, stored in two parts.
    const inventory = generateInventory({ seed: 13, sites: 6 });
    const shards = [0, 1].map((index) => new ShardMap({ count: SHARDS, index }, inventory));
    const sitesOf = (i: number) => shards[i].ownInventory()?.sites.map((s) => s.id) ?? [];
    expect(sitesOf(0).length).toBeGreaterThan(0);
    expect(sitesOf(1).length).toBeGreaterThan(0);

    const dir = mkdtempSync(join(tmpdir(), 'nocai-shards-'));
    const inventoryPath = join(dir, 'inventory.yaml');
    writeFileSync(inventoryPath, formatInventory(inventory));
    const endUs = Date.now() * 1000;
    const collector = new Collector();
    const incidents: GroundTruthIncident[] = [];
    await runBackfill(
      {
        seed: 13,
        inventory,
        days: 2 / 24,
        endUs,
        incidentsPerSiteDay: 0,
        // One power failure per site, spread over the two hours: every site has an incident to ticket.
        scenarios: inventory.sites.map((site, i) => ({
          kind: 'power_failure' as const,
          site: site.id,
          atUs: endUs - 2 * HOUR_US + (10 + 16 * i) * 60_000_000,
          durationMinutes: 20,
        })),
        truth: { writeIncidents: async (i) => void incidents.push(...i), writeEvents: async () => undefined },
      },
      collector
    );
    const startUs = endUs - 2 * HOUR_US;
    const midUs = startUs + 1.2 * HOUR_US;
    const { client, database } = await freshDatabase('shards_in');
    const outputDb = `${database}_out`;
    // Each part is written in time order, as Telegraf delivers it: the replicas read with no settle
    // time, so a batch of earlier lines written after later ones would land behind a watermark.
    const store = async (points: SeriesPoint[]) => {
      const writer = new InfluxWriter(client, { database, batchSize: 5000 });
      await writer.write([...points].sort((a, b) => a.timeUs - b.timeUs));
      await writer.flush();
    };
    const lines: Line[] = collector.points
      .filter((p) => p.measurement === 'syslog')
      .map((p) => ({
        hostname: String(p.tags.hostname ?? ''),
        appname: String(p.tags.appname ?? ''),
        facility: String(p.tags.facility ?? ''),
        severity: String(p.tags.severity ?? ''),
        timeUs: p.timeUs,
      }));
    const linesOfShard = (i: number) => lines.filter((l) => shards[i].ownsHost(l.hostname));
    expect(linesOfShard(0).length + linesOfShard(1).length).toBe(lines.length);
    expect(linesOfShard(1).filter((l) => l.timeUs > midUs).length).toBeGreaterThan(0);

    const stateDirs = [0, 1].map((i) => join(dir, `replica-${i}`));
    const basePort = await freePortPair();
    const ports = [basePort, basePort + 1];
    const envOf = (i: number) => ({
      INFLUX_URL: testInfluxUrl(),
      INFLUX_INPUT_DB: database,
      INFLUX_OUTPUT_DB: outputDb,
      NOCAI_API_TOKEN: TOKEN,
      NOCAI_HOST: '127.0.0.1',
      NOCAI_PORT: String(ports[i]),
      NOCAI_RATE_LIMIT: '0',
      NOCAI_INVENTORY: inventoryPath,
      NOCAI_STATE_DIR: stateDirs[i],
      NOCAI_SHARD_COUNT: String(SHARDS),
      NOCAI_SHARD_PEER_URL: `http://127.0.0.1:${basePort / 10}{i}`,
      // The StatefulSet way: no NOCAI_SHARD_INDEX, the ordinal at the end of the pod's hostname.
      HOSTNAME: `nocai-backend-${i}`,
      NOCAI_START_LOOKBACK_MS: String(3 * 3_600_000),
      NOCAI_BATCH_SIZE: '400',
      NOCAI_SETTLE_MS: '0',
      NOCAI_POLL_INTERVAL_MS: '50',
      // The estate stops logging between the two parts: the engine must not move on to now meanwhile.
      NOCAI_IDLE_ADVANCE_MS: String(24 * 3_600_000),
      NOCAI_FORECAST_INTERVAL_MS: '0',
      LOG_LEVEL: 'warn',
    });
    const call = (i: number, path: string, init: { method?: string; body?: object; user?: string } = {}) =>
      fetch(`http://127.0.0.1:${ports[i]}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(init.user ? { 'x-grafana-user': init.user } : {}),
        },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
    const linesRead = async (i: number): Promise<number | undefined> => {
      try {
        const text = await (await call(i, '/metrics')).text();
        return Number(/^nocai_pipeline_lines_read_total\{stage="logs"\} (\d+)/m.exec(text)?.[1] ?? 0);
      } catch {
        return undefined;
      }
    };
    const stateFile = join(stateDirs[1], `shard-1-of-${SHARDS}`, 'log-stage.json');
    const committed = (): { watermarkUs: number; boundaryKeys: string[] } | undefined => {
      try {
        return JSON.parse(readFileSync(stateFile, 'utf8')) as { watermarkUs: number; boundaryKeys: string[] };
      } catch {
        return undefined;
      }
    };
    const eventCount = async () => {
      const series = await client.query(outputDb, 'SELECT count(message) FROM aiops_events').catch(() => []);
      return Number(series[0]?.rows[0]?.count ?? 0);
    };

    const replicas: BackendProcess[] = [];
    try {
      await store(collector.points.filter((p) => p.timeUs <= midUs));
      replicas[0] = runCli(['serve'], envOf(0));
      replicas[1] = runCli(['serve'], envOf(1));

      // Act: replica 1 is killed as soon as it has committed its first batch, while it is working.
      await waitFor(async () => (committed() ? true : undefined), 120_000, 'replica 1 committing a batch');
      replicas[1].child.kill('SIGKILL');
      await replicas[1].exited;
      const atKill = committed();
      if (!atKill) throw new Error('replica 1 left no state');
      await store(collector.points.filter((p) => p.timeUs > midUs));
      replicas[1] = runCli(['serve'], envOf(1));

      // What each replica has left to read: replica 0 all of its shard, replica 1 what its state did not cover.
      const boundary = new Set(atKill.boundaryKeys);
      const expected0 = linesOfShard(0).length;
      const expected1 = linesOfShard(1).filter(
        (l) =>
          l.timeUs > atKill.watermarkUs ||
          (l.timeUs === atKill.watermarkUs && !boundary.has(syslogLineKey({ ...l, message: '' })))
      ).length;
      await waitFor(
        async () => {
          const [read0, read1] = [await linesRead(0), await linesRead(1)];
          return (await eventCount()) >= lines.length && read0 === expected0 && read1 === expected1 ? true : undefined;
        },
        240_000,
        'every line processed'
      );

      // Assert: one aiops_events point per syslog line, nothing missing, nothing extra.
      const keys = async (db: string, measurement: string) => {
        const series = await client.query(db, `SELECT hostname, message FROM ${measurement}`);
        return series[0].rows.map((r) => `${r.hostname}@${r.time}`).sort();
      };
      expect(await keys(outputDb, 'aiops_events')).toEqual(await keys(database, 'syslog'));
      // Exactly once overall: each replica read its own shard's lines, the restarted one only the rest.
      expect(await linesRead(0)).toBe(expected0);
      expect(await linesRead(1)).toBe(expected1);
      expect(expected1).toBeLessThan(linesOfShard(1).length);

      // Each ticket was opened once, by one replica: no second ticket for the same alert and device.
      const rows = (await client.query(outputDb, 'SELECT * FROM aiops_tickets'))[0]?.rows ?? [];
      // A ticket's first point opens it (the pipeline's tickets name no change kind).
      const firstPoints = new Map<string, Record<string, unknown>>();
      for (const row of rows) if (!firstPoints.has(String(row.ticket_id))) firstPoints.set(String(row.ticket_id), row);
      const opened = [...firstPoints.values()];
      expect(opened.length).toBeGreaterThan(0);
      const openedIds = [...firstPoints.keys()];
      const incidentKeys = opened.map((r) => `${r.site}|${r.host}|${r.opened_at_ms}|${r.event_class}`);
      expect(new Set(incidentKeys).size).toBe(incidentKeys.length);
      const ticketSites = new Set(opened.map((r) => String(r.site)));
      // Every site's power failure got its ticket, from whichever replica owns the site.
      expect(incidents.map((i) => i.site).sort()).toEqual(inventory.sites.map((s) => s.id).sort());
      for (const incident of incidents) expect(ticketSites.has(incident.site)).toBe(true);

      // Either replica answers for every ticket, whichever shard opened it.
      for (const i of [0, 1]) {
        const listed = await waitFor(
          async () => {
            const page = (await (await call(i, '/api/tickets?limit=1000&from=0')).json()) as TicketsPage;
            const ids = new Set(page.tickets.map((t: Ticket) => t.id));
            return openedIds.every((id) => ids.has(id)) ? page.tickets : undefined;
          },
          60_000,
          `replica ${i} listing every ticket`
        );
        expect(new Set(listed.map((t) => t.site))).toEqual(ticketSites);
      }

      // A change through the replica that does not own the ticket is made by its owner, so that the
      // owner's next change builds on it: an assignment through replica 0, then at once a comment
      // through replica 1, keep both (each replica writing its own next version lost the first).
      const owned = opened.find((r) => shards[1].ownsHost(String(r.host)));
      if (!owned) throw new Error('shard 1 opened no ticket');
      const id = String(owned.ticket_id);
      const read = (await (await call(0, `/api/tickets/${id}`)).json()) as { ticket: Ticket };
      const version = read.ticket.version ?? 0;
      const assigned = await call(0, `/api/tickets/${id}`, {
        method: 'PATCH',
        body: { version, assignee: 'user:alice' },
        user: 'alice',
      });
      expect(assigned.status).toBe(200);
      expect(assigned.headers.get('x-nocai-shard')).toBe('1');
      expect(assigned.headers.get('etag')).toBe(`"${version + 1}"`);
      const commented = await call(1, `/api/tickets/${id}/comments`, {
        method: 'POST',
        body: { text: 'on site in 10 minutes' },
        user: 'bob',
      });
      expect(commented.status).toBe(201);
      const latest = ((await commented.json()) as { ticket: Ticket }).ticket;
      expect(latest).toMatchObject({ assignee: 'user:alice', version: version + 2 });
      expect(latest.comments?.map((c) => c.text)).toContain('on site in 10 minutes');
      // Replica 0 catches up to the same state.
      await waitFor(
        async () => {
          const seen = (await (await call(0, `/api/tickets/${id}`)).json()) as { ticket: Ticket };
          return seen.ticket.version === version + 2 && seen.ticket.assignee === 'user:alice' ? true : undefined;
        },
        60_000,
        'replica 0 seeing both changes'
      );
    } finally {
      for (const replica of replicas) {
        if (replica && replica.child.exitCode === null) {
          replica.child.kill('SIGTERM');
          await replica.exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
    // Generous: two replicas and influxd share the machine with whatever else runs; no verdict depends on it.
  }, 900_000);
});
