import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getHeapSpaceStatistics, writeHeapSnapshot, type HeapSpaceInfo } from 'node:v8';
import { INPUT, type GroundTruthIncident, type Inventory } from '@nocai/contract';
import { InfluxClient } from '../adapters/influx/client';
import { quoteIdentifier } from '../adapters/influx/influxql';
import { startLocalInfluxd, type LocalInfluxd } from '../adapters/influx/localServer';
import { SyslogSource } from '../adapters/influx/syslogSource';
import { InfluxWriter } from '../adapters/influx/writer';
import { DEFAULT_HEAP_GROWTH_PERCENT, setHeapGrowthPercent } from '../adapters/heapPolicy';
import { createLogger } from '../adapters/logger';
import { trainLineModelsOnSimulation } from '../commands/train';
import { syslogLineKey, type SyslogLine } from '../domain/logs/syslogLine';
import type { SeriesPoint } from '../domain/series';
import type { LineClassifier } from '../pipeline/logStage';
import { ruleLineClassifier } from '../services/baselineModels';
import { loadServingModels } from '../services/onnxModels';
import { generateInventory, runBackfill, type BackfillProgress } from '../simulator';
import { withCpu, type CpuSeconds } from './cpuMeter';
import { createTriageLogStage, measureNoiseCompression } from './noiseCompression';
import { fmt, percent, progress, say } from './report';

/**
 * Issue 13 part 8: the pipeline's speed next to InfluxDB's own, on the same data in the same run,
 * and a soak at that speed. `npm run bench:speed` runs it alone (BENCH_DAYS, default 7;
 * BENCH_SOAK_S, default 300, 0 for none; BENCH_HEAP_SNAPSHOT, a folder for heap snapshots of the
 * soak; BENCH_HEAP_GROWTH_PERCENT, V8's heap growth bound during the soak, by default the service's;
 * the npm script runs node with the service's --initial-old-space-size, which only a command line sets);
 * `npm run bench` runs it on its month.
 */
export const PIPELINE_PAGE_LINES = 5000;
/** Issue 13: the pipeline with triage and the ONNX line models at half of InfluxDB's own rate or more. */
export const TARGET_RATIO = 0.5;
/** Issue 13: RSS over the soak grows by less than this. */
export const TARGET_RSS_GROWTH = 0.1;
/** How often the soak samples RSS between its two full samples. */
const RSS_SAMPLE_MS = 250;

export interface RateFigure {
  lines: number;
  seconds: number;
  /** CPU seconds spent meanwhile by this process and (when known) by influxd: where the time went. */
  cpu?: CpuSeconds;
}

function cpuText(figure: RateFigure): string {
  const cpu = figure.cpu;
  if (!cpu) return '';
  const perLine = (seconds: number) => `${((seconds / figure.lines) * 1e6).toFixed(0)} µs/line`;
  const influxd = cpu.influxd === undefined ? '' : `, influxd ${cpu.influxd.toFixed(1)} s (${perLine(cpu.influxd)})`;
  return `; CPU: node ${cpu.node.toFixed(1)} s (${perLine(cpu.node)})${influxd}`;
}

export const linesPerSecond = (f: RateFigure): number => f.lines / f.seconds;

/**
 * InfluxDB's own read+write rate for the syslog of [fromUs, toUs]: pages of `pageLines` read with
 * the SyslogSource's query, each line written back as one point to `scratchDb` by the pipeline's
 * writer with its batch size, the next page read while the previous one is written (as the
 * pipeline does), each page stored before the next one's write starts.
 */
export async function measureInfluxReadWrite(input: {
  client: InfluxClient;
  inputDb: string;
  scratchDb: string;
  fromUs: number;
  toUs: number;
  pageLines?: number;
}): Promise<RateFigure> {
  const { client, inputDb, scratchDb, fromUs, toUs } = input;
  const pageLines = input.pageLines ?? PIPELINE_PAGE_LINES;
  const source = new SyslogSource(client, inputDb);
  const writer = new InfluxWriter(client, { database: scratchDb, batchSize: pageLines });
  let watermarkUs = fromUs;
  let boundary = new Set<string>();
  let lines = 0;
  let writing: Promise<void> = Promise.resolve();
  const started = performance.now();
  for (;;) {
    const page = await source.read(watermarkUs, toUs, pageLines);
    const fresh = page.filter((l) => l.timeUs !== watermarkUs || !boundary.has(syslogLineKey(l)));
    if (fresh.length === 0) break;
    const lastUs = fresh[fresh.length - 1].timeUs;
    const atLast = fresh.filter((l) => l.timeUs === lastUs).map(syslogLineKey);
    boundary = lastUs === watermarkUs ? new Set([...boundary, ...atLast]) : new Set(atLast);
    watermarkUs = lastUs;
    lines += fresh.length;
    await writing;
    writing = writer.write(fresh.map(copyPoint)).then(() => writer.flush());
  }
  await writing;
  return { lines, seconds: (performance.now() - started) / 1000 };
}

/** The line itself as Telegraf wrote it: one point per line, of the same size as what was read. */
function copyPoint(line: SyslogLine): SeriesPoint {
  const S = INPUT.syslog;
  return {
    measurement: S.measurement,
    tags: {
      [S.tags.hostname]: line.hostname,
      [S.tags.appname]: line.appname,
      [S.tags.facility]: line.facility,
      [S.tags.severity]: line.severity,
    },
    fields: { [S.fields.message]: line.message },
    timeUs: line.timeUs,
  };
}

export function reportRatio(label: string, pipeline: RateFigure, influx: RateFigure, target?: number): void {
  const value = linesPerSecond(pipeline) / linesPerSecond(influx);
  const verdict = target === undefined ? '' : `, ${value >= target ? 'meets' : 'MISSES'} the ${target} target`;
  say(
    `${label}: ${fmt(linesPerSecond(pipeline))} lines/s = ${value.toFixed(2)}× InfluxDB's own read+write rate ` +
      `(${fmt(linesPerSecond(influx))} lines/s, same run, same data)${verdict}${cpuText(pipeline)}`
  );
}

export interface SoakInput {
  client: InfluxClient;
  influxUrl: string;
  influxToken?: string;
  inventory: Inventory;
  classifier: LineClassifier;
  /** Syslog lines per second the simulator should write (the pipeline's measured rate). */
  linesPerSecond: number;
  /** Syslog lines per simulated second of the simulation (from a backfill). */
  simulatedLinesPerSecond: number;
  seconds: number;
  workDir: string;
  /**
   * Where to write a V8 heap snapshot right after each RSS sample (`soak-tenth`, `soak-end`), to
   * compare what the heap holds by constructor. Writing one costs memory itself: RSS figures of a
   * run with snapshots are not the soak's figures.
   */
  heapSnapshotDir?: string;
  /** V8's heap growth bound during the soak, as the service sets it (NOCAI_HEAP_GROWTH_PERCENT). */
  heapGrowthPercent?: number;
}

export interface SoakResult {
  lines: number;
  seconds: number;
  simulatorLines: number;
  rssStartBytes: number;
  rssEndBytes: number;
  /** The whole of process.memoryUsage() at both samples: where RSS went (V8's heap, buffers, native). */
  memoryStart: NodeJS.MemoryUsage;
  memoryEnd: NodeJS.MemoryUsage;
  /** Lines processed and this process's CPU seconds between the two samples (what the GC policy costs shows here). */
  sampledLines: number;
  sampledCpuSeconds: number;
  heapGrowthPercent: number;
  /** Simulated time written by the simulator and not yet behind the watermark (µs). */
  lagUs: number;
  speed: number;
  /** The line models' prediction memos at both samples, when the classifier has them. */
  memoStart?: LineMemoStats;
  memoEnd?: LineMemoStats;
  /** V8's heap by space at both samples: which space the heap grew in. */
  spacesStart: HeapSpaceInfo[];
  spacesEnd: HeapSpaceInfo[];
  /** RSS over the tenth after the first and over the last tenth (rssWindows). */
  rssEarly: RssWindow;
  rssLate: RssWindow;
}

/** What the soak prints of a prediction memo (PredictionMemo.stats). */
interface MemoStats {
  inputs: number;
  lookups: number;
  hits: number;
  evictions: number;
  size: number;
  capacity: number;
  keyChars: number;
  explanations: { lookups: number; hits: number; size: number };
}

type LineMemoStats = Record<string, MemoStats>;

/** RSS over a window of the soak: its highest and mean sample. */
export interface RssWindow {
  peakBytes: number;
  meanBytes: number;
  samples: number;
}

/**
 * RSS sampled through the soak (seconds since its start, bytes) summed up over the tenth after
 * the first and over the last tenth: each spans several of V8's collection cycles, where a single
 * sample lands anywhere between a collection and the next (the same code gave −5% to +25% from
 * single samples).
 */
export function rssWindows(
  samples: ReadonlyArray<readonly [number, number]>,
  seconds: number
): { early: RssWindow; late: RssWindow } {
  const window = (from: number, to: number): RssWindow => {
    const inside = samples.filter(([t]) => t >= from && t <= to).map(([, rss]) => rss);
    if (inside.length === 0) return { peakBytes: 0, meanBytes: 0, samples: 0 };
    return {
      peakBytes: Math.max(...inside),
      meanBytes: inside.reduce((sum, rss) => sum + rss, 0) / inside.length,
      samples: inside.length,
    };
  };
  return { early: window(seconds / 10, (2 * seconds) / 10), late: window((9 * seconds) / 10, seconds) };
}

function memoStatsOf(classifier: LineClassifier): LineMemoStats | undefined {
  const withMemos = classifier as LineClassifier & { memoStats?: () => LineMemoStats };
  return typeof withMemos.memoStats === 'function' ? withMemos.memoStats() : undefined;
}

/**
 * The simulator (a child process, bench/soakSimulator) writes syslog live at about
 * `linesPerSecond` while the pipeline with triage follows what it has flushed. RSS (this
 * process: the pipeline alone) is sampled once the first tenth of the soak has passed (models,
 * miner, engine and memo warm) and again at its end.
 */
export async function soak(input: SoakInput): Promise<SoakResult> {
  const { client, inventory } = input;
  setHeapGrowthPercent(input.heapGrowthPercent ?? DEFAULT_HEAP_GROWTH_PERCENT);
  const inputDb = `bench_soak_telegraf_${Date.now()}`;
  const outputDb = `bench_soak_aiops_${Date.now()}`;
  await client.createDatabase(inputDb);
  await client.createDatabase(outputDb);
  const speed = Math.max(1, input.linesPerSecond / input.simulatedLinesPerSecond);
  // Simulated time starts this far back, so that it is played at `speed` for the whole soak.
  const startUs = Date.now() * 1000 - Math.ceil(speed * input.seconds * 1.2 * 1e6);
  const setup = {
    url: input.influxUrl,
    token: input.influxToken,
    database: inputDb,
    seed: 42,
    sites: inventory.sites.length,
    startUs,
    speed,
    // Half a second of real time per slice: the pipeline sees new lines twice a second.
    sliceUs: Math.max(60e6, Math.round(speed * 0.5e6)),
  };
  const simulator = spawn(process.execPath, [join(__dirname, 'soakSimulator.js'), JSON.stringify(setup)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let flushedUntilUs = startUs;
  let simulatorLines = 0;
  createInterface({ input: simulator.stdout }).on('line', (line) => {
    const report = JSON.parse(line) as { flushedUntilUs: number; syslogLines: number };
    flushedUntilUs = report.flushedUntilUs;
    simulatorLines = report.syslogLines;
  });
  const exited = new Promise<number | null>((resolve) => simulator.once('exit', resolve));
  const failed = exited.then((code) => Promise.reject(new Error(`the soak simulator ended (exit code ${code})`)));
  failed.catch(() => undefined);
  const writer = new InfluxWriter(client, { database: outputDb, batchSize: PIPELINE_PAGE_LINES, onFailure: 'drop' });
  try {
    const stage = createTriageLogStage({
      client,
      inputDb,
      outputDb,
      stateDir: join(input.workDir, 'state'),
      inventory,
      classifier: input.classifier,
      writer,
      clock: { nowMs: () => flushedUntilUs / 1000 },
      settleMs: 0,
      days: 0,
    });
    let lines = 0;
    let memoryStart: NodeJS.MemoryUsage | undefined;
    let memoStart: LineMemoStats | undefined;
    let spacesStart: HeapSpaceInfo[] | undefined;
    let cpuStart = process.cpuUsage();
    let linesAtStart = 0;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const rssSamples: Array<[number, number]> = [];
    const sampler = setInterval(() => rssSamples.push([elapsed(), process.memoryUsage.rss()]), RSS_SAMPLE_MS);
    sampler.unref();
    while (elapsed() < input.seconds) {
      const n = await Promise.race([stage.tick(), failed]);
      lines += n;
      if (!memoryStart && elapsed() >= input.seconds / 10) {
        memoryStart = process.memoryUsage();
        memoStart = memoStatsOf(input.classifier);
        spacesStart = getHeapSpaceStatistics();
        heapSnapshot(input.heapSnapshotDir, 'soak-tenth');
        cpuStart = process.cpuUsage();
        linesAtStart = lines;
      }
      if (n === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = elapsed();
    clearInterval(sampler);
    const memoryEnd = process.memoryUsage();
    rssSamples.push([seconds, memoryEnd.rss]);
    const { early: rssEarly, late: rssLate } = rssWindows(rssSamples, input.seconds);
    const cpu = process.cpuUsage(cpuStart);
    const memoEnd = memoStatsOf(input.classifier);
    const spacesEnd = getHeapSpaceStatistics();
    heapSnapshot(input.heapSnapshotDir, 'soak-end');
    memoryStart ??= memoryEnd;
    const lagUs = flushedUntilUs - (stage.watermarkUs ?? startUs);
    return {
      lines,
      seconds,
      simulatorLines,
      rssStartBytes: memoryStart.rss,
      rssEndBytes: memoryEnd.rss,
      memoryStart,
      memoryEnd,
      sampledLines: lines - linesAtStart,
      sampledCpuSeconds: (cpu.user + cpu.system) / 1e6,
      heapGrowthPercent: input.heapGrowthPercent ?? DEFAULT_HEAP_GROWTH_PERCENT,
      lagUs,
      speed,
      memoStart,
      memoEnd,
      spacesStart: spacesStart ?? spacesEnd,
      spacesEnd,
      rssEarly,
      rssLate,
    };
  } finally {
    simulator.kill('SIGTERM');
    await exited;
    for (const db of [inputDb, outputDb]) await client.query(undefined, `DROP DATABASE ${quoteIdentifier(db)}`);
  }
}

function heapSnapshot(dir: string | undefined, name: string): void {
  if (dir !== undefined) say(`heap snapshot: ${writeHeapSnapshot(join(dir, `${name}.heapsnapshot`))}`);
}

export function reportSoak(result: SoakResult): void {
  const growth = result.rssEndBytes / result.rssStartBytes - 1;
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  say(
    `soak (simulator process writing syslog live at ${fmt(result.speed)}× real time, pipeline with triage and ` +
      `the ONNX models following): ${fmt(result.lines)} lines processed in ${result.seconds.toFixed(0)} s = ` +
      `${fmt(result.lines / result.seconds)} lines/s; the simulator wrote ${fmt(result.simulatorLines)} lines ` +
      `(${fmt(result.simulatorLines / result.seconds)} lines/s)`
  );
  say(
    `soak RSS: ${mb(result.rssStartBytes)} after the first tenth, ${mb(result.rssEndBytes)} at the end ` +
      `(growth ${percent(growth)}, ${growth < TARGET_RSS_GROWTH ? 'meets' : 'MISSES'} the < ${percent(TARGET_RSS_GROWTH, 0)} target); ` +
      `lag at the end: the watermark ${(result.lagUs / 1e6).toFixed(0)} s of simulated time behind the simulator's ` +
      `flushed time = ${(result.lagUs / 1e6 / result.speed).toFixed(1)} s of real time`
  );
  const { rssEarly: early, rssLate: late } = result;
  say(
    `soak RSS over the tenth after the first → over the last tenth (sampled every ${RSS_SAMPLE_MS} ms, ` +
      `${early.samples} and ${late.samples} samples): peak ${mb(early.peakBytes)} → ${mb(late.peakBytes)} ` +
      `(${percent(late.peakBytes / early.peakBytes - 1)}), mean ${mb(early.meanBytes)} → ${mb(late.meanBytes)} ` +
      `(${percent(late.meanBytes / early.meanBytes - 1)})`
  );
  const parts = (m: NodeJS.MemoryUsage) =>
    `V8 heap ${mb(m.heapUsed)} used of ${mb(m.heapTotal)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)}), ` +
    `other native ${mb(m.rss - m.heapTotal - m.external)}`;
  say(
    `soak memory after the first tenth: ${parts(result.memoryStart)}; at the end: ${parts(result.memoryEnd)}; ` +
      `CPU from the tenth to the end: ${((result.sampledCpuSeconds / result.sampledLines) * 1e6).toFixed(0)} µs/line ` +
      `(${fmt(result.sampledLines)} lines), V8 heap growth bound ${result.heapGrowthPercent} %, ` +
      `node flags: ${process.execArgv.join(' ') || 'none'} (the service's image runs with --initial-old-space-size=128)`
  );
  const spaces = result.spacesEnd.map((end) => {
    const start = result.spacesStart.find((s) => s.space_name === end.space_name);
    const used = (s: HeapSpaceInfo | undefined) => mb(s?.space_used_size ?? 0).replace(' MB', '');
    return `${end.space_name.replace(/_space$/, '')} ${used(start)}/${mb(start?.space_size ?? 0)} → ${used(end)}/${mb(end.space_size)}`;
  });
  say(`soak V8 heap by space (used/size, the tenth → the end): ${spaces.join(', ')}`);
  if (result.memoEnd) {
    const rate = (hits: number, lookups: number) => (lookups > 0 ? percent(hits / lookups) : 'n/a');
    for (const [model, end] of Object.entries(result.memoEnd)) {
      const start = result.memoStart?.[model];
      const lookups = end.lookups - (start?.lookups ?? 0);
      const hits = end.hits - (start?.hits ?? 0);
      const explained = end.explanations.lookups - (start?.explanations.lookups ?? 0);
      const explainHits = end.explanations.hits - (start?.explanations.hits ?? 0);
      say(
        `soak ${model} prediction memo from the tenth to the end: ${fmt(end.inputs - (start?.inputs ?? 0))} inputs, ` +
          `${fmt(lookups)} distinct per batch looked up, hit rate ${rate(hits, lookups)}, ` +
          `${fmt(end.evictions - (start?.evictions ?? 0))} evicted; entries ${fmt(start?.size ?? 0)} → ${fmt(end.size)} ` +
          `of ${fmt(end.capacity)} (keys ${end.size > 0 ? (end.keyChars / end.size).toFixed(0) : 0} code units on average); explanations hit rate ${rate(explainHits, explained)}, ` +
          `${fmt(start?.explanations.size ?? 0)} → ${fmt(end.explanations.size)} kept`
      );
    }
  }
}

/** The speed benches' data: `days` of the 4-site simulation (seed 42) ending at `endUs`, written to `inputDb`. */
export async function backfillSpeedData(
  client: InfluxClient,
  inputDb: string,
  days: number,
  endUs: number,
  onProgress?: (p: BackfillProgress) => void
) {
  const inventory = generateInventory({ seed: 42, sites: 4 });
  const incidents: GroundTruthIncident[] = [];
  const backfill = await runBackfill(
    {
      seed: 42,
      days,
      endUs,
      inventory,
      truth: { writeIncidents: async (found) => void incidents.push(...found), writeEvents: async () => undefined },
    },
    new InfluxWriter(client, { database: inputDb, batchSize: PIPELINE_PAGE_LINES }),
    onProgress
  );
  return { inventory, incidents, backfill };
}

/** The serving path's line models, trained as the demo trains them but on the period before the measured one. */
export async function trainLineModels(
  inventory: Inventory,
  endUs: number,
  days: number,
  registryDir: string,
  by = 'npm run bench:speed'
) {
  const started = performance.now();
  await trainLineModelsOnSimulation(inventory, endUs, days, registryDir, { by });
  const served = await loadServingModels(registryDir, createLogger('silent'));
  if (!served.lines) throw new Error('the trained line models could not be loaded');
  return { classifier: served.lines, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const days = Number(process.env.BENCH_DAYS ?? 7);
  const soakSeconds = Number(process.env.BENCH_SOAK_S ?? 300);
  if (!(days > 0) || !(soakSeconds >= 0)) {
    process.stderr.write('bench:speed: BENCH_DAYS must be a positive number and BENCH_SOAK_S zero or more\n');
    process.exitCode = 2;
    return;
  }
  say(`NOC AI speed bench: ${new Date().toISOString()}, node ${process.version}, ${days} simulated days`);
  let influxd: LocalInfluxd | undefined;
  const url = process.env.INFLUX_URL ?? (influxd = await startLocalInfluxd()).url;
  const client = new InfluxClient({ url, token: process.env.INFLUX_TOKEN, timeoutMs: 60_000 });
  const workDir = mkdtempSync(join(tmpdir(), 'nocai-bench-speed-'));
  const databases: string[] = [];
  const database = async (name: string) => {
    const db = `${name}_${Date.now()}`;
    databases.push(db);
    await client.createDatabase(db);
    return db;
  };
  try {
    const inputDb = await database('bench_speed_telegraf');
    const endUs = Date.now() * 1000;
    progress(`backfilling ${days} simulated days`);
    const { inventory, incidents, backfill } = await backfillSpeedData(client, inputDb, days, endUs);
    say(`backfill: ${fmt(backfill.syslogLines)} syslog lines among ${fmt(backfill.points)} points`);

    const fromUs = endUs - (days + 1) * 86_400_000_000;
    const scratchDb = await database('bench_speed_copy');
    const { result: influx, cpu: influxCpu } = await withCpu(influxd?.pid, () =>
      measureInfluxReadWrite({ client, inputDb, scratchDb, fromUs, toUs: endUs })
    );
    influx.cpu = influxCpu;
    say(
      `InfluxDB's own read+write (${fmt(PIPELINE_PAGE_LINES)}-line pages, the SyslogSource's query, one point per line ` +
        `by the pipeline's writer): ${fmt(influx.lines)} lines in ${influx.seconds.toFixed(1)} s = ` +
        `${fmt(linesPerSecond(influx))} lines/s${cpuText(influx)}`
    );
    const pipeline = async (label: string, classifier: LineClassifier) => {
      progress(`pipeline with triage (${label})`);
      const result = await measureNoiseCompression({
        client,
        inputDb,
        outputDb: await database('bench_speed_aiops'),
        stateDir: join(workDir, `state-${databases.length}`),
        inventory,
        endUs,
        days,
        incidents,
        classifier,
        influxdPid: influxd?.pid,
      });
      const figure: RateFigure = { lines: result.lines, seconds: result.seconds, cpu: result.cpu };
      return { figure, tickets: result.tickets.length };
    };
    const rule = await pipeline('rule classifier', ruleLineClassifier);
    progress('training the line models on the period before the measured one');
    const trained = await trainLineModels(inventory, endUs - days * 86_400_000_000, days, join(workDir, 'models'));
    const onnx = await pipeline('ONNX line models', trained.classifier);
    reportRatio(`pipeline with triage, rule classifier (${rule.tickets} tickets)`, rule.figure, influx);
    reportRatio(`pipeline with triage, ONNX line models (${onnx.tickets} tickets)`, onnx.figure, influx, TARGET_RATIO);

    if (soakSeconds > 0) {
      progress(`soak for ${soakSeconds} s`);
      const result = await soak({
        client,
        influxUrl: url,
        influxToken: process.env.INFLUX_TOKEN,
        inventory,
        classifier: trained.classifier,
        linesPerSecond: linesPerSecond(onnx.figure),
        simulatedLinesPerSecond: backfill.syslogLines / (days * 86_400),
        seconds: soakSeconds,
        workDir: join(workDir, 'soak'),
        heapSnapshotDir: process.env.BENCH_HEAP_SNAPSHOT || undefined,
        heapGrowthPercent: process.env.BENCH_HEAP_GROWTH_PERCENT
          ? Number(process.env.BENCH_HEAP_GROWTH_PERCENT)
          : undefined,
      });
      reportSoak(result);
    }
  } finally {
    for (const db of databases)
      await client.query(undefined, `DROP DATABASE ${quoteIdentifier(db)}`).catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
    await influxd?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:speed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
