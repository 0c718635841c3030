/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemDefinitionSchema } from '@nocai/contract';
import type { ProblemCandidate } from '@nocai/contract';
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { floatTensorInfo } from '../adapters/onnx/treeEnsemble';
import { loadModel } from '../adapters/registry/modelRegistry';
import type { EntitySeries, ProblemGrid } from '../domain/problems/dataset';
import type { ProblemAlarmRecord } from '../domain/problems/evidence';
import type { RowShap } from '../domain/problems/explanation';
import { probabilityOf, FOREST_EPSILON } from '../domain/problems/learners';
import type { ProblemManifest } from '../domain/problems/manifest';
import type { ProblemSeriesData, ProblemSeriesSource, ServedProblem } from '../domain/problems/ports';
import { MemorySink, MemoryStore } from '../pipeline/memoryPorts';
import { DEFAULT_PROBLEM_STAGE_OPTIONS, ProblemStage } from '../pipeline/problemStage';
import { generateFreezers } from '../simulator/freezerPrecursors';
import { trainAndRegister } from './problemTraining';
import { RegistryProblemCatalog } from './problemServing';

/**
 * Every alert of a served problem model carries an exact SHAP explanation of the graph that
 * serves it: for each learner (GBT, logistic regression, random forest) trained on the freezer
 * fixture and registered as ONNX, `base + Σ contributions` equals the raw output (to 1e-6), that
 * output is what the ONNX graph computes before its calibration (read from the graph's own
 * intermediate tensor, to float32 precision), and the calibration the alert states maps it to the
 * alert's probability.
 */

const STEP_MS = 5 * 60_000;
const START_MS = Date.UTC(2026, 0, 1);
const DAYS = 30;
const VARIABLES = ['freezer.compressor_current_a', 'freezer.door_open_count', 'freezer.setpoint_c'];

function fixture(): ProblemSeriesData {
  const { points } = generateFreezers({ days: DAYS, freezers: 2 });
  const grid: ProblemGrid = { startMs: START_MS, stepMs: STEP_MS, steps: (DAYS * 86_400_000) / STEP_MS };
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
    s.values.get(VARIABLES[0])?.set([p.compressorCurrentA], k);
    s.values.get(VARIABLES[1])?.set([p.doorOpenCount], k);
    s.values.get(VARIABLES[2])?.set([p.setpointC], k);
    s.condition[k] = p.temperatureC > -18 ? 1 : 0;
  }
  return { grid, series: [...byHost.values()], variables: VARIABLES };
}

const definition = (candidate: ProblemCandidate) =>
  problemDefinitionSchema.parse({
    name: `freezer-warm-${candidate.replace('_', '-')}`,
    event: { kind: 'threshold', measurement: 'freezer', field: 'temperature_c', operator: '>', value: -18, for: '10m' },
    horizon: '2h',
    interval: '5m',
    variables: { include: ['freezer.*'], exclude: ['freezer.temperature_c'], controllable: ['freezer.setpoint_c'] },
    windows: ['30m', '2h'],
    training: { from: '2026-01-01T03:00:00Z', to: '2026-01-22T00:00:00Z' },
    validation: { from: '2026-01-22T00:00:00Z', to: '2026-01-31T00:00:00Z' },
    candidates: [candidate],
    threshold: { policy: 'fixed', probability: 0.5 },
    department: 'facilities',
  });

const GRIDS = {
  gbt: [{ kind: 'gbt' as const, maxDepth: 3, nTrees: 60, learningRate: 0.1, minSamplesLeaf: 20 }],
  logistic: [{ kind: 'logistic' as const, C: 1 }],
  random_forest: [
    { kind: 'random_forest' as const, maxDepth: 5, nTrees: 15, minSamplesLeaf: 10, featureFraction: 0.5 },
  ],
};

/** The graph with its pre-calibration tensor (`log_odds`, or `forest_mean` for a forest) as an extra output. */
async function rawOutputSession(bytes: Uint8Array, tensor: string): Promise<InferenceSession> {
  const model = onnx.ModelProto.decode(bytes);
  model.graph?.output?.push(onnx.ValueInfoProto.create(floatTensorInfo(tensor, ['N', 1])));
  return InferenceSession.create(onnx.ModelProto.encode(model).finish());
}

describe('explanations of served problem models', () => {
  let dir: string;
  const data = fixture();
  const source: ProblemSeriesSource = {
    resolveVariables: async () => data.variables,
    load: async () => data,
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-problem-shap-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['gbt', 'logistic', 'random_forest'] as const)(
    'When a %s model raises alerts, then each explanation adds up with its base value to the output of the graph that served it',
    async (candidate) => {
      const registryDir = join(dir, candidate);
      const trained = await trainAndRegister(
        {
          definition: definition(candidate),
          problemVersion: 1,
          data,
          registryDir,
          createdBy: { kind: 'user', name: 'test' },
          grids: GRIDS,
        },
        () => undefined
      );
      // Every explained row, to find each alert's row again.
      const explained: Array<{ row: Float32Array; shap: RowShap }> = [];
      const catalog = new RegistryProblemCatalog(registryDir);
      const recording = {
        champions: async (): Promise<ServedProblem[]> =>
          (await catalog.champions()).map((served) => ({
            ...served,
            explain: (row) => {
              const shap = served.explain(row);
              explained.push({ row: Float32Array.from(row), shap });
              return shap;
            },
          })),
      };
      const alarms: ProblemAlarmRecord[] = [];
      const sink = new MemorySink();
      const stage = new ProblemStage({
        catalog: recording,
        source,
        sink,
        store: new MemoryStore(),
        clock: { nowMs: () => Date.parse('2026-01-31T00:00:00Z') },
        options: { ...DEFAULT_PROBLEM_STAGE_OPTIONS, settleMs: 0, startLookbackMs: 9 * 86_400_000, batchSteps: 10_000 },
        hooks: { onAlarms: (list) => alarms.push(...list) },
      });
      await stage.tick();
      expect(alarms.length).toBeGreaterThan(0);

      const stored = await loadModel<ProblemManifest>(registryDir, trained.model, trained.version);
      const manifest = stored.manifest;
      const space = candidate === 'random_forest' ? 'forest_mean' : 'log_odds';
      const session = await rawOutputSession(stored.onnx, space);
      for (const alarm of alarms) {
        const shap = alarm.shap;
        expect(shap).toBeDefined();
        if (!shap) continue;
        expect(shap.space).toBe(space);
        expect(shap.contributions).toHaveLength(manifest.inputs.features.length);
        const sum = shap.base + shap.contributions.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - shap.output)).toBeLessThan(1e-6);

        const row = explained.find(
          (e) => e.shap.output === shap.output && e.shap.contributions.every((c, f) => c === shap.contributions[f])
        )?.row;
        expect(row).toBeDefined();
        if (!row) continue;
        const width = row.length;
        const out = await session.run({ features: new Tensor('float32', row, [1, width]) });
        const graphRaw = (out[space].data as Float32Array)[0];
        // The graph computes in float32: agreement to its precision.
        expect(Math.abs(graphRaw - shap.output)).toBeLessThan(1e-5 * Math.max(1, Math.abs(shap.output)));
        const logOdds =
          space === 'log_odds'
            ? shap.output
            : Math.log(Math.min(1 - FOREST_EPSILON, Math.max(FOREST_EPSILON, shap.output))) -
              Math.log(1 - Math.min(1 - FOREST_EPSILON, Math.max(FOREST_EPSILON, shap.output)));
        expect(Math.abs(probabilityOf(logOdds, manifest.calibration) - alarm.probability)).toBeLessThan(1e-5);
        expect(shap.calibration).toMatch(/^probability = sigmoid\(/);
        // The top factors are the largest contributions, with the feature's value in the row.
        const top = alarm.explanation[0];
        const f = manifest.inputs.features.indexOf(top.feature);
        expect(Math.max(...shap.contributions)).toBeCloseTo(shap.contributions[f], 12);
        expect(top.value).toBeCloseTo(row[f], 3);
      }
      // The alert points written to aiops_problems carry the same explanation.
      const written = sink.points.filter((p) => p.fields.alert === true).map((p) => JSON.parse(String(p.fields.shap)));
      expect(written).toEqual(alarms.map((a) => a.shap));
    },
    120_000
  );
});
