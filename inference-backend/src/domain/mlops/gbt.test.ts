import { binEdges, contributionsGbt, DEFAULT_GBT_OPTIONS, predictGbt, seededRandom, trainGbt } from './gbt';
import type { FeatureMatrix, GbtOptions } from './gbt';

function matrixOf(rows: number[][]): FeatureMatrix {
  const featureCount = rows[0].length;
  return { rowCount: rows.length, featureCount, values: Float32Array.from(rows.flat()) };
}

/** y = 10 + 5·x0 + noise·N(0,1)-ish (sum of uniforms), x1 is irrelevant. */
function noisyLinear(seed: number, n: number): { matrix: FeatureMatrix; target: number[] } {
  const random = seededRandom(seed);
  const rows: number[][] = [];
  const target: number[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = random() * 4;
    const noise = (random() + random() + random() + random() - 2) * 1.7;
    rows.push([x0, random()]);
    target.push(10 + 5 * x0 + noise);
  }
  return { matrix: matrixOf(rows), target };
}

const options = (overrides: Partial<GbtOptions>): GbtOptions => ({
  ...DEFAULT_GBT_OPTIONS,
  loss: { kind: 'squared' },
  ...overrides,
});

describe('gradient-boosted trees', () => {
  it('When a single tree is fitted to a step function, then it predicts each side of the step exactly', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i / 10);
    const model = trainGbt(
      matrixOf(xs.map((x) => [x])),
      xs.map((x) => (x <= 4.2 ? 3 : 8)),
      options({ nTrees: 1, learningRate: 1, maxDepth: 1, minSamplesLeaf: 1, subsample: 1, maxBins: 256 })
    );

    expect(model.trees[0].threshold[0]).toBeCloseTo(4.2, 5);
    expect(predictGbt(model, [1])).toBeCloseTo(3, 5);
    expect(predictGbt(model, [4.2])).toBeCloseTo(3, 5);
    expect(predictGbt(model, [4.3])).toBeCloseTo(8, 5);
    expect(predictGbt(model, [9.9])).toBeCloseTo(8, 5);
  });

  it('When trained with quantile losses on noisy data, then unseen rows fall below each quantile about that often', () => {
    const train = noisyLinear(1, 3000);
    const test = noisyLinear(2, 2000);
    for (const alpha of [0.5, 0.9]) {
      const model = trainGbt(train.matrix, train.target, options({ loss: { kind: 'quantile', alpha }, nTrees: 150 }));
      let below = 0;
      for (let i = 0; i < test.matrix.rowCount; i++) {
        if (test.target[i] <= predictGbt(model, test.matrix.values.subarray(i * 2, i * 2 + 2))) below++;
      }
      expect(below / test.matrix.rowCount).toBeGreaterThan(alpha - 0.05);
      expect(below / test.matrix.rowCount).toBeLessThan(alpha + 0.05);
    }
  });

  it('When trained twice with the same seed, then the trees are identical; another seed gives other trees', () => {
    const { matrix, target } = noisyLinear(3, 500);
    const o = options({ nTrees: 20, subsample: 0.5 });

    const first = trainGbt(matrix, target, { ...o, seed: 7 });
    const again = trainGbt(matrix, target, { ...o, seed: 7 });
    const other = trainGbt(matrix, target, { ...o, seed: 8 });

    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('When a prediction is explained, then the bias plus the contributions add up to it and the irrelevant feature barely counts', () => {
    const { matrix, target } = noisyLinear(4, 1000);
    const model = trainGbt(matrix, target, options({ nTrees: 50 }));
    const x = [3.5, 0.5];

    const { bias, contributions } = contributionsGbt(model, x);

    expect(bias + contributions[0] + contributions[1]).toBeCloseTo(predictGbt(model, x), 6);
    // High x0 raises y by about 5·(3.5 − 2) over the average row.
    expect(contributions[0]).toBeGreaterThan(5);
    expect(Math.abs(contributions[1])).toBeLessThan(1);
  });

  it('When trained with the logistic loss, then the output is the log-odds of the class and unseen rows are mostly right', () => {
    const train = noisyLinear(6, 2000);
    const test = noisyLinear(7, 1000);
    // Class 1 when y is above its middle value (20): a noisy threshold on x0 near 2.
    const label = (y: number) => (y > 20 ? 1 : 0);
    const model = trainGbt(train.matrix, train.target.map(label), options({ loss: { kind: 'logistic' }, nTrees: 100 }));
    let right = 0;
    for (let i = 0; i < test.matrix.rowCount; i++) {
      const logOdds = predictGbt(model, test.matrix.values.subarray(i * 2, i * 2 + 2));
      if ((logOdds > 0 ? 1 : 0) === label(test.target[i])) right++;
    }

    expect(right / test.matrix.rowCount).toBeGreaterThan(0.85);
    // Far from the threshold the model is sure, in log-odds: x0 = 0.2 is class 0, x0 = 3.8 class 1.
    expect(predictGbt(model, [0.2, 0.5])).toBeLessThan(-3);
    expect(predictGbt(model, [3.8, 0.5])).toBeGreaterThan(3);
  });

  it('When each tree may use half of the features, then the trees split on both and the fit stays as good', () => {
    const { matrix, target } = noisyLinear(8, 1500);
    // Two copies of x0 next to the noise column: any half of the columns still holds x0.
    const wide = {
      rowCount: matrix.rowCount,
      featureCount: 4,
      values: Float32Array.from(
        { length: matrix.rowCount * 4 },
        (_, k) => matrix.values[Math.floor(k / 4) * 2 + (k % 4 === 1 ? 1 : 0)]
      ),
    };
    const model = trainGbt(wide, target, options({ nTrees: 60, featureFraction: 0.5 }));
    const used = new Set(model.trees.flatMap((tree) => tree.feature.filter((f) => f >= 0)));

    expect(used.has(0) && used.has(2)).toBe(true);
    expect(predictGbt(model, [3, 0.5, 3, 3])).toBeCloseTo(25, 0);
  });

  it('When bagged (a random forest), then every tree fits the target itself and the model is their average', () => {
    const { matrix, target } = noisyLinear(7, 2000);
    const forest = trainGbt(
      matrix,
      target,
      options({ bagging: true, nTrees: 30, learningRate: 1, maxDepth: 4, minSamplesLeaf: 5, subsample: 1 })
    );
    // Each tree alone, with the base, is a whole model: boosting's later trees would only hold residuals.
    const alone = forest.trees.map((tree) => ({ ...tree, value: tree.value.map((v) => v * 30) }));
    const at = [2, 0.5];
    const perTree = alone.map((tree) => predictGbt({ ...forest, trees: [tree] }, at));
    for (const p of perTree) expect(Math.abs(p - 20)).toBeLessThan(2.5);
    const mean = perTree.reduce((a, b) => a + b, 0) / perTree.length;
    expect(predictGbt(forest, at)).toBeCloseTo(mean, 3);
    // Bootstrap samples differ: the trees are not all the same.
    expect(new Set(perTree.map((p) => p.toFixed(4))).size).toBeGreaterThan(1);
    expect(() => trainGbt(matrix, target, options({ bagging: true, loss: { kind: 'logistic' } }))).toThrow(
      /bagging averages squared-loss trees/
    );
  });

  it('When progress is followed, then it is reported once per tree', () => {
    const { matrix, target } = noisyLinear(5, 200);
    const seen: number[] = [];

    trainGbt(matrix, target, options({ nTrees: 4, onTree: (built) => seen.push(built) }));

    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('When bin edges are cut from columns holding NaN, infinities, both zeros, negatives and repeats, then they are those of a plain sort', () => {
    // The reference: each column sorted by Float32Array's own sort, then the same edge rule.
    const reference = (matrix: FeatureMatrix, maxBins: number): Float32Array[] =>
      Array.from({ length: matrix.featureCount }, (_, f) => {
        const column = Float32Array.from(
          { length: matrix.rowCount },
          (_, i) => matrix.values[i * matrix.featureCount + f]
        );
        column.sort();
        const unique: number[] = [];
        column.forEach((x, i) => {
          if (i === 0 || x !== column[i - 1]) unique.push(x);
        });
        if (unique.length <= maxBins) return Float32Array.from(unique);
        const chosen: number[] = [];
        for (let b = 1; b < maxBins; b++) {
          const edge = column[Math.min(column.length - 1, Math.floor((b * column.length) / maxBins))];
          if (chosen.length === 0 || edge > chosen[chosen.length - 1]) chosen.push(edge);
        }
        if (chosen[chosen.length - 1] < column[column.length - 1]) chosen.push(column[column.length - 1]);
        return Float32Array.from(chosen);
      });
    const random = seededRandom(11);
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38];
    const columns: Array<() => number> = [
      () => (random() - 0.5) * 1e6, // many distinct values, both signs
      () => special[Math.floor(random() * special.length)], // the awkward ones
      () => (random() < 0.3 ? NaN : Math.round((random() - 0.5) * 8)), // few values and missing ones
      () => 7, // constant
      () => (random() < 0.5 ? -0 : 0), // only zeros, of both signs
      () => (random() < 0.1 ? special[Math.floor(random() * special.length)] : -random() * 1e-3), // negatives mostly
    ];
    for (const rows of [1, 40, 3000]) {
      const matrix: FeatureMatrix = {
        rowCount: rows,
        featureCount: columns.length,
        values: Float32Array.from({ length: rows * columns.length }, (_, k) => columns[k % columns.length]()),
      };
      for (const maxBins of [2, 16, 64]) {
        const got = binEdges(matrix, maxBins);
        const want = reference(matrix, maxBins);
        // Compared bit for bit (Object.is tells −0 from +0 and NaN from numbers).
        got.forEach((edges, f) => expect(Array.from(edges)).toEqual(Array.from(want[f])));
      }
    }
  });
});
