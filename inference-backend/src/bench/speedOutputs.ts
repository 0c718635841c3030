import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxClient } from '../adapters/influx/client';
import { quoteIdentifier } from '../adapters/influx/influxql';
import { startLocalInfluxd, type LocalInfluxd } from '../adapters/influx/localServer';
import type { LineClassifier } from '../pipeline/logStage';
import { ruleLineClassifier } from '../services/baselineModels';
import { measureNoiseCompression } from './noiseCompression';
import { fmt, progress, say } from './report';
import { backfillSpeedData, trainLineModels } from './speed';

/**
 * What the speed bench's pipeline writes, as text to compare between two builds (issue 13 part 8:
 * a faster pipeline must write the same events and tickets, byte for byte). Runs the speed bench's
 * pipeline with triage, with the rules and with the ONNX line models, over the same simulated days
 * ending at a fixed instant, and writes every point of both output databases, one JSON line per
 * point (keys sorted), sorted, to the file given as the first argument. Also prints node's CPU per
 * line of each run, so that alternate runs of two builds compare their cost on the same data.
 *
 * `node dist/bench/speedOutputs.js out.txt` with BENCH_DAYS (default 1), BENCH_END_US (the end of
 * the simulated period, µs; default the start of the current UTC day, so two runs on one day agree)
 * and BENCH_CPU_PROFILE (a folder: a V8 CPU profile of each pipeline run alone, `<label>.cpuprofile`)
 * or BENCH_ALLOC_PROFILE (a folder: a sampling profile of what each run allocates, `<label>.heapprofile`).
 */
async function main(): Promise<void> {
  const out = process.argv[2];
  const days = Number(process.env.BENCH_DAYS ?? 1);
  const endUs = Number(process.env.BENCH_END_US ?? Math.floor(Date.now() / 86_400_000) * 86_400_000_000);
  if (!out || !(days > 0) || !Number.isSafeInteger(endUs)) {
    process.stderr.write('speedOutputs: give an output file, BENCH_DAYS > 0 and an integer BENCH_END_US\n');
    process.exitCode = 2;
    return;
  }
  let influxd: LocalInfluxd | undefined;
  const url = process.env.INFLUX_URL ?? (influxd = await startLocalInfluxd()).url;
  const client = new InfluxClient({ url, token: process.env.INFLUX_TOKEN, timeoutMs: 60_000 });
  const workDir = mkdtempSync(join(tmpdir(), 'nocai-speed-outputs-'));
  const databases: string[] = [];
  const database = async (name: string) => {
    const db = `${name}_${Date.now()}_${databases.length}`;
    databases.push(db);
    await client.createDatabase(db);
    return db;
  };
  try {
    const inputDb = await database('speed_outputs_telegraf');
    progress(`backfilling ${days} simulated days ending at ${endUs} µs`);
    const { inventory, incidents } = await backfillSpeedData(client, inputDb, days, endUs);
    const dump: string[] = [];
    const run = async (label: string, classifier: LineClassifier) => {
      const outputDb = await database('speed_outputs_aiops');
      const profiler =
        (await startProfile(process.env.BENCH_CPU_PROFILE)) ??
        (await startProfile(process.env.BENCH_ALLOC_PROFILE, true));
      const result = await measureNoiseCompression({
        client,
        inputDb,
        outputDb,
        stateDir: join(workDir, `state-${databases.length}`),
        inventory,
        endUs,
        days,
        incidents,
        classifier,
        influxdPid: influxd?.pid,
      });
      await profiler?.stop(label);
      const perLine = (seconds: number | undefined) =>
        seconds === undefined ? '?' : ((seconds / result.lines) * 1e6).toFixed(1);
      say(
        `${label}: ${fmt(result.lines)} lines, ${result.tickets.length} tickets; CPU per line: node ` +
          `${perLine(result.cpu.node)} µs, influxd ${perLine(result.cpu.influxd)} µs`
      );
      for (const line of await pointsOf(client, outputDb)) dump.push(`${label}\t${line}`);
    };
    await run('rules', ruleLineClassifier);
    const trained = await trainLineModels(
      inventory,
      endUs - days * 86_400_000_000,
      days,
      join(workDir, 'models'),
      "the speed bench's output comparison"
    );
    await run('onnx', trained.classifier);
    dump.sort();
    writeFileSync(out, `${dump.join('\n')}\n`);
    say(`${fmt(dump.length)} points written to ${out}`);
  } finally {
    for (const db of databases)
      await client.query(undefined, `DROP DATABASE ${quoteIdentifier(db)}`).catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
    await influxd?.stop();
  }
}

/**
 * A CPU profile from now until `stop(name)`, written to `dir`/`name`.cpuprofile; none without
 * `dir`. With `allocations`, a sampling heap profile instead (`name`.heapprofile), of everything
 * allocated meanwhile, collected or not: where the garbage comes from.
 */
async function startProfile(
  dir: string | undefined,
  allocations = false
): Promise<{ stop(name: string): Promise<void> } | undefined> {
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  if (allocations) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  return {
    async stop(name) {
      if (allocations) {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(join(dir, `${name}.heapprofile`), JSON.stringify(profile));
      } else {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      }
      session.disconnect();
    },
  };
}

/** Every point of every measurement of `database`, as JSON with its keys sorted. */
async function pointsOf(client: InfluxClient, database: string): Promise<string[]> {
  const measurements = (await client.query(database, 'SHOW MEASUREMENTS'))[0]?.rows ?? [];
  const lines: string[] = [];
  for (const { name } of measurements) {
    const measurement = String(name);
    const rows = (await client.query(database, `SELECT * FROM ${quoteIdentifier(measurement)}`))[0]?.rows ?? [];
    for (const row of rows) {
      const sorted = Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      lines.push(`${measurement}\t${JSON.stringify(sorted)}`);
    }
  }
  return lines;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`speedOutputs: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
