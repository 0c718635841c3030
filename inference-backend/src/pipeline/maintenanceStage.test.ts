import { MAINTENANCE_SERIES } from '@nocai/contract';
import type { TabularOutputs } from '../adapters/onnx/tabularModel';
import { predictGbt, seededRandom, trainGbt } from '../domain/mlops/gbt';
import type { FeatureMatrix } from '../domain/mlops/gbt';
import { treeShap } from '../domain/mlops/treeShap';
import type { TabularManifest } from '../domain/mlops/tabularModel';
import type { MaintenanceAlarmRecord } from '../domain/timeseries/maintenanceEvidence';
import {
  DEFAULT_MAINTENANCE_STAGE_OPTIONS,
  MaintenanceStage,
  type MaintenanceModel,
  type RemainingLifeModel,
  type SensorBuckets,
} from './maintenanceStage';
import { MemorySink, MemoryStore } from './memoryPorts';

const BUCKET = 600_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 5, 0, 0);
const M = MAINTENANCE_SERIES.fields;

/**
 * A stand-in for the ONNX classifier, for the stage's own logic (batches, history, alarms, state):
 * the risk is the temperature's distance above 40 °C over 20, the vibration never matters.
 */
const model = {
  manifest: {
    name: 'fake-failure',
    version: 'v1',
    labels: ['no', 'yes'],
    positiveLabel: 'yes',
    features: {
      version: 1,
      numeric: [
        { column: 'temperature_c', fill: 40, normalized: false, windowed: false },
        { column: 'vibration_mm_s', fill: 1, normalized: false, windowed: false },
      ],
      categorical: [],
      group: 'host',
      order: { column: 't', kind: 'number' },
      windows: [],
      normalization: null,
      kept: [0, 2],
      names: ['temperature_c', 'vibration_mm_s'],
    },
  } as unknown as TabularManifest,
  async run(matrix: FeatureMatrix): Promise<TabularOutputs> {
    const probabilities = new Float32Array(matrix.rowCount * 2);
    for (let i = 0; i < matrix.rowCount; i++) {
      const p = Math.max(0, Math.min(1, (matrix.values[i * matrix.featureCount] - 40) / 20));
      probabilities[i * 2] = 1 - p;
      probabilities[i * 2 + 1] = p;
    }
    return { task: 'classification', classes: 2, probabilities } as TabularOutputs;
  },
};

/**
 * A stand-in for the remaining-life regressor over the same rows: 50 h at 40 °C down to 0 at 60 °C
 * (over its 48 h cap where the device is cool, as a regressor may overshoot), P10–P90 ± 5 h.
 */
const remainingLife: RemainingLifeModel = {
  manifest: { ...model.manifest, name: 'fake-life', kind: 'tabular_regressor', labels: [] } as TabularManifest,
  capHours: 48,
  async run(matrix: FeatureMatrix): Promise<TabularOutputs> {
    const prediction = new Float32Array(matrix.rowCount);
    for (let i = 0; i < matrix.rowCount; i++) prediction[i] = ((60 - matrix.values[i * matrix.featureCount]) / 20) * 50;
    return {
      task: 'regression',
      prediction,
      p10: prediction.map((v) => v - 5),
      p90: prediction.map((v) => v + 5),
    };
  },
};

/** Two PLCs from T0 on: plc-1 heats up linearly from hour 30 to 60 °C at hour 36, plc-2 stays at 40 °C. */
function estate(fromMs: number, toMs: number): SensorBuckets[] {
  const plc = (host: string, temperature: (t: number) => number): SensorBuckets => {
    const buckets = [];
    for (let t = Math.max(T0, fromMs); t < toMs; t += BUCKET)
      buckets.push({ startMs: t, values: { temperature_c: temperature(t), vibration_mm_s: 2 } });
    return { host, deviceKind: 'plc', buckets };
  };
  return [
    plc('plc-1', (t) => 40 + Math.max(0, Math.min(20, ((t - T0 - 30 * HOUR) / (6 * HOUR)) * 20))),
    plc('plc-2', () => 40),
    { host: 'srv-1', deviceKind: 'server', buckets: [{ startMs: T0, values: { temperature_c: 90 } }] },
  ];
}

function stage(
  nowMs: { value: number },
  sink: MemorySink,
  store: MemoryStore,
  alarms: MaintenanceAlarmRecord[],
  served: MaintenanceModel = model
) {
  return new MaintenanceStage({
    source: { read: async (fromMs, toMs) => estate(fromMs, toMs) },
    model: served,
    sink,
    store,
    clock: { nowMs: () => nowMs.value },
    options: { ...DEFAULT_MAINTENANCE_STAGE_OPTIONS, historyRows: 144, startLookbackMs: 40 * HOUR, settleMs: 0 },
    hooks: { onAlarms: (a) => alarms.push(...a) },
  });
}

/**
 * A real boosted classifier on the two sensors (fails above about 50 °C, a little sooner when the
 * vibration is high), served with its exact SHAP explainer as the service serves one.
 */
function explainedModel(): { served: MaintenanceModel; base: number } {
  const random = seededRandom(4);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const row = [Math.fround(35 + random() * 30), Math.fround(random() * 4)];
    rows.push(row);
    labels.push(row[0] + 2 * row[1] > 53 ? 1 : 0);
  }
  const gbt = trainGbt({ rowCount: rows.length, featureCount: 2, values: Float32Array.from(rows.flat()) }, labels, {
    loss: { kind: 'logistic' },
    nTrees: 40,
    learningRate: 0.2,
    maxDepth: 3,
    minSamplesLeaf: 10,
    subsample: 1,
    maxBins: 64,
    seed: 4,
  });
  const served: MaintenanceModel = {
    manifest: model.manifest,
    async run(matrix: FeatureMatrix): Promise<TabularOutputs> {
      const probabilities = new Float32Array(matrix.rowCount * 2);
      for (let i = 0; i < matrix.rowCount; i++) {
        const z = predictGbt(gbt, matrix.values.subarray(i * 2, i * 2 + 2));
        probabilities[i * 2 + 1] = 1 / (1 + Math.exp(-z));
        probabilities[i * 2] = 1 - probabilities[i * 2 + 1];
      }
      return { task: 'classification', classes: 2, probabilities };
    },
    explain: (features) => treeShap(gbt, features),
  };
  return { served, base: treeShap(gbt, [40, 2]).base };
}

async function drain(s: MaintenanceStage): Promise<void> {
  while ((await s.tick()) > 0) {
    // catching up batch by batch
  }
}

describe('MaintenanceStage', () => {
  it('When a PLC heats up, then its risk is written per bucket, one alarm fires at the crossing and again hourly, naming the temperature; devices of other kinds and the first day are not judged', async () => {
    const now = { value: T0 + 40 * HOUR };
    const sink = new MemorySink();
    const alarms: MaintenanceAlarmRecord[] = [];
    await drain(stage(now, sink, new MemoryStore(), alarms));

    const of = (host: string) => sink.points.filter((p) => p.tags.host === host);
    expect(of('srv-1')).toEqual([]);
    // Judged from a full day of history (144 buckets) until now.
    const times = of('plc-2').map((p) => p.timeUs / 1000);
    expect(Math.min(...times)).toBe(T0 + 144 * BUCKET);
    expect(Math.max(...times)).toBe(T0 + 40 * HOUR);
    expect(new Set(times).size).toBe(times.length);
    expect(of('plc-2').every((p) => p.fields[M.failureProbability] === 0 && p.fields[M.alarm] === false)).toBe(true);

    // plc-1 crosses 0.5 at 50 °C in the bucket from hour 33: an alarm at its end, then hourly while high.
    expect(alarms.map((a) => (a.timeUs / 1000 - T0) / HOUR)).toEqual(
      [33, 34, 35, 36, 37, 38, 39].map((h) => h + 1 / 6)
    );
    expect(alarms.every((a) => a.host === 'plc-1' && a.topFactor === 'sensors.temperature_c')).toBe(true);
    const flagged = of('plc-1').filter((p) => p.fields[M.alarm] === true);
    expect(flagged).toHaveLength(alarms.length);
  });

  it('When the model has a SHAP explainer, then every alarm names the temperature with its value and contribution, and base + contributions is the log-odds', async () => {
    const now = { value: T0 + 40 * HOUR };
    const sink = new MemorySink();
    const alarms: MaintenanceAlarmRecord[] = [];
    const { served, base } = explainedModel();
    await drain(stage(now, sink, new MemoryStore(), alarms, served));

    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.topFactor).toBe('sensors.temperature_c');
      const factors = alarm.factors ?? [];
      expect(factors[0].feature).toBe('sensors.temperature_c');
      expect(factors[0].weight).toBeGreaterThan(0);
      const point = sink.points.find((p) => p.tags.host === alarm.host && p.timeUs === alarm.timeUs);
      expect(JSON.parse(String(point?.fields[M.topFactors]))).toEqual(factors);
      const temperature = factors[0].value ?? NaN;
      // The value shown is the bucket's temperature (plc-1 heats from 40 to 60 °C).
      expect(temperature).toBeGreaterThan(45);
      expect(temperature).toBeLessThanOrEqual(60);
      // Every feature is listed: with the base value they add up to the log-odds of the alarm's probability.
      const total = factors.reduce((sum, f) => sum + f.weight, base);
      expect(Math.abs(1 / (1 + Math.exp(-total)) - alarm.probability)).toBeLessThan(1e-4);
    }
  });

  it('When a remaining-life model is served, then every point carries its hours within P10–P90 and the cap, and the heating PLC shows a falling life', async () => {
    const now = { value: T0 + 40 * HOUR };
    const sink = new MemorySink();
    await drain(stage(now, sink, new MemoryStore(), [], { ...model, remainingLife }));

    const life = (p: (typeof sink.points)[number]) =>
      [M.remainingLifeP10Hours, M.remainingLifeHours, M.remainingLifeP90Hours].map((f) => p.fields[f] as number);
    expect(sink.points.length).toBeGreaterThan(0);
    for (const point of sink.points) {
      const [p10, value, p90] = life(point);
      expect([p10, value, p90].every(Number.isFinite)).toBe(true);
      expect(0 <= p10 && p10 <= value && value <= p90 && p90 <= 48).toBe(true);
    }
    // The cool PLC is at the cap ("at least 48 h"), not at the regressor's overshoot.
    expect(sink.points.filter((p) => p.tags.host === 'plc-2').every((p) => life(p)[1] === 48)).toBe(true);
    // plc-1 from the start of its ramp (hour 30) to the bucket of its peak (hour 36): falling, to 0 at 60 °C.
    const ramp = sink.points
      .filter(
        (p) => p.tags.host === 'plc-1' && p.timeUs / 1000 > T0 + 30 * HOUR && p.timeUs / 1000 <= T0 + 36 * HOUR + BUCKET
      )
      .sort((a, b) => a.timeUs - b.timeUs)
      .map((p) => life(p)[1]);
    expect(ramp).toHaveLength(37);
    // Held at the cap while the regressor overshoots it, then falling bucket by bucket.
    expect(ramp.every((v, k) => k === 0 || v < ramp[k - 1] || v === 48)).toBe(true);
    expect(new Set(ramp).size).toBeGreaterThan(30);
    expect(ramp[0]).toBe(48);
    expect(ramp[ramp.length - 1]).toBe(0);
  });

  it('When a promoted model is handed over, then the next batches are judged and labelled by it without a restart; a model reading other sensors is refused', async () => {
    const now = { value: T0 + 30 * HOUR };
    const sink = new MemorySink();
    const s = stage(now, sink, new MemoryStore(), []);
    await drain(s);
    const promoted = { ...model, manifest: { ...model.manifest, version: 'v2' } as TabularManifest };
    s.useModel(promoted);
    now.value = T0 + 32 * HOUR;
    await drain(s);
    const versionAt = (hours: number) =>
      sink.points.find((p) => p.tags.host === 'plc-2' && p.timeUs / 1000 === T0 + hours * HOUR)?.fields[M.modelVersion];
    expect(versionAt(30)).toBe('fake-failure@v1');
    expect(versionAt(32)).toBe('fake-failure@v2');

    const otherSensors = {
      ...model,
      manifest: {
        ...model.manifest,
        version: 'v3',
        features: { ...model.manifest.features, numeric: [model.manifest.features.numeric[0]] },
      } as TabularManifest,
    };
    expect(() => s.useModel(otherSensors)).toThrow(/reads temperature_c, not the stage's temperature_c, vibration_mm_s: restart/);
    now.value = T0 + 33 * HOUR;
    await drain(s);
    expect(versionAt(33)).toBe('fake-failure@v2');
  });

  it('When no remaining-life model is served, then the points carry no remaining life', async () => {
    const sink = new MemorySink();
    await drain(stage({ value: T0 + 30 * HOUR }, sink, new MemoryStore(), []));
    expect(sink.points.length).toBeGreaterThan(0);
    expect(sink.points.some((p) => M.remainingLifeHours in p.fields || M.remainingLifeP10Hours in p.fields)).toBe(
      false
    );
  });

  it('When a write fails, then nothing is marked done and the retry writes the same points; after a restart the stage goes on where it stopped', async () => {
    const now = { value: T0 + 34 * HOUR };
    const store = new MemoryStore();
    const sink = new MemorySink();
    const alarms: MaintenanceAlarmRecord[] = [];
    const first = stage(now, sink, store, alarms);
    await drain(first);
    const before = sink.points.length;
    now.value += 2 * HOUR;
    sink.failNextFlush = true;
    await expect(first.tick()).rejects.toThrow('InfluxDB is down');
    expect(sink.points).toHaveLength(before);

    // A new process over the same saved state.
    const restarted = stage(now, sink, store, alarms);
    await drain(restarted);
    const keys = sink.points.map((p) => `${p.tags.host}@${p.timeUs}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Math.max(...sink.points.map((p) => p.timeUs / 1000))).toBe(T0 + 36 * HOUR);
    expect(sink.points.length).toBe(before + 2 * 12);
    // The alarm state survived: hourly alarms, not one per process.
    expect(alarms.map((a) => (a.timeUs / 1000 - T0) / HOUR)).toEqual([33, 34, 35].map((h) => h + 1 / 6));
  });
});
