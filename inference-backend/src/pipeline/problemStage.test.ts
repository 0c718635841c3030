import { problemDefinitionSchema, PROBLEM_SERIES } from '@nocai/contract';
import type { ProblemDefinition } from '@nocai/contract';
import { featureNames } from '../domain/problems/dataset';
import { linearExplainer } from '../domain/problems/explanation';
import type { ProblemFeatureSpec } from '../domain/problems/dataset';
import type { ProblemAlarmRecord } from '../domain/problems/evidence';
import { logOdds, probabilityOf } from '../domain/problems/learners';
import type { FittedProblemLearner } from '../domain/problems/learners';
import type { ProblemManifest } from '../domain/problems/manifest';
import type { ProblemSeriesData, ProblemSeriesSource, ServedProblem } from '../domain/problems/ports';
import { MemorySink, MemoryStore } from './memoryPorts';
import { DEFAULT_PROBLEM_STAGE_OPTIONS, PROBLEM_STAGE_STATE_KEY, ProblemStage } from './problemStage';

/**
 * The stage with in-memory ports and a known logistic model on one variable `m.load` (a 15-minute
 * window on 5-minute steps): log-odds = 2·(load:last − 5), so the probability crosses ½ exactly
 * when the load's last step mean goes above 5. The controllable set-point `m.setpoint` lowers the
 * risk (weight −1 on its last value and window mean).
 */
const STEP_MS = 5 * 60_000;
const T0 = Date.UTC(2026, 2, 1);

const definition: ProblemDefinition = problemDefinitionSchema.parse({
  name: 'overload',
  event: { kind: 'threshold', measurement: 'm', field: 'temp', operator: '>', value: 90 },
  horizon: '30m',
  interval: '5m',
  variables: { include: ['m.*'], exclude: ['m.temp'], controllable: ['m.setpoint'] },
  windows: ['15m'],
  training: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
  validation: { from: '2026-02-01T00:00:00Z', to: '2026-02-15T00:00:00Z' },
  department: 'maintenance',
  priority: 'P1',
});
const spec: ProblemFeatureSpec = {
  stepMs: STEP_MS,
  variables: ['m.load', 'm.setpoint'],
  windowSteps: [3],
  forSteps: 1,
  horizonSteps: 6,
};
const names = featureNames(spec);
const learner: FittedProblemLearner = {
  kind: 'logistic',
  mean: names.map((n) => (n === 'm.load:last' ? 5 : n.startsWith('m.setpoint:') ? -20 : 0)),
  scale: names.map(() => 1),
  weights: names.map((n) => (n === 'm.load:last' ? 2 : n === 'm.setpoint:last' || n === 'm.setpoint:mean_3' ? 1 : 0)),
  bias: 0,
};
const calibration = { slope: 1, offset: 0 };

const manifest = {
  name: 'problem-overload',
  version: 'v1',
  kind: 'problem_classifier',
  problem: { name: 'overload', version: 1, definition },
  inputs: { tensor: { name: 'features', dimension: names.length }, features: names },
  features: spec,
  calibration,
  threshold: 0.5,
  metrics: { validation: { leadTime: { medianMinutes: 45 } } },
  reference: {
    featureMeans: learner.kind === 'logistic' ? learner.mean : [],
    ranges: { 'm.setpoint': { min: -24, max: -18 } },
  },
} as unknown as ProblemManifest;

const served: ServedProblem = {
  manifest,
  score: async (rows) =>
    Float32Array.from(
      logOdds(learner, { rowCount: rows.length / names.length, featureCount: names.length, values: rows }),
      (z) => probabilityOf(z, calibration)
    ),
  explain:
    learner.kind === 'logistic'
      ? linearExplainer(learner)
      : () => {
          throw new Error('a logistic model');
        },
};

/** The load per step (index = step since T0), the set-point constant −20; the event never fires. */
class ArraySource implements ProblemSeriesSource {
  loads: number[] = [];
  reads: Array<{ fromMs: number; toMs: number }> = [];
  async resolveVariables(): Promise<string[]> {
    return spec.variables;
  }
  async load(_d: ProblemDefinition, range: { fromMs: number; toMs: number }): Promise<ProblemSeriesData> {
    this.reads.push(range);
    const startMs = Math.floor(range.fromMs / STEP_MS) * STEP_MS;
    const steps = Math.ceil((range.toMs - startMs) / STEP_MS);
    const at = (k: number) => this.loads[(startMs - T0) / STEP_MS + k];
    const load = Float64Array.from({ length: steps }, (_, k) => at(k) ?? NaN);
    const setpoint = Float64Array.from({ length: steps }, (_, k) => (at(k) === undefined ? NaN : -20));
    return {
      grid: { startMs, stepMs: STEP_MS, steps },
      variables: spec.variables,
      series: [
        {
          entity: 'pump-1',
          values: new Map([
            ['m.load', load],
            ['m.setpoint', setpoint],
          ]),
          condition: new Uint8Array(steps),
        },
      ],
    };
  }
}

function setup(loads: number[], nowMs: number) {
  const source = new ArraySource();
  source.loads = loads;
  const sink = new MemorySink();
  const store = new MemoryStore();
  const clock = { nowMs: () => nowMs };
  const alarms: ProblemAlarmRecord[] = [];
  const stage = () =>
    new ProblemStage({
      catalog: { champions: async () => [served] },
      source,
      sink,
      store,
      clock,
      options: { ...DEFAULT_PROBLEM_STAGE_OPTIONS, settleMs: 0, startLookbackMs: 12 * STEP_MS },
      hooks: { onAlarms: (list) => alarms.push(...list) },
    });
  return { source, sink, store, alarms, stage };
}

// Quiet (load 3) for 12 steps, then 6 steps of overload (load 7), then quiet again.
const LOADS = [...Array(12).fill(3), ...Array(6).fill(7), ...Array(6).fill(3)];
const NOW = T0 + LOADS.length * STEP_MS;

describe('ProblemStage', () => {
  it('When the probability crosses the threshold, then one alert is raised with its factors and a remedy, and every step is written', async () => {
    const { sink, alarms, stage } = setup(LOADS, NOW);
    await stage().tick();
    const points = sink.points.filter((p) => p.measurement === PROBLEM_SERIES.measurement);
    // Steps ending after now − 12 steps: the last 12 buckets.
    expect(points).toHaveLength(12);
    const alerts = points.filter((p) => p.fields[PROBLEM_SERIES.fields.alert] === true);
    expect(alerts).toHaveLength(1);
    // The first overloaded bucket is step 12 (ends at T0 + 13 steps).
    expect(alerts[0].timeUs).toBe((T0 + 13 * STEP_MS) * 1000);
    expect(alerts[0].tags).toEqual({ problem: 'overload', entity: 'pump-1', model_version: 'problem-overload@v1' });
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      entity: 'pump-1',
      department: 'maintenance',
      priority: 'P1',
      leadTimeHours: 0.75,
    });
    expect(alarms[0].explanation[0].feature).toBe('m.load:last');
    // Lowering the set-point by 4 over the window takes 8 log-odds away: the remedy exists within −24…−18.
    expect(alarms[0].recommendation).toMatch(
      /^lower m\.setpoint from -20 to -2[0-4](\.\d+)? 15 min earlier: probability 0\.98 → 0\.\d+, under the alert threshold 0\.\d+$/
    );
  });

  it('When the probability stays high past the horizon (30 min, under the hourly repeat), then the alert is raised again once the horizon has passed', async () => {
    // Quiet for 4 steps, then 8 steps (40 min) of overload: the first alert's claim is spent after 6 steps.
    const { sink, alarms, stage } = setup([...Array(4).fill(3), ...Array(8).fill(7)], T0 + 12 * STEP_MS);
    await stage().tick();
    const alerts = sink.points.filter(
      (p) => p.measurement === PROBLEM_SERIES.measurement && p.fields[PROBLEM_SERIES.fields.alert] === true
    );
    expect(alerts.map((p) => p.timeUs)).toEqual([(T0 + 5 * STEP_MS) * 1000, (T0 + 11 * STEP_MS) * 1000]);
    expect(alarms).toHaveLength(2);
  });

  it('When a step is evaluated, then its probability does not depend on data after it (no look-ahead)', async () => {
    // The same history, but a spike right after the step ending at T0 + 13 steps.
    const spiked = [...LOADS];
    spiked[13] = 50;
    const full = setup(spiked, NOW);
    await full.stage().tick();
    // The step ending at T0 + 13 steps evaluated when nothing after it existed yet.
    const cut = setup(LOADS.slice(0, 13), T0 + 13 * STEP_MS);
    await cut.stage().tick();
    const byTime = new Map(full.sink.points.map((p) => [p.timeUs, p.fields[PROBLEM_SERIES.fields.probability]]));
    const shared = cut.sink.points.filter((p) => byTime.has(p.timeUs));
    expect(shared.map((p) => p.timeUs)).toEqual([(T0 + 13 * STEP_MS) * 1000]);
    expect(shared[0].fields[PROBLEM_SERIES.fields.probability]).toBe(byTime.get(shared[0].timeUs));
    // And the stage never asks for data beyond its clock.
    expect(full.source.reads.every((r) => r.toMs <= NOW)).toBe(true);
  });

  it('When the flush fails, then the mark does not move and the retry writes the same points and raises the alert once', async () => {
    const { sink, store, alarms, stage } = setup(LOADS, NOW);
    sink.failNextFlush = true;
    const first = stage();
    await expect(first.tick()).rejects.toThrow('InfluxDB is down');
    expect(await store.load(PROBLEM_STAGE_STATE_KEY)).toBeUndefined();
    expect(alarms).toHaveLength(0);
    // A restart from the saved state: the batch is evaluated again.
    await stage().tick();
    expect(sink.points).toHaveLength(12);
    expect(alarms).toHaveLength(1);
    // Nothing new: a further tick writes nothing and raises nothing.
    await stage().tick();
    expect(sink.points).toHaveLength(12);
    expect(alarms).toHaveLength(1);
  });
});
