import { problemDefinitionSchema } from '@nocai/contract';
import type { ProblemDefinitionInput } from '@nocai/contract';
import { generateFreezers } from '../../simulator/freezerPrecursors';
import type { FreezerPoint } from '../../simulator/freezerPrecursors';
import { chooseThreshold, fitProblem, SCORED_BY_EXPORTED_MODEL } from './automl';
import type { FittedProblem } from './automl';
import type { EntitySeries, ProblemGrid } from './dataset';
import { ProblemDataError } from './errors';
import { ALERT_REPEAT_MS, alertFigures } from './evaluation';
import { logOdds, probabilityOf } from './learners';

const STEP_MS = 5 * 60_000;
const START_MS = Date.UTC(2026, 0, 1);
const VARIABLES = [
  'freezer.compressor_current_a',
  'freezer.door_open_count',
  'freezer.setpoint_c',
  'freezer.temperature_c',
];

/** The fixture's points on the grid, as the InfluxDB adapter gives them (one sample per step here). */
function onGrid(
  points: readonly FreezerPoint[],
  days: number,
  isEvent: (p: FreezerPoint) => boolean
): { grid: ProblemGrid; series: EntitySeries[] } {
  const grid: ProblemGrid = { startMs: START_MS, stepMs: STEP_MS, steps: (days * 86_400_000) / STEP_MS };
  const byHost = new Map<string, EntitySeries>();
  for (const p of points) {
    let s = byHost.get(p.host);
    if (!s) {
      s = {
        entity: p.host,
        values: new Map(VARIABLES.map((v) => [v, new Float64Array(grid.steps).fill(NaN)])),
        condition: new Uint8Array(grid.steps),
      };
      byHost.set(p.host, s);
    }
    const k = Math.floor((p.timeMs - START_MS) / STEP_MS);
    s.values.get('freezer.compressor_current_a')![k] = p.compressorCurrentA;
    s.values.get('freezer.door_open_count')![k] = p.doorOpenCount;
    s.values.get('freezer.setpoint_c')![k] = p.setpointC;
    s.values.get('freezer.temperature_c')![k] = p.temperatureC;
    s.condition[k] = isEvent(p) ? 1 : 0;
  }
  return { grid, series: [...byHost.values()] };
}

const definition = (overrides: Partial<ProblemDefinitionInput> = {}) =>
  problemDefinitionSchema.parse({
    name: 'freezer-warm',
    event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
    horizon: '2h',
    interval: '5m',
    variables: { include: ['freezer.*'], controllable: ['freezer.setpoint_c'] },
    windows: ['30m', '2h'],
    training: { from: '2026-01-01T03:00:00Z', to: '2026-01-22T00:00:00Z' },
    validation: { from: '2026-01-22T00:00:00Z', to: '2026-01-31T00:00:00Z' },
    department: 'facilities',
    ...overrides,
  });

// Small grids keep the unit test quick; the defaults are exercised by the CLI and the bench.
const GRIDS = {
  gbt: [{ kind: 'gbt' as const, maxDepth: 3, nTrees: 60, learningRate: 0.1, minSamplesLeaf: 20 }],
  logistic: [{ kind: 'logistic' as const, C: 1 }],
  random_forest: [
    { kind: 'random_forest' as const, maxDepth: 5, nTrees: 15, minSamplesLeaf: 10, featureFraction: 0.5 },
  ],
};

/**
 * The validation rows' probabilities as the exported graph computes them: the learner's log-odds,
 * clipped and rounded to float32, calibrated, and the result rounded to float32 (the graph's output
 * tensor). The service and the CLI get them from onnxruntime itself (`thresholdOnServedModel`).
 */
const servedLike = (fitted: FittedProblem) =>
  Float32Array.from(logOdds(fitted.learner, fitted.validation.matrix), (z) => probabilityOf(z, fitted.calibration));

describe('fitProblem and chooseThreshold', () => {
  const { points } = generateFreezers({ days: 30, freezers: 2 });
  const { grid, series } = onGrid(points, 30, (p) => p.temperatureC > -18);
  let shared: FittedProblem | undefined;
  const fittedOnce = () => (shared ??= fitProblem(definition(), grid, series, VARIABLES, { grids: GRIDS }));

  it('When the series hold a precursor of the event, then the chosen model beats the no-skill and single-series baselines on validation', () => {
    const progress: string[] = [];
    const fitted = fitProblem(definition(), grid, series, VARIABLES, {
      grids: GRIDS,
      onProgress: (m) => progress.push(m),
    });
    const trained = chooseThreshold(fitted, servedLike(fitted), { onProgress: (m) => progress.push(m) });
    const v = trained.report.validation;
    expect(trained.report.events.training).toBeGreaterThanOrEqual(10);
    expect(v.prAuc).toBeGreaterThan(v.noSkillPrAuc + 0.3);
    expect(v.prAuc).toBeGreaterThan(v.bestSingleSeries.prAuc);
    expect(trained.report.candidates.map((c) => c.candidate)).toEqual(['gbt', 'logistic', 'random_forest']);
    // The policy (precision 0.7 on validation) is what the alerts deliver on validation, judged as
    // tickets (one per crossing), warning of most events, and not at a tiny threshold.
    expect(trained.report.threshold.met).toBe(true);
    expect(trained.report.threshold.alerts.precision).toBeGreaterThanOrEqual(0.7);
    expect(trained.report.threshold.alerts.recall).toBeGreaterThanOrEqual(0.5);
    expect(trained.threshold).toBeGreaterThan(0.2);
    expect(v.atThreshold.precision).toBeGreaterThanOrEqual(0.7);
    expect(v.leadTime.warned).toBeGreaterThan(0);
    expect(v.leadTime.median).toBeGreaterThanOrEqual(30);
    expect(v.segments.map((s) => s.entity)).toEqual(series.map((s) => s.entity));
    expect(progress.some((m) => m.includes('winner'))).toBe(true);
  });

  it('When the event hardly ever occurs in the training period, then no model is trained and the reason says how often', () => {
    // Above −5 °C: no warm-up gets that far.
    const rare = definition({
      event: {
        kind: 'threshold',
        measurement: 'freezer',
        field: 'temperature_c',
        operator: '>',
        value: -5,
        for: '10m',
      },
    });
    const rareSeries = onGrid(points, 30, (p) => p.temperatureC > -5).series;
    let refusal: unknown;
    try {
      fitProblem(rare, grid, rareSeries, VARIABLES, { grids: GRIDS });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ProblemDataError);
    expect((refusal as ProblemDataError).field).toBe('training');
    expect((refusal as Error).message).toMatch(/occurs 0 times in the training period .* at least 10 \(minEvents\)/);
  });
  it('When the served probabilities differ from the float64 ones, then the threshold and every alert figure come from the served ones', () => {
    const fitted = fittedOnce();
    const served = servedLike(fitted);
    const labels = fitted.validation.labels;
    // What a float32 graph cannot tell apart, it serves as one value: every row at or over the
    // 80th-percentile probability is served as that value, and the threshold must see the ties.
    const sorted = [...served].sort((a, b) => a - b);
    const ceiling = sorted[Math.floor(sorted.length * 0.8)];
    const flattened = served.map((p) => Math.min(p, ceiling));
    const trained = chooseThreshold(fitted, flattened);
    const t = trained.threshold;
    expect(trained.report.validation.scoredBy).toBe(SCORED_BY_EXPORTED_MODEL);
    expect(flattened.includes(t)).toBe(true);
    const alerted = flattened.filter((p) => p >= t).length;
    expect(trained.report.validation.atThreshold.alerts).toBe(alerted);
    expect(trained.report.validation.atThreshold.truePositives).toBe(
      flattened.filter((p, i) => p >= t && labels[i] === 1).length
    );
    const rows = fitted.validation;
    expect(trained.report.threshold.alerts).toEqual(
      alertFigures(
        flattened,
        {
          timesMs: rows.timesMs,
          entityOf: rows.entityOf,
          labels,
          onsetTimesMs: rows.onsetTimesMs.map((o) => o.filter((x) => x >= Date.UTC(2026, 0, 22))),
          stepMs: STEP_MS,
          horizonMs: 2 * 3_600_000,
          repeat: ALERT_REPEAT_MS,
        },
        t
      )
    );
    expect(trained.report.validation.segments.reduce((n, s) => n + s.rows, 0)).toBe(flattened.length);
    // The curves end where the served scores end: no point above the flattened ceiling.
    expect(Math.max(...trained.report.validation.prCurve.map((p) => p.threshold))).toBe(ceiling);
  });

  it('When the probabilities given are not one per validation row, then chooseThreshold refuses them', () => {
    const fitted = fittedOnce();
    expect(() => chooseThreshold(fitted, new Float32Array(3))).toThrow(/scored 3 validation rows where there are \d+/);
  });
});
