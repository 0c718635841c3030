import type { MetricSample } from '../adapters/influx/metricSource';
import { createSeriesDetector } from '../domain/timeseries/seriesDetector';
import { MemoryStore } from '../pipeline/memoryPorts';
import { DEFAULT_METRIC_STAGE_OPTIONS, METRIC_STAGE_STATE_KEY, MetricStage } from '../pipeline/metricStage';
import { Rng } from '../simulator/random';
import { say } from './report';

const MINUTE_MS = 60_000;
/** The scale issue 10 asks the live stage to keep up with. */
const TARGET = { hosts: 5000, metricsPerHost: 10, intervalS: 10 };

export interface MetricScaleResult {
  series: number;
  /** Wall time of one live minute (every series' samples of that minute scored; saves excluded). */
  secondsPerMinute: number;
  /** Raw samples (one per series every intervalS) scored per second of that time. */
  samplesPerSecond: number;
  /** Wall time of one save of every model (the stage saves every checkpointMs, 10 minutes by default). */
  saveSeconds: number;
  /** Typed arrays of the models in memory, per series. */
  memoryBytesPerSeries: number;
  /** The saved state (head and shards, JSON as the file store writes it), per series. */
  savedBytesPerSeries: number;
  /**
   * Resident set size with the models alive, before the save (whose JSON is transient), after a
   * garbage collection when node runs with --expose-gc.
   */
  rssBytes: number;
  /** Live JS heap and typed-array buffers at that point (what the process holds, less allocator slack). */
  liveBytes: number;
  rssAfterGc: boolean;
}

/**
 * The metric stage's live cost, measured without InfluxDB (an in-memory source and sink, a store
 * that serialises to JSON like the file store): `hosts` × `metricsPerHost` series sampled every
 * `intervalS`, a warm-up of `warmUpHours` (73: the evidence ring holds 3 days of 1-minute buckets,
 * so the saved state is at its full size; the memory is allocated at full size from the start),
 * then `minutes` one-minute ticks timed as the scheduler runs them live, and one save timed apart.
 * The target is 5,000 hosts × 10 metrics every 10 s; the figures are measured on fewer series and
 * scaled linearly (detector work and state size are per series).
 */
export async function benchMetricScale(
  hosts = 10,
  metricsPerHost = 10,
  intervalS = 10,
  minutes = 10,
  warmUpHours = 73
): Promise<MetricScaleResult> {
  const rng = new Rng(5);
  const series = Array.from({ length: hosts * metricsPerHost }, (_, i) => ({
    host: `host-${Math.floor(i / metricsPerHost)}`,
    metric: `bench.m${i % metricsPerHost}`,
    level: rng.range(10, 90),
    amplitude: rng.range(1, 10),
    phase: rng.range(0, 2 * Math.PI),
  }));
  const t0 = Date.UTC(2024, 0, 1);
  const source = {
    async read(fromUs: number, toUs: number): Promise<MetricSample[]> {
      const out: MetricSample[] = [];
      const stepUs = intervalS * 1_000_000;
      for (let t = Math.floor(fromUs / stepUs) * stepUs + stepUs; t <= toUs; t += stepUs) {
        const day = (2 * Math.PI * (t / 1000 - t0)) / 86_400_000;
        for (const s of series) {
          out.push({
            metric: s.metric,
            host: s.host,
            instance: '',
            timeUs: t,
            value: s.level + s.amplitude * Math.sin(day + s.phase) + rng.normal(),
            counter: false,
          });
        }
      }
      return out;
    },
  };
  const store = new MemoryStore();
  const now = { value: t0 + warmUpHours * 60 * MINUTE_MS };
  const stage = new MetricStage({
    source,
    // Points go to InfluxDB in production: kept here, they would count in the RSS.
    sink: { write: async () => undefined, flush: async () => undefined, close: async () => undefined },
    store,
    clock: { nowMs: () => now.value },
    detector: createSeriesDetector(),
    // Saves are timed apart (checkpoint below): the live minutes measure scoring alone.
    options: {
      ...DEFAULT_METRIC_STAGE_OPTIONS,
      settleMs: 0,
      startLookbackMs: warmUpHours * 60 * MINUTE_MS,
      checkpointMs: Number.MAX_SAFE_INTEGER,
    },
  });
  while ((await stage.tick()) > 0) {
    // the warm-up fills every series' windows, as in steady operation
  }
  const began = performance.now();
  for (let m = 0; m < minutes; m++) {
    now.value += MINUTE_MS;
    await stage.tick();
  }
  const seconds = (performance.now() - began) / 1000;
  const rss = residentSetSize();
  const saveBegan = performance.now();
  await stage.checkpoint();
  const saveSeconds = (performance.now() - saveBegan) / 1000;
  const head = JSON.parse(store.saved.get(METRIC_STAGE_STATE_KEY) ?? '{}') as { generation: number; shards: number };
  let savedBytes = (store.saved.get(METRIC_STAGE_STATE_KEY) ?? '').length;
  for (let shard = 0; shard < head.shards; shard++) {
    savedBytes += (store.saved.get(`${METRIC_STAGE_STATE_KEY}-${head.generation % 2 ? 'b' : 'a'}-${shard}`) ?? '')
      .length;
  }
  return {
    series: series.length,
    secondsPerMinute: seconds / minutes,
    samplesPerSecond: (series.length * (60 / intervalS) * minutes) / seconds,
    saveSeconds,
    memoryBytesPerSeries: (stage.modelBytes ?? 0) / series.length,
    savedBytesPerSeries: savedBytes / series.length,
    ...rss,
  };
}

/** The warm-up's samples are garbage by now: collected first when node exposes its collector. */
function residentSetSize(): { rssBytes: number; liveBytes: number; rssAfterGc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, liveBytes: usage.heapUsed + usage.arrayBuffers, rssAfterGc: gc !== undefined };
}

/** Prints the live metric stage's cost and what it means for the target scale. */
export async function reportMetricScale(hosts?: number): Promise<void> {
  const r = await benchMetricScale(hosts);
  const targetSeries = TARGET.hosts * TARGET.metricsPerHost;
  const neededPerSecond = targetSeries / TARGET.intervalS;
  const scale = targetSeries / r.series;
  const projected = r.secondsPerMinute * scale;
  const saveSeconds = r.saveSeconds * scale;
  const checkpointMinutes = DEFAULT_METRIC_STAGE_OPTIONS.checkpointMs / MINUTE_MS;
  const busy = (projected * checkpointMinutes + saveSeconds) / (60 * checkpointMinutes);
  const memoryGb = (r.memoryBytesPerSeries * targetSeries) / 1e9;
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
  say(
    `Metric stage live cost (${r.series} series, 10-s samples scored in 1-min buckets, no InfluxDB I/O): ` +
      `${r.secondsPerMinute.toFixed(3)} s per live minute, ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} samples/s; ` +
      `state per series ${kb(r.memoryBytesPerSeries)} in memory, ${kb(r.savedBytesPerSeries)} saved; ` +
      `one save of all models ${r.saveSeconds.toFixed(2)} s (every ${checkpointMinutes} min); RSS ${(r.rssBytes / 1e6).toFixed(0)} MB${r.rssAfterGc ? ' after GC' : ' (warm-up garbage included)'}, ` +
      `of which live heap and buffers ${(r.liveBytes / 1e6).toFixed(0)} MB. ` +
      `Scaled to ${TARGET.hosts} hosts × ${TARGET.metricsPerHost} metrics every ${TARGET.intervalS} s (${targetSeries} series, ` +
      `${neededPerSecond.toLocaleString('en-US')} samples/s needed): ${projected.toFixed(1)} s of scoring per minute and ` +
      `${saveSeconds.toFixed(0)} s per save, busy ${(100 * busy).toFixed(0)}% of the time ` +
      `(${(1 / busy).toFixed(1)}× real time; target ≥ 1×), ${memoryGb.toFixed(1)} GB of models in memory: ` +
      `${busy <= 1 ? 'keeps up' : 'does NOT keep up'}`
  );
}
