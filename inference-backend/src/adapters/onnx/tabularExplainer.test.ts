/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { seededRandom } from '../../domain/mlops/gbt';
import { buildFeatures } from '../../domain/mlops/tabularFeatures';
import type { Row } from '../../domain/mlops/tabularFeatures';
import { LOGIT_BOUND } from '../../domain/mlops/tabularLearners';
import { trainTabularModel } from '../../domain/mlops/tabularModel';
import type { TabularGrid, TabularManifest, TabularModel } from '../../domain/mlops/tabularModel';
import { tabularExplainer } from './tabularExplainer';
import { exportTabularOnnx, OnnxTabularModel } from './tabularModel';

const SMALL_GRID: TabularGrid = {
  gbt: { maxDepth: [3], nTrees: [40], learningRate: 0.1, minSamplesLeaf: 10, subsample: 0.8, featureFraction: 1 },
  linear: [0.1],
};
const GBT_ONLY: TabularGrid = { ...SMALL_GRID, linear: [] };
const LINEAR_ONLY: TabularGrid = { ...SMALL_GRID, gbt: { ...SMALL_GRID.gbt, maxDepth: [] } };

/** Machines whose wear follows their recent load, heat and site; `failed` and `mode` are classes of it. */
function machines(seed: number, units: number, steps = 25): Row[] {
  const random = seededRandom(seed);
  const rows: Row[] = [];
  for (let u = 0; u < units; u++) {
    const site = ['north', 'south', 'east'][u % 3];
    for (let t = 0; t < steps; t++) {
      const load = 5 + 4 * Math.sin((t + u) / 3) + random() * 2;
      const temp = 20 + random() * 10;
      const wear = 2 * load + 0.3 * temp + (site === 'south' ? 5 : 0) + (random() - 0.5) * 2;
      rows.push({
        unit: `M-${u}`,
        t: String(t),
        load: load.toFixed(3),
        temp: temp.toFixed(2),
        site,
        wear: wear.toFixed(3),
        failed: wear > 22 ? 'yes' : 'no',
        mode: load < 4 ? 'idle' : load < 7 ? 'normal' : 'peak',
      });
    }
  }
  return rows;
}

/** The largest gap between onnxruntime's output and what the explanations add up to, over fresh rows. */
async function largestGap(model: TabularModel): Promise<number> {
  const classification = model.task === 'classification';
  const manifest = {
    kind: classification ? 'tabular_classifier' : 'tabular_regressor',
    labels: model.labels,
    inputs: { columns: [], tensor: { name: 'features', dimension: model.features.names.length } },
  } as unknown as TabularManifest; // only the fields `run` and the explainer read
  const bytes = exportTabularOnnx(model);
  const served = await OnnxTabularModel.load(bytes, manifest);
  const matrix = buildFeatures(model.features, machines(6, 10));
  const outputs = await served.run(matrix);
  await served.close();
  const K = classification ? model.labels.length : 1;
  const explainers = Array.from({ length: K }, (_, k) => tabularExplainer(bytes, manifest, k));
  const F = matrix.featureCount;
  let worst = 0;
  for (let i = 0; i < matrix.rowCount; i++) {
    const row = matrix.values.subarray(i * F, (i + 1) * F);
    const sums = explainers.map((explain) => {
      if (!explain) return NaN;
      const { base, contributions } = explain(row);
      return contributions.reduce((sum, c) => sum + c, base);
    });
    if (outputs.task === 'regression') {
      worst = Math.max(worst, Math.abs(sums[0] - outputs.prediction[i]) / Math.max(1, Math.abs(sums[0])));
      continue;
    }
    // Two classes: each explanation is that label's log-odds; more: the graph's logits.
    const logits = K === 2 ? [0, sums[1]] : sums;
    const scaled = logits.map((z) => Math.max(-LOGIT_BOUND, Math.min(LOGIT_BOUND, z)) / model.temperature);
    const top = Math.max(...scaled);
    const total = scaled.reduce((sum, z) => sum + Math.exp(z - top), 0);
    scaled.forEach((z, k) => {
      worst = Math.max(worst, Math.abs(Math.exp(z - top) / total - outputs.probabilities[i * K + k]));
    });
    if (K === 2) worst = Math.max(worst, Math.abs(sums[0] + sums[1]));
  }
  return worst;
}

describe('explanations of served tabular models', () => {
  const rows = machines(5, 40);

  it.each([
    ['trees, regression', 'wear', GBT_ONLY],
    ['ridge regression', 'wear', LINEAR_ONLY],
    ['trees, two classes', 'failed', GBT_ONLY],
    ['logistic regression, two classes', 'failed', LINEAR_ONLY],
    ['trees, three classes', 'mode', GBT_ONLY],
    ['logistic regression, three classes', 'mode', LINEAR_ONLY],
  ])(
    'When a %s model is explained from its ONNX file, then base + contributions gives what onnxruntime outputs',
    async (_, target, grid) => {
      const { model } = trainTabularModel(
        rows,
        { target, features: ['load', 'temp', 'site'], categorical: [], group: 'unit', order: 't', windows: [4] },
        { grid }
      );
      expect(model.learner.kind).toBe(grid === LINEAR_ONLY ? 'linear' : 'gbt');
      expect(await largestGap(model)).toBeLessThan(1e-5);
    }
  );
});
