import { problemDefinitionSchema } from '@nocai/contract';
import type { ProblemDefinitionInput } from '@nocai/contract';
import { generateFreezers } from '../../simulator/freezerPrecursors';
import type { FreezerPoint } from '../../simulator/freezerPrecursors';
import { trainProblem } from './automl';
import type { EntitySeries, ProblemGrid } from './dataset';
import { ProblemDataError } from './errors';

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

describe('trainProblem', () => {
  const { points } = generateFreezers({ days: 30, freezers: 2 });
  const { grid, series } = onGrid(points, 30, (p) => p.temperatureC > -18);

  it('When the series hold a precursor of the event, then the chosen model beats the no-skill and single-series baselines on validation', () => {
    const progress: string[] = [];
    const trained = trainProblem(definition(), grid, series, VARIABLES, {
      grids: GRIDS,
      onProgress: (m) => progress.push(m),
    });
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
      trainProblem(rare, grid, rareSeries, VARIABLES, { grids: GRIDS });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ProblemDataError);
    expect((refusal as ProblemDataError).field).toBe('training');
    expect((refusal as Error).message).toMatch(/occurs 0 times in the training period .* at least 10 \(minEvents\)/);
  });
});
