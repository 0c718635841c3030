import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InfluxClient } from '../adapters/influx/client';
import { quoteIdentifier } from '../adapters/influx/influxql';
import { startLocalInfluxd, type LocalInfluxd } from '../adapters/influx/localServer';
import { createLogger } from '../adapters/logger';
import { loadConfig } from '../config';
import { startService, type RunningService } from '../main';
import {
  FUZZ_ROUTES,
  fuzzRequest,
  readBack,
  storeTexts,
  storedTexts,
  type ApiCall,
  type FuzzRequest,
  type StoredRecord,
} from './fuzzRequests';
import { fmt, progress, say } from './report';

/**
 * The fuzz run of issue 13 (point 4): `BENCH_FUZZ_REQUESTS` (default 100,000) generated hostile
 * requests against every route of a real backend over a real influxd (a private one unless
 * INFLUX_URL is set), `BENCH_FUZZ_CONCURRENCY` (default 16) at a time, as the admin bootstrap
 * token (allowed everything). Every 50th request stores a complaint and a comment of hostile text;
 * after the run each is read back through the API, then again from a second backend started over
 * the same database (so the text went through InfluxDB), and must be byte-identical to what was
 * sent (after the API's documented trim). The seed (`BENCH_FUZZ_SEED`) makes a run repeatable.
 * Targets: 0 answers ≥ 500, 0 crashes (uncaught exceptions, unhandled rejections, dropped
 * connections), every stored string read back identical.
 */
const STORED_EVERY = 50;
const CHUNK = 500;

interface Backend {
  service: RunningService;
  call: ApiCall;
}

export interface FuzzFigures {
  requests: number;
  statuses: Map<number, number>;
  serverErrors: number;
  crashes: number;
  readBack: { checked: number; identical: number };
}

export async function benchFuzz(influxUrl?: string): Promise<FuzzFigures> {
  const total = Number(process.env.BENCH_FUZZ_REQUESTS ?? 100_000);
  const concurrency = Number(process.env.BENCH_FUZZ_CONCURRENCY ?? 16);
  const seed = Number(process.env.BENCH_FUZZ_SEED ?? 13);
  let influxd: LocalInfluxd | undefined;
  const url = influxUrl ?? process.env.INFLUX_URL ?? (influxd = await startLocalInfluxd()).url;
  const client = new InfluxClient({ url, token: process.env.INFLUX_TOKEN, timeoutMs: 60_000 });
  const database = `bench_fuzz_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'nocai-bench-fuzz-'));
  const token = randomBytes(16).toString('hex');

  let crashes = 0;
  const crashSamples: string[] = [];
  const onCrash = (kind: string) => (error: unknown) => {
    crashes++;
    if (crashSamples.length < 5) crashSamples.push(`${kind}: ${error instanceof Error ? error.stack : String(error)}`);
  };
  const onException = onCrash('uncaught exception');
  const onRejection = onCrash('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);

  const start = () => startBackend(url, database, dir, token);
  let backend = await start();
  try {
    // Tickets for the fuzzed :id params to land on, so PATCH, comments and feedback reach real state.
    const seeded: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { record: made } = await storeTexts(backend.call, {
        complaint: `Link down at site ${i}`,
        comment: 'seed',
        feedback: '',
      });
      if (!made) throw new Error('the backend refused a plain complaint');
      seeded.push(made.ticketId);
    }
    const generator = fuzzRequest({
      ticketIds: seeded,
      names: ['event-class', 'event-decision', 'department', 'priority', 'events', 'tickets', 'anomalies', 'disk-full'],
    });

    const statuses = new Map<number, number>();
    const byRoute = new Map<string, number>();
    /** Milliseconds spent waiting on each route, to say where the run's time goes. */
    const routeMs = new Map<string, number>();
    const serverErrorSamples: string[] = [];
    const stored: StoredRecord[] = [];
    let serverErrors = 0;
    let sent = 0;
    let next = 0;
    let lastProgress = Date.now();
    const started = performance.now();

    let chunk: FuzzRequest[] = [];
    let chunkStart = -CHUNK;
    const requestAt = (i: number): FuzzRequest => {
      if (i >= chunkStart + CHUNK) {
        chunkStart = i - (i % CHUNK);
        chunk = fc.sample(generator, { numRuns: CHUNK, seed: seed * 1_000_003 + chunkStart });
      }
      return chunk[i - chunkStart];
    };
    const texts = fc.sample(storedTexts, {
      numRuns: Math.ceil(total / STORED_EVERY),
      seed,
    });

    const record = (status: number, route: string, detail: () => string) => {
      sent++;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
      if (status >= 500) {
        serverErrors++;
        if (serverErrorSamples.length < 10) serverErrorSamples.push(`${status} ${detail()}`);
      }
    };

    const worker = async () => {
      for (let i = next++; i < total; i = next++) {
        if (i % STORED_EVERY === 0) {
          const { statuses: answered, record: made, refusal } = await storeTexts(backend.call, texts[i / STORED_EVERY]);
          for (const status of answered)
            record(status, 'stored text', () => `storing ${JSON.stringify(texts[i / STORED_EVERY])}`);
          if (made) stored.push(made);
          else if (answered[0] < 500)
            throw new Error(
              `a complaint was refused (${answered[0]}): ${refusal}; text ${JSON.stringify(texts[i / STORED_EVERY].complaint)}`
            );
          continue;
        }
        const request = requestAt(i);
        let status: number;
        let body = '';
        const sentAt = performance.now();
        try {
          const response = await backend.call(request);
          status = response.status;
          body = await response.text();
        } catch (error) {
          // A dropped connection: the server died or destroyed the socket mid-request.
          crashes++;
          if (crashSamples.length < 5)
            crashSamples.push(`${request.method} ${request.path.slice(0, 200)}: ${String(error)}`);
          continue;
        }
        routeMs.set(request.route, (routeMs.get(request.route) ?? 0) + performance.now() - sentAt);
        record(status, request.route, () => `${request.method} ${request.path.slice(0, 160)} → ${body.slice(0, 200)}`);
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          progress(`fuzz: ${fmt(sent)}/${fmt(total)} requests, ${serverErrors} answers ≥ 500`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;

    const readBackFigures = { checked: 0, identical: 0 };
    const mismatches: string[] = [];
    const check = async (label: string) => {
      for (const s of stored) {
        for (const { what, expected, actual } of await readBack(backend.call, s)) {
          readBackFigures.checked++;
          if (actual === expected) readBackFigures.identical++;
          else if (mismatches.length < 5)
            mismatches.push(
              `${label}, ${what} of ${s.ticketId}: sent ${JSON.stringify(expected)}, read ${JSON.stringify(actual)}`
            );
        }
      }
    };
    await check('same backend');
    await backend.service.stop();
    backend = await start();
    await check('restarted backend (read from InfluxDB)');
    const health = await backend.call({ method: 'GET', path: '/healthz', headers: {} });
    if (health.status !== 200) crashes++;

    say(
      `fuzz (issue 13): ${fmt(sent)} requests over ${FUZZ_ROUTES.filter((r) => byRoute.has(`${r.method} ${r.path}`)).length} of ${FUZZ_ROUTES.length} routes in ${seconds.toFixed(1)} s ` +
        `(${fmt(sent / seconds)} requests/s, ${concurrency} at a time, seed ${seed}), as the admin token`
    );
    say(
      `  statuses: ${[...statuses.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}: ${fmt(n)}`)
        .join(', ')}`
    );
    const slowest = [...routeMs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    say(
      `  slowest routes (mean ms per request): ${slowest
        .map(([route, ms]) => `${route} ${(ms / (byRoute.get(route) ?? 1)).toFixed(1)}`)
        .join(', ')}`
    );
    say(`  answers ≥ 500: ${serverErrors} (target 0); crashes: ${crashes} (target 0)`);
    say(
      `  stored strings read back byte-identical: ${fmt(readBackFigures.identical)}/${fmt(readBackFigures.checked)} ` +
        `(${stored.length} tickets: complaint text, comment and feedback comment, each read from the API and after a restart)`
    );
    for (const sample of [...serverErrorSamples, ...crashSamples, ...mismatches]) say(`  ! ${sample}`);
    return { requests: sent, statuses, serverErrors, crashes, readBack: readBackFigures };
  } finally {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    await backend.service.stop().catch(() => undefined);
    await client.query(undefined, `DROP DATABASE ${quoteIdentifier(database)}`).catch(() => undefined);
    await client.query(undefined, `DROP DATABASE ${quoteIdentifier(`${database}_in`)}`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await influxd?.stop();
  }
}

async function startBackend(influxUrl: string, database: string, dir: string, token: string): Promise<Backend> {
  const service = await startService(
    loadConfig({
      INFLUX_URL: influxUrl,
      INFLUX_TOKEN: process.env.INFLUX_TOKEN,
      INFLUX_INPUT_DB: `${database}_in`,
      INFLUX_OUTPUT_DB: database,
      NOCAI_API_TOKEN: token,
      NOCAI_HOST: '127.0.0.1',
      NOCAI_PORT: '0',
      NOCAI_STATE_DIR: join(dir, 'state'),
      // The run measures input handling at full speed: the per-token rate limit would answer 429 to most of it.
      NOCAI_RATE_LIMIT: '0',
    }),
    { logger: createLogger('silent') }
  );
  return {
    service,
    call: ({ method, path, headers, body }) =>
      fetch(`${service.url}${path}`, { method, headers: { ...headers, Authorization: `Bearer ${token}` }, body }),
  };
}

if (require.main === module) {
  benchFuzz()
    .then((figures) => {
      if (figures.serverErrors > 0 || figures.crashes > 0 || figures.readBack.identical !== figures.readBack.checked) {
        process.exitCode = 1;
      }
    })
    .catch((error: unknown) => {
      process.stderr.write(`fuzz bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
