import { ALERT_THRESHOLDS } from '@nocai/contract';
import type { MetricSample } from '../adapters/influx/metricSource';
import { DEFAULT_METRIC_STAGE_OPTIONS, MetricStage, type SeriesDetector, type SkipReason } from './metricStage';
import { MemorySink, MemoryStore } from './memoryPorts';
import { createSeriesDetector, liveScore } from '../domain/timeseries/seriesDetector';

const MINUTE_MS = 60_000;
const T0_MS = Date.UTC(2024, 2, 1);

/** A transparent detector for the stage's logic: the mean of the values so far, score |x − mean| / 10. */
const meanDetector: SeriesDetector<{ n: number; sum: number }> = {
  name: 'test-mean',
  version: 'v1',
  create: () => ({ n: 0, sum: 0 }),
  update(state, _timeMs, value) {
    const expected = state.n ? state.sum / state.n : value;
    state.n++;
    state.sum += value;
    if (state.n < 3) return undefined;
    return { score: Math.min(1, Math.abs(value - expected) / 10), expected, lower: expected - 5, upper: expected + 5 };
  },
};

/** Samples of one series every minute from T0; `values[i]` at minute i + 1. */
function series(
  metric: string,
  host: string,
  values: Array<number | null>,
  options: { counter?: boolean; instance?: string } = {}
) {
  return values.map((value, i): MetricSample => ({
    metric,
    host,
    instance: options.instance ?? '',
    timeUs: (T0_MS + (i + 1) * MINUTE_MS) * 1000,
    value,
    counter: options.counter ?? false,
  }));
}

function setup(
  samples: MetricSample[],
  nowMs: number,
  options: Partial<typeof DEFAULT_METRIC_STAGE_OPTIONS> = {},
  devices: Array<{ host: string; site: string; kind: string }> = [{ host: 'srv-1', site: 'hosp-01', kind: 'server' }]
) {
  const clock = {
    now: nowMs,
    nowMs() {
      return this.now;
    },
  };
  const sink = new MemorySink();
  const store = new MemoryStore();
  const skipped: SkipReason[] = [];
  const reads: Array<[number, number]> = [];
  const make = <S = { n: number; sum: number }>(detector: SeriesDetector<S> = meanDetector as never) =>
    new MetricStage<S>({
      source: {
        read: async (fromUs, toUs) => {
          reads.push([fromUs, toUs]);
          return samples.filter((s) => s.timeUs > fromUs && s.timeUs <= toUs).sort((a, b) => a.timeUs - b.timeUs);
        },
      },
      sink,
      store,
      clock,
      detector,
      inventory: {
        sites: [
          { id: 'hosp-01', name: 'Hospital', kind: 'hospital' },
          { id: 'fact-01', name: 'Factory', kind: 'factory' },
        ],
        devices,
      } as never,
      options: {
        ...DEFAULT_METRIC_STAGE_OPTIONS,
        settleMs: 0,
        startLookbackMs: 0,
        resolutionMs: 0,
        learnMs: 0,
        checkpointMs: 0,
        ...options,
      },
      hooks: { onSkipped: (reason) => skipped.push(reason) },
    });
  return { clock, sink, store, skipped, reads, make };
}

async function drain(stage: MetricStage<unknown>) {
  while ((await stage.tick()) > 0);
}

describe('MetricStage', () => {
  it('When a series is scored, then each sample after warm-up becomes one aiops_anomalies point with the band and the device', async () => {
    const samples = series('mem.used_percent', 'srv-1', [50, 50, 50, 50, 80]);
    const { sink, make } = setup(samples, T0_MS + 10 * MINUTE_MS, { startLookbackMs: 10 * MINUTE_MS });
    await drain(make() as MetricStage<unknown>);
    expect(sink.points).toHaveLength(3);
    const last = sink.points[2];
    expect(last).toMatchObject({
      measurement: 'aiops_anomalies',
      tags: {
        host: 'srv-1',
        site: 'hosp-01',
        device_kind: 'server',
        metric: 'mem.used_percent',
        detector: 'test-mean',
      },
      fields: { value: 80, expected: 50, lower: 45, upper: 55, score: 1, model_version: 'v1' },
      timeUs: samples[4].timeUs,
    });
  });

  it('When the backlog is longer than a window, then ticks walk it window by window and report more work until caught up', async () => {
    const samples = series(
      'mem.used_percent',
      'srv-1',
      Array.from({ length: 30 }, () => 40)
    );
    const { make, reads, sink } = setup(samples, T0_MS + 31 * MINUTE_MS, {
      startLookbackMs: 31 * MINUTE_MS,
      windowMs: 10 * MINUTE_MS,
    });
    const stage = make();
    expect(await stage.tick()).toBe(1);
    expect(await stage.tick()).toBe(1);
    expect(await stage.tick()).toBe(1);
    expect(await stage.tick()).toBe(0);
    expect(reads.map(([a, b]) => (b - a) / 1000 / MINUTE_MS)).toEqual([10, 10, 10, 1]);
    expect(sink.points).toHaveLength(28);
  });

  it('When a counter grows, then its rate per second is scored, and a reset (reboot) is skipped instead of scored as a drop', async () => {
    // 600 bytes a minute = 10 B/s, then the counter restarts from 0.
    const totals = [0, 600, 1200, 1800, 2400, 3000, 0, 600, 1200];
    const { sink, make, skipped } = setup(
      series('net.bytes_recv', 'srv-1', totals, { counter: true }),
      T0_MS + 20 * MINUTE_MS,
      {
        startLookbackMs: 20 * MINUTE_MS,
      }
    );
    await drain(make() as MetricStage<unknown>);
    expect(skipped).toEqual(['counter_reset']);
    expect(sink.points.map((p) => p.fields.value)).toEqual([10, 10, 10, 10, 10]);
    expect(sink.points.every((p) => p.fields.score === 0)).toBe(true);
  });

  it('When a value is missing or not finite, then it is skipped with a reason and never written as NaN', async () => {
    const { sink, make, skipped } = setup(
      series('cpu.usage_idle', 'srv-1', [90, null, 90, Number.NaN, 90, 90]),
      T0_MS + 10 * MINUTE_MS,
      {
        startLookbackMs: 10 * MINUTE_MS,
      }
    );
    await drain(make() as MetricStage<unknown>);
    expect(skipped).toEqual(['not_a_number', 'not_a_number']);
    for (const p of sink.points)
      for (const v of Object.values(p.fields)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  });

  it('When the write fails, then the models and watermark stay as committed, and the retry writes exactly the points a clean run writes', async () => {
    const samples = series('sensors.temperature_c', 'srv-1', [20, 21, 20, 22, 21, 35, 20, 21]);
    const clean = setup(samples, T0_MS + 10 * MINUTE_MS, { startLookbackMs: 10 * MINUTE_MS, windowMs: 4 * MINUTE_MS });
    await drain(clean.make() as MetricStage<unknown>);

    const faulty = setup(samples, T0_MS + 10 * MINUTE_MS, { startLookbackMs: 10 * MINUTE_MS, windowMs: 4 * MINUTE_MS });
    const first = faulty.make();
    await first.tick();
    faulty.sink.failNextFlush = true;
    await expect(first.tick()).rejects.toThrow('InfluxDB is down');
    // A restart after the failure reloads the committed state.
    await drain(faulty.make() as MetricStage<unknown>);
    expect(faulty.sink.points).toEqual(clean.sink.points);
  });

  it('When the models are saved every 10 minutes and a write fails between saves, then the restart replays from the save and InfluxDB ends with the points of a clean run', async () => {
    const values = Array.from({ length: 30 }, (_, i) => 20 + (i % 4) + (i === 17 ? 30 : 0));
    const samples = series('sensors.temperature_c', 'srv-1', values);
    const options = { startLookbackMs: 31 * MINUTE_MS, windowMs: 4 * MINUTE_MS, checkpointMs: 10 * MINUTE_MS };
    const clean = setup(samples, T0_MS + 31 * MINUTE_MS, options);
    await drain(clean.make() as MetricStage<unknown>);

    const faulty = setup(samples, T0_MS + 31 * MINUTE_MS, options);
    const first = faulty.make();
    for (let i = 0; i < 4; i++) await first.tick();
    const savedAt = JSON.parse(faulty.store.saved.get('metric-stage') ?? '{}').watermarkUs;
    faulty.sink.failNextFlush = true;
    await expect(first.tick()).rejects.toThrow('InfluxDB is down');
    await drain(faulty.make() as MetricStage<unknown>);
    // Saved after 12 minutes (three 4-minute windows), not after every window.
    expect(savedAt).toBe((T0_MS + 12 * MINUTE_MS) * 1000);
    // InfluxDB keeps the last write of each point (same series, same time): the replay rewrote the same values.
    const lastWrite = (points: typeof clean.sink.points) => new Map(points.map((p) => [p.timeUs, p.fields]));
    expect(lastWrite(faulty.sink.points)).toEqual(lastWrite(clean.sink.points));
    expect(faulty.sink.points.length).toBeGreaterThan(clean.sink.points.length);
  });

  it('When the stage models more series than one shard holds, then the state is saved in shards and a restart resumes every model', async () => {
    const hosts = Array.from({ length: 2100 }, (_, i) => `srv-${i}`);
    const samples = hosts.flatMap((host) => series('mem.used_percent', host, [50, 50, 50, 50, 80]));
    const { store, make } = setup(samples, T0_MS + 10 * MINUTE_MS, {
      startLookbackMs: 10 * MINUTE_MS,
      windowMs: 3 * MINUTE_MS,
    });
    const stage = make();
    await stage.tick();
    expect(JSON.parse(store.saved.get('metric-stage') ?? '{}')).toMatchObject({ shards: 2 });
    const restarted = make();
    await drain(restarted as MetricStage<unknown>);
    expect(restarted.seriesCount).toBe(2100);
  });

  it('When the stage runs the anomaly detector and restarts from its saved state, then it writes the points of a run without restart', async () => {
    const values = Array.from({ length: 90 }, (_, i) => 40 + 5 * Math.sin(i / 7) + (i === 70 ? 25 : 0));
    const samples = series('sensors.temperature_c', 'srv-1', values);
    const options = { startLookbackMs: 91 * MINUTE_MS, windowMs: 20 * MINUTE_MS };
    const once = setup(samples, T0_MS + 91 * MINUTE_MS, options);
    await drain(once.make(createSeriesDetector()) as MetricStage<unknown>);
    const restarted = setup(samples, T0_MS + 91 * MINUTE_MS, options);
    const first = restarted.make(createSeriesDetector());
    await first.tick();
    await first.tick();
    await drain(restarted.make(createSeriesDetector()) as MetricStage<unknown>);
    expect(once.sink.points.length).toBeGreaterThan(40);
    expect(restarted.sink.points).toEqual(once.sink.points);
  });

  it('When the state was saved by version 1 (one JSON value with the models), then the stage resumes from it', async () => {
    const samples = series('mem.used_percent', 'srv-1', [50, 50, 50, 50, 80]);
    const { sink, store, make } = setup(samples, T0_MS + 10 * MINUTE_MS, { startLookbackMs: 10 * MINUTE_MS });
    const watermarkUs = samples[2].timeUs;
    const model = { n: 3, sum: 150 };
    store.saved.set(
      'metric-stage',
      JSON.stringify({
        watermarkUs,
        series: {
          'mem.used_percent|srv-1|': {
            lastUs: watermarkUs,
            firstUs: samples[0].timeUs,
            model,
            above: 0,
            alarmed: false,
          },
        },
      })
    );
    await drain(make() as MetricStage<unknown>);
    expect(sink.points.map((p) => [p.fields.value, p.fields.expected])).toEqual([
      [50, 50],
      [80, 50],
    ]);
  });

  it('When scores stay high for alarmSamples samples, then one alarm marks the episode start, and none again until it calms down', async () => {
    const values = [10, 10, 10, ...Array.from({ length: 8 }, () => 200), 10, 10];
    const { sink, make } = setup(series('sensors.temperature_c', 'srv-1', values), T0_MS + 20 * MINUTE_MS, {
      startLookbackMs: 20 * MINUTE_MS,
      alarmSamples: 3,
    });
    await drain(make() as MetricStage<unknown>);
    const alarms = sink.points.filter((p) => p.fields.alarm === true);
    expect(alarms).toHaveLength(1);
    expect(alarms[0].timeUs).toBe(series('x', 'h', values)[5].timeUs);
  });

  it('When a series alarms only on a rise, then a fall scored as high opens no episode and a rise does', async () => {
    const fall = series('disk.used_percent', 'srv-1', [60, 60, 60, ...Array.from({ length: 8 }, () => 20)]).map((s) => ({
      ...s,
      alarmOn: 'rise' as const,
    }));
    const rise = series('disk.used_percent', 'srv-1', [60, 60, 60, ...Array.from({ length: 8 }, () => 99)], {
      instance: '/var',
    }).map((s) => ({ ...s, alarmOn: 'rise' as const }));
    const { sink, make } = setup([...fall, ...rise], T0_MS + 20 * MINUTE_MS, { startLookbackMs: 20 * MINUTE_MS, alarmSamples: 3 });
    await drain(make() as MetricStage<unknown>);
    const scored = (instance: string) => sink.points.filter((p) => p.tags.instance === instance);
    // The clean-up is still scored as unusual (Grafana shows it), it just pages nobody.
    expect(scored('').some((p) => Number(p.fields.score) >= ALERT_THRESHOLDS.anomalyScore)).toBe(true);
    expect(scored('').filter((p) => p.fields.alarm === true)).toHaveLength(0);
    expect(scored('/var').filter((p) => p.fields.alarm === true)).toHaveLength(1);
  });

  it('When an episode goes on, then an alarm repeats every alarmRepeatMs while the score stays high, so its incident stays active', async () => {
    const values = [10, 10, 10, ...Array.from({ length: 40 }, (_, i) => 200 + 100 * i)];
    const { sink, make } = setup(series('sensors.temperature_c', 'srv-1', values), T0_MS + 60 * MINUTE_MS, {
      startLookbackMs: 60 * MINUTE_MS,
      alarmSamples: 3,
      alarmRepeatMs: 15 * MINUTE_MS,
    });
    await drain(make() as MetricStage<unknown>);
    const minutes = sink.points
      .filter((p) => p.fields.alarm === true)
      .map((p) => p.timeUs / 1000 / MINUTE_MS - T0_MS / MINUTE_MS);
    expect(minutes).toEqual([6, 21, 36]);
  });

  it('When samples come every 10 s, then each minute is scored once, as the mean of its samples, dated at the end of the minute', async () => {
    const samples: MetricSample[] = [];
    for (let i = 1; i <= 6 * 8; i++) {
      samples.push({
        metric: 'mem.used_percent',
        host: 'srv-1',
        instance: '',
        timeUs: (T0_MS + i * 10_000) * 1000,
        value: i % 6 === 0 ? 60 : 30,
        counter: false,
      });
    }
    const { sink, make } = setup(samples, T0_MS + 9 * MINUTE_MS + 30_000, {
      startLookbackMs: 9 * MINUTE_MS + 30_000,
      resolutionMs: MINUTE_MS,
    });
    await drain(make() as MetricStage<unknown>);
    // Minutes 1–8; the first two only teach the model (meanDetector scores from its third value).
    expect(sink.points.map((p) => [(p.timeUs / 1000 - T0_MS) / MINUTE_MS, p.fields.value])).toEqual(
      [3, 4, 5, 6, 7, 8].map((m) => [m, 35])
    );
  });

  it('When a series is new, then nothing is written until it has been learnt for learnMs, and the model keeps learning meanwhile', async () => {
    const { sink, make } = setup(
      series(
        'mem.used_percent',
        'srv-1',
        Array.from({ length: 20 }, () => 50)
      ),
      T0_MS + 30 * MINUTE_MS,
      {
        startLookbackMs: 30 * MINUTE_MS,
        learnMs: 10 * MINUTE_MS,
      }
    );
    await drain(make() as MetricStage<unknown>);
    expect(sink.points.map((p) => (p.timeUs / 1000 - T0_MS) / MINUTE_MS)).toEqual(
      Array.from({ length: 10 }, (_, i) => 11 + i)
    );
  });

  it('When a series falls silent for longer than forgetAfterMs, then its model is dropped, so state stays bounded as hosts come and go', async () => {
    const old = series('mem.used_percent', 'gone-1', [50, 50, 50]);
    const { make } = setup(old, T0_MS + 200 * MINUTE_MS, {
      startLookbackMs: 200 * MINUTE_MS,
      windowMs: 60 * MINUTE_MS,
      forgetAfterMs: 60 * MINUTE_MS,
    });
    const stage = make();
    await stage.tick();
    expect(stage.seriesCount).toBe(1);
    await drain(stage as MetricStage<unknown>);
    expect(stage.seriesCount).toBe(0);
  });

  it('When a disk and an interface of the same host are scored, then each instance keeps its own model and tag', async () => {
    const samples = [
      ...series('disk.used_percent', 'srv-1', [10, 10, 10, 10], { instance: '/' }),
      ...series('disk.used_percent', 'srv-1', [90, 90, 90, 90], { instance: '/var' }),
    ];
    const { sink, make } = setup(samples, T0_MS + 10 * MINUTE_MS, { startLookbackMs: 10 * MINUTE_MS });
    await drain(make() as MetricStage<unknown>);
    expect(sink.points.map((p) => [p.tags.instance, p.fields.expected])).toEqual([
      ['/', 10],
      ['/var', 90],
      ['/', 10],
      ['/var', 90],
    ]);
  });

  describe('peer consensus', () => {
    const plcs = ['plc-1', 'plc-2', 'plc-3', 'plc-4', 'plc-5'];
    const devices = plcs.map((host) => ({ host, site: 'fact-01', kind: 'plc' }));
    const rising = [10, 10, 10, ...Array.from({ length: 8 }, () => 200)];
    const calm = Array.from({ length: rising.length }, () => 10);
    const run = async (risers: string[], inventory = devices) => {
      const samples = plcs.flatMap((host) => series('sensors.power_w', host, risers.includes(host) ? rising : calm));
      const { sink, make } = setup(
        samples,
        T0_MS + 20 * MINUTE_MS,
        { startLookbackMs: 20 * MINUTE_MS, alarmSamples: 3 },
        inventory
      );
      await drain(make() as MetricStage<unknown>);
      return sink.points;
    };

    it('When most devices of a site rise together on a metric, then none opens an episode, and their points keep the raw score and how many deviated', async () => {
      const points = await run(['plc-1', 'plc-2', 'plc-3', 'plc-4']);
      expect(points.filter((p) => p.fields.alarm === true)).toHaveLength(0);
      const risen = points.filter((p) => p.tags.host === 'plc-1' && Number(p.fields.value) === 200);
      expect(risen.length).toBeGreaterThan(3);
      for (const p of risen) {
        expect(Number(p.fields.score)).toBeLessThan(ALERT_THRESHOLDS.anomalyScore);
        expect(Number(p.fields.raw_score)).toBeGreaterThanOrEqual(ALERT_THRESHOLDS.anomalyScore);
        expect(p.fields.peers_deviating).toBe(4);
      }
      // The calm device is untouched.
      expect(points.filter((p) => p.tags.host === 'plc-5').every((p) => p.fields.raw_score === undefined)).toBe(true);
    });

    it('When one device rises alone among calm peers, then it opens its episode as without peers', async () => {
      const points = await run(['plc-1']);
      expect(points.filter((p) => p.fields.alarm === true).map((p) => p.tags.host)).toEqual(['plc-1']);
      expect(points.some((p) => p.fields.raw_score !== undefined)).toBe(false);
    });

    it('When the devices rising together are too few or of other sites, then each opens its episode', async () => {
      // Two of five: fewer than peerMinHosts.
      expect((await run(['plc-1', 'plc-2'])).filter((p) => p.fields.alarm === true)).toHaveLength(2);
      // Four rising, but on four sites (the inventory puts each PLC on its own).
      const apart = devices.map((d, i) => ({ ...d, site: `site-${i}` }));
      expect(
        (await run(['plc-1', 'plc-2', 'plc-3', 'plc-4'], apart)).filter((p) => p.fields.alarm === true)
      ).toHaveLength(4);
    });

    it("When the live detector discounts a score by its peers' routine, then what it shows beyond them is kept in evidence", () => {
      const { discount } = createSeriesDetector();
      const threshold = ALERT_THRESHOLDS.anomalyScore;
      expect(discount?.(0.95, 0.95)).toBeCloseTo(0, 9);
      expect(discount?.(0.95, 0)).toBeCloseTo(0.95, 9);
      // 6 decades (the threshold) beyond peers at 6 decades: 12 decades alone still pages.
      expect(discount?.(liveScore(12), liveScore(6))).toBeCloseTo(threshold, 9);
      expect(discount?.(liveScore(8), liveScore(6))).toBeCloseTo(liveScore(2), 9);
    });
  });
});
