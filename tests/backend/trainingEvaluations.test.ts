import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVED_MODELS } from '../../inference-backend/src/services/onnxModels';
import { writeMttrChampion } from '../support/mttrChampion';
import { startTestBackend, type TestBackend } from '../support/service';

describe("the models' own held-out figures on Model health, against a real influxd", () => {
  const env = (modelsDir: string) => ({
    NOCAI_MODELS_DIR: modelsDir,
    NOCAI_RETRAIN_INTERVAL_MS: '0',
    NOCAI_ACCURACY_INTERVAL_MS: '0',
    NOCAI_DRIFT_INTERVAL_MS: '0',
  });
  let dir: string;
  let backend: TestBackend | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-training-figures-'));
    await writeMttrChampion(join(dir, 'models'), 120);
  }, 300_000);
  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('When the backend starts on a trained champion, before any retraining, then aiops_models holds its held-out figures at the time it was made, once however often it starts', async () => {
    const manifest = JSON.parse(
      readFileSync(join(dir, 'models', SERVED_MODELS.mttr, 'v1', 'manifest.json'), 'utf8')
    ) as {
      createdAt: string;
      metrics: { holdout: { rows: number; maeSeconds: number } };
    };
    backend = await startTestBackend(env(join(dir, 'models')));
    // The query of Model health's "Latest evaluation per model version" table, over all time.
    const read = async (b: TestBackend) =>
      b.influx.client.query(
        b.outputDb,
        `SELECT "mae_s", "holdout_size", "primary_metric", "primary_value" FROM "aiops_models" WHERE "source" = 'holdout' AND "segment" = 'all' GROUP BY "model", "version", "alias"`
      );
    const first = await read(backend);
    expect(first.map((s) => s.tags)).toEqual([{ alias: 'none', model: 'mttr', version: 'v1' }]);
    expect(first[0].rows).toHaveLength(1);
    const row = first[0].rows[0];
    // Times come back in µs since the epoch.
    expect(new Date(Number(row.time) / 1000).toISOString()).toBe(new Date(manifest.createdAt).toISOString());
    expect(row).toMatchObject({
      mae_s: manifest.metrics.holdout.maeSeconds,
      holdout_size: manifest.metrics.holdout.rows,
      primary_metric: 'mae_s',
      primary_value: manifest.metrics.holdout.maeSeconds,
    });

    // A restart writes the same point again, not a second one.
    const { influx } = backend;
    await backend.stop();
    backend = await startTestBackend(env(join(dir, 'models')), influx);
    const again = await read(backend);
    expect(again.map((s) => s.rows.length)).toEqual([1]);
  }, 300_000);
});
