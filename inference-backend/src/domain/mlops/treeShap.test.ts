import { predictGbt, seededRandom, trainGbt } from './gbt';
import type { GbtModel, GbtTree } from './gbt';
import { expectedTreeValue, leqFloat32, linearShap, treeShap } from './treeShap';

/**
 * The oracle: Shapley values by enumerating every coalition, with the path-dependent value
 * function TreeSHAP defines (features outside the coalition follow both children, weighted by
 * cover). Exponential, so only for a handful of features.
 */
function bruteForceShap(model: GbtModel, x: number[]): number[] {
  const m = model.featureCount;
  const valueOf = (inCoalition: boolean[]): number => {
    let sum = model.baseValue;
    for (const tree of model.trees) {
      const walk = (node: number): number => {
        if (tree.feature[node] < 0) return tree.value[node];
        const f = tree.feature[node];
        if (inCoalition[f]) return walk(leqFloat32(tree, node, x) ? tree.left[node] : tree.right[node]);
        const l = tree.cover[tree.left[node]];
        const r = tree.cover[tree.right[node]];
        return (l * walk(tree.left[node]) + r * walk(tree.right[node])) / (l + r);
      };
      sum += walk(0);
    }
    return sum;
  };
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const phi = new Array<number>(m).fill(0);
  for (let mask = 0; mask < 1 << m; mask++) {
    const members = Array.from({ length: m }, (_, f) => (mask & (1 << f)) !== 0);
    const size = members.filter(Boolean).length;
    const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
    const without = valueOf(members);
    for (let f = 0; f < m; f++) {
      if (members[f]) continue;
      const withF = members.slice();
      withF[f] = true;
      phi[f] += weight * (valueOf(withF) - without);
    }
  }
  return phi;
}

/** Rows whose target depends on interactions and a feature used twice on one path. */
function dataset(seed: number, n: number, width: number): { rows: number[][]; target: number[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const target: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: width }, () => Math.fround(random() * 10 - 5));
    rows.push(row);
    target.push(Math.sin(row[0]) * row[1] + (row[2] > 1 ? 3 : 0) * (row[0] > 0 ? 1 : -1) + 0.3 * random());
  }
  return { rows, target };
}

function train(seed: number, width: number, loss: 'squared' | 'logistic'): { model: GbtModel; rows: number[][] } {
  const { rows, target } = dataset(seed, 400, width);
  const labels = loss === 'logistic' ? target.map((t) => (t > 0.5 ? 1 : 0)) : target;
  const model = trainGbt(
    { rowCount: rows.length, featureCount: width, values: Float32Array.from(rows.flat()) },
    labels,
    {
      loss: { kind: loss },
      nTrees: 12,
      learningRate: 0.3,
      maxDepth: 4,
      minSamplesLeaf: 5,
      subsample: 0.8,
      maxBins: 32,
      seed,
    }
  );
  return { model, rows };
}

describe('TreeSHAP', () => {
  it.each([
    ['a regression', 'squared' as const],
    ['a binary classifier (log-odds)', 'logistic' as const],
  ])('When %s is explained, then every value equals the Shapley value over all coalitions', (_name, loss) => {
    const { model, rows } = train(7, 5, loss);
    for (const row of rows.slice(0, 15)) {
      const { contributions } = treeShap(model, row);
      const expected = bruteForceShap(model, row);
      contributions.forEach((value, f) => expect(Math.abs(value - expected[f])).toBeLessThan(1e-9));
    }
  });

  it('When any row is explained, then the base value plus the contributions is the model output', () => {
    const { model, rows } = train(3, 8, 'logistic');
    for (const row of rows) {
      const { base, contributions } = treeShap(model, row);
      const total = contributions.reduce((sum, value) => sum + value, base);
      expect(Math.abs(total - predictGbt(model, row))).toBeLessThan(1e-9);
    }
  });

  it('When a feature is constant in training (never split on), then its contribution is exactly zero', () => {
    const { rows, target } = dataset(5, 300, 3);
    const constant = rows.map((row) => [...row, 1]);
    const model = trainGbt({ rowCount: 300, featureCount: 4, values: Float32Array.from(constant.flat()) }, target, {
      loss: { kind: 'squared' },
      nTrees: 8,
      learningRate: 0.3,
      maxDepth: 4,
      minSamplesLeaf: 5,
      subsample: 1,
      maxBins: 32,
      seed: 5,
    });
    const { contributions } = treeShap(model, [...rows[0], 7]);
    expect(contributions[3]).toBe(0);
    expect(contributions.slice(0, 3).some((value) => value !== 0)).toBe(true);
  });

  it('When covers are missing (a model saved before they were recorded), then the sum still holds', () => {
    const { model, rows } = train(9, 4, 'squared');
    const withoutCover: GbtModel = {
      ...model,
      trees: model.trees.map((tree): GbtTree => ({ ...tree, cover: tree.cover.map(() => 0) })),
    };
    const { base, contributions } = treeShap(withoutCover, rows[1]);
    const total = contributions.reduce((sum, value) => sum + value, base);
    expect(total).toBeCloseTo(predictGbt(model, rows[1]), 9);
  });

  it('When the base value is read, then it is the cover-weighted mean of the training outputs', () => {
    // Root → leaves 2 (cover 30) and 5 (cover 10): expectation 0.75·2 + 0.25·5.
    const tree: GbtTree = {
      feature: [0, -1, -1],
      threshold: [1, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, 2, 5],
      cover: [40, 30, 10],
    };
    expect(expectedTreeValue(tree)).toBeCloseTo(2.75, 12);
    const explained = treeShap({ featureCount: 1, baseValue: 1, trees: [tree] }, [3]);
    expect(explained.base).toBeCloseTo(3.75, 12);
    expect(explained.contributions[0]).toBeCloseTo(5 - 2.75, 12);
  });

  it('When a row is shorter than the model reads, then it is refused with a clear message', () => {
    const { model } = train(1, 3, 'squared');
    expect(() => treeShap(model, [1, 2])).toThrow('the row has 2 values, the model reads 3 features');
  });
});

describe('linear SHAP', () => {
  it('When a linear score is explained, then each contribution is w·(x − mean) and they sum to the score', () => {
    const model = { weights: [2, -1, 0.5], intercept: 0.25, featureMeans: [1, 4, -2] };
    const row = [3, 1, 0];
    const { base, contributions } = linearShap(model, row);
    expect(Array.from(contributions)).toEqual([4, 3, 1]);
    expect(base + 4 + 3 + 1).toBeCloseTo(0.25 + 2 * 3 - 1 * 1 + 0.5 * 0, 12);
  });
});
