/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { seededRandom } from '../../domain/mlops/gbt';
import type { FeatureMatrix } from '../../domain/mlops/gbt';
import { fitProblemLearner, logOdds, probabilityOf } from '../../domain/problems/learners';
import type { ProblemLearnerSpec } from '../../domain/problems/learners';
import { exportProblemOnnx, OnnxProblemModel } from './problemModel';

/** 600 rows, 5 features; the event is likely when feature 0 is high and feature 3 low. */
function data(): { matrix: FeatureMatrix; labels: Uint8Array } {
  const random = seededRandom(3);
  const rows = 600;
  const F = 5;
  const values = new Float32Array(rows * F);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < F; f++) values[i * F + f] = Math.fround(random() * 20 - 5);
    const z = 0.6 * values[i * F] - 0.4 * values[i * F + 3] - 2;
    labels[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { matrix: { rowCount: rows, featureCount: F, values }, labels };
}

const SPECS: ProblemLearnerSpec[] = [
  { kind: 'gbt', maxDepth: 3, nTrees: 30, learningRate: 0.1, minSamplesLeaf: 10 },
  { kind: 'logistic', C: 1 },
  { kind: 'random_forest', maxDepth: 4, nTrees: 10, minSamplesLeaf: 5, featureFraction: 0.6 },
];

describe('exportProblemOnnx', () => {
  const { matrix, labels } = data();
  const rows = Array.from({ length: matrix.rowCount }, (_, i) => i);

  it.each(SPECS.map((s) => [s.kind, s] as const))(
    'When a %s model is exported, then onnxruntime gives the probabilities the trainer computes',
    async (_, spec) => {
      const learner = fitProblemLearner(matrix, labels, rows, spec, 1);
      const calibration = { slope: 0.8, offset: -0.4 };
      const model = await OnnxProblemModel.load(
        exportProblemOnnx(learner, matrix.featureCount, calibration),
        matrix.featureCount
      );
      const served = await model.probabilities(matrix.values);
      const expected = Array.from(logOdds(learner, matrix), (z) => probabilityOf(z, calibration));
      let worst = 0;
      expected.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - served[i]))));
      expect(worst).toBeLessThan(1e-5);
      // The model learned something: the event is likelier on rows where it happened.
      const mean = (want: number) => {
        const picked = expected.filter((_, i) => labels[i] === want);
        return picked.reduce((a, b) => a + b, 0) / picked.length;
      };
      expect(mean(1)).toBeGreaterThan(mean(0) + 0.2);
    }
  );
});
