import { seededRandom } from '../../domain/mlops/gbt';
import { fitProblemLearner } from '../../domain/problems/learners';
import { exportProblemOnnx } from './problemModel';
import { linearTermsOf } from './problemGraph';

describe('linearTermsOf', () => {
  it('When a logistic problem model is exported, then its linear terms are read back exactly as fitted', () => {
    const random = seededRandom(3);
    const rows = 200;
    const values = Float32Array.from({ length: rows * 3 }, () => random() * 10);
    const labels = Uint8Array.from({ length: rows }, (_, i) => (values[i * 3] + random() * 3 > 7 ? 1 : 0));
    const matrix = { rowCount: rows, featureCount: 3, values };
    const all = Array.from({ length: rows }, (_, i) => i);
    const learner = fitProblemLearner(matrix, labels, all, { kind: 'logistic', C: 1 }, 1);
    if (learner.kind !== 'logistic') throw new Error('not logistic');
    const terms = linearTermsOf(exportProblemOnnx(learner, 3, { slope: 1, offset: 0 }));
    expect(terms).toBeDefined();
    expect(Array.from(terms?.weights ?? [])).toEqual(Array.from(Float32Array.from(learner.weights)));
    expect(Array.from(terms?.mean ?? [])).toEqual(Array.from(Float32Array.from(learner.mean)));
    expect(Array.from(terms?.scale ?? [])).toEqual(Array.from(Float32Array.from(learner.scale)));
    expect(terms?.bias).toBe(Math.fround(learner.bias));
  });

  it('When a tree model is exported, then it has no linear terms (its trees are explained by TreeSHAP)', () => {
    const random = seededRandom(4);
    const rows = 120;
    const values = Float32Array.from({ length: rows * 2 }, () => random());
    const labels = Uint8Array.from({ length: rows }, (_, i) => (values[i * 2] > 0.5 ? 1 : 0));
    const all = Array.from({ length: rows }, (_, i) => i);
    const learner = fitProblemLearner(
      { rowCount: rows, featureCount: 2, values },
      labels,
      all,
      { kind: 'gbt', maxDepth: 2, nTrees: 5, learningRate: 0.1, minSamplesLeaf: 5 },
      1
    );
    expect(linearTermsOf(exportProblemOnnx(learner, 2, { slope: 1, offset: 0 }))).toBeUndefined();
  });
});
