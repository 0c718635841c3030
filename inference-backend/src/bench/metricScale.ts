import type { MetricSample } from '../adapters/influx/metricSource';
import { createSeriesDetector } from '../domain/timeseries/seriesDetector';
import { MemorySink, MemoryStore } from '../pipeline/memoryPorts';
import { DEFAULT_METRIC_STAGE_OPTIONS, METRIC_STAGE_STATE_KEY, MetricStage } from '../pipeline/metricStage';
import { Rng } from '../simulator/random';
import { say } from './report';

const MINUTE_MS = 60_000;
/** The scale issue 10 asks the live stage to keep up with. */
const TARGET = { hosts: 5000, metricsPerHost: 10, intervalS: 10 };

export interface MetricScaleResult {
  series: number;
  /** Wall time of one live minute (every series' samples of that minute scored, state saved). */
  secondsPerMinute: number;
  /** Of that, saving the state (JSON, as the file store writes it). */
  saveSecondsPerMinute: number;
  stateBytesPerSeries: number;
}

/**
 * The metric stage's live cost, measured without InfluxDB (an in-memory source and sink, a store
 * that serialises to JSON like the file store): `hosts` × `metricsPerHost` series sampled every
 * `intervalS`, a warm-up of a day and an hour (the detector's windows hold a day of 1-minute
 * buckets: its state is full from then on), then `minutes` one-minute ticks timed as the scheduler
 * runs them live. The target is 5,000 hosts × 10 metrics every 10 s; the figure is measured on fewer series
 * and scaled linearly (detector work and state size are per series).
 */
export async function benchMetricScale(
  hosts = 20,
  metricsPerHost = 10,
  intervalS = 10,
  minutes = 10,
  warmUpHours = 25
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
  let saveMs = 0;
  const timedStore = {
    load: <T>(key: string) => store.load<T>(key),
    save: async <T>(key: string, value: T) => {
      const began = performance.now();
      await store.save(key, value);
      saveMs += performance.now() - began;
    },
  };
  const now = { value: t0 + warmUpHours * 60 * MINUTE_MS };
  const stage = new MetricStage({
    source,
    sink: new MemorySink(),
    store: timedStore,
    clock: { nowMs: () => now.value },
    detector: createSeriesDetector(),
    options: { ...DEFAULT_METRIC_STAGE_OPTIONS, settleMs: 0, startLookbackMs: warmUpHours * 60 * MINUTE_MS },
  });
  while ((await stage.tick()) > 0) {
    // the warm-up: a day fills every series' windows, as in steady operation
  }
  saveMs = 0;
  const began = performance.now();
  for (let m = 0; m < minutes; m++) {
    now.value += MINUTE_MS;
    await stage.tick();
  }
  const seconds = (performance.now() - began) / 1000;
  const stateBytes = (store.saved.get(METRIC_STAGE_STATE_KEY) ?? '').length;
  return {
    series: series.length,
    secondsPerMinute: seconds / minutes,
    saveSecondsPerMinute: saveMs / 1000 / minutes,
    stateBytesPerSeries: stateBytes / series.length,
  };
}

/** Prints the live metric stage's cost and what it means for the target scale. */
export async function reportMetricScale(): Promise<void> {
  const r = await benchMetricScale();
  const targetSeries = TARGET.hosts * TARGET.metricsPerHost;
  const scale = targetSeries / r.series;
  const projected = r.secondsPerMinute * scale;
  const stateGb = (r.stateBytesPerSeries * targetSeries) / 1e9;
  say(
    `Metric stage live cost (${r.series} series, 10-s samples scored in 1-min buckets, no InfluxDB I/O): ` +
      `${r.secondsPerMinute.toFixed(2)} s per live minute (${r.saveSecondsPerMinute.toFixed(2)} s of it saving the state), ` +
      `${Math.round(r.stateBytesPerSeries).toLocaleString('en-US')} bytes of state per series. ` +
      `Scaled to ${TARGET.hosts} hosts × ${TARGET.metricsPerHost} metrics every ${TARGET.intervalS} s (${targetSeries} series): ` +
      `${projected.toFixed(0)} s per minute of data (${(60 / projected).toFixed(2)}× real time; target ≥ 1×) ` +
      `and ${stateGb.toFixed(1)} GB of state: ${projected <= 60 && stateGb < 2 ? 'keeps up' : 'does NOT keep up'}`
  );
}
