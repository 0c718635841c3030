/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAINTENANCE_SERIES } from '@nocai/contract';
import { createLogger } from '../adapters/logger';
import { MAINTENANCE_TRAINING_END_US, trainMaintenanceModel } from '../commands/maintenanceModel';
import { loadConfig } from '../config';
import { buildFeatures } from '../domain/mlops/tabularFeatures';
import { DEFAULT_MAINTENANCE_STAGE_OPTIONS, MaintenanceStage, type SensorBuckets } from '../pipeline/maintenanceStage';
import { MemorySink, MemoryStore } from '../pipeline/memoryPorts';
import { MAINTENANCE_COLUMNS, maintenanceHistory } from '../simulator/maintenanceHistory';
import { loadMaintenanceModel } from './maintenanceModel';

const HOUR_MS = 3_600_000;
const M = MAINTENANCE_SERIES.fields;

/** A simulated estate's 10-minute sensor means as the stage's source reads them from InfluxDB. */
function estate(options: { seed: number; days: number; plcs: number; endUs: number }) {
  const byHost = new Map<string, SensorBuckets>();
  for (const row of maintenanceHistory(options)) {
    const device = byHost.get(row.host) ?? { host: row.host, deviceKind: 'plc', buckets: [] };
    byHost.set(row.host, device);
    device.buckets.push({
      startMs: Number(row.t),
      values: Object.fromEntries(MAINTENANCE_COLUMNS.map((c) => [c, Number(row[c])])),
    });
  }
  return {
    read: async (fromMs: number, toMs: number) =>
      [...byHost.values()].map((d) => ({
        ...d,
        buckets: d.buckets.filter((b) => b.startMs >= fromMs && b.startMs < toMs),
      })),
  };
}

describe('the maintenance horizon', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-horizon-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When NOCAI_MAINTENANCE_HORIZON_H is 12, then plc-failure-12h is trained and served, and every aiops_maintenance point says 12 h', async () => {
    const horizonH = loadConfig({ NOCAI_API_TOKEN: 'secret', NOCAI_MAINTENANCE_HORIZON_H: '12' }).maintenance.stage
      .horizonHours;
    const trained = await trainMaintenanceModel(dir, { seed: 5, days: 10, plcs: 8, horizonH });
    expect(trained.manifest).toMatchObject({ name: 'plc-failure-12h', target: 'fails_within_12h' });

    const logger = createLogger('silent');
    // A service left at the default horizon does not serve it: there is no plc-failure-24h here.
    expect(await loadMaintenanceModel(dir, logger, 24)).toBeUndefined();
    const served = await loadMaintenanceModel(dir, logger, horizonH);
    if (!served) throw new Error('expected the 12 h model to be served');
    expect(served.options.horizonHours).toBe(12);

    const endUs = MAINTENANCE_TRAINING_END_US + 30 * 24 * HOUR_MS * 1000;
    const sink = new MemorySink();
    const stage = new MaintenanceStage({
      source: estate({ seed: 9, days: 3, plcs: 3, endUs }),
      model: served.model,
      sink,
      store: new MemoryStore(),
      clock: { nowMs: () => endUs / 1000 },
      options: { ...DEFAULT_MAINTENANCE_STAGE_OPTIONS, ...served.options, startLookbackMs: 24 * HOUR_MS, settleMs: 0 },
    });
    while ((await stage.tick()) > 0) {
      // catching up on the last day, batch by batch
    }
    expect(sink.points.length).toBeGreaterThan(100);
    expect(new Set(sink.points.map((p) => p.fields[M.horizonHours]))).toEqual(new Set([12]));
    expect(sink.points.every((p) => String(p.fields[M.modelVersion]).startsWith('plc-failure-12h@'))).toBe(true);

    // Flagged points carry SHAP factors read from the served file, and its explanation of any row
    // adds up to what onnxruntime computes: softmax(clip(log-odds) / temperature).
    const flagged = sink.points.filter((p) => Number(p.fields[M.failureProbability]) >= 0.2);
    expect(flagged.every((p) => JSON.parse(String(p.fields[M.topFactors])).length > 0)).toBe(true);
    const explain = served.model.explain;
    if (!explain) throw new Error('expected the served model to have an explainer');
    const manifest = served.model.manifest;
    const matrix = buildFeatures(manifest.features, maintenanceHistory({ seed: 9, days: 3, plcs: 3, endUs }));
    const outputs = await served.model.run(matrix);
    if (outputs.task !== 'classification') throw new Error('expected a classifier');
    const failure = manifest.labels.indexOf(manifest.positiveLabel ?? '');
    let largest = 0;
    for (let i = 0; i < matrix.rowCount; i++) {
      const { base, contributions } = explain(
        matrix.values.subarray(i * matrix.featureCount, (i + 1) * matrix.featureCount)
      );
      const logOdds = Math.max(
        -30,
        Math.min(
          30,
          contributions.reduce((sum, c) => sum + c, base)
        )
      );
      const p = 1 / (1 + Math.exp(-logOdds / manifest.temperature));
      largest = Math.max(largest, Math.abs(p - outputs.probabilities[i * outputs.classes + failure]));
    }
    expect(largest).toBeLessThan(1e-5);
  }, 300_000);
});
