import { seededRandom } from './gbt';
import {
  applyTemperature,
  calibrationFigures,
  fitTemperature,
  grid,
  gridSearch,
  groupKFold,
  stratifiedKFold,
  stratifiedSample,
  timeOrderedFolds,
} from './methodology';

const labels = [...Array(60).fill('a'), ...Array(30).fill('b'), ...Array(9).fill('c')] as string[];

describe('folds', () => {
  it('When folds are stratified, then every row is validated once and each fold keeps the class mix', () => {
    const folds = stratifiedKFold(labels, 3, 7);
    const validated = folds.flatMap((f) => f.validation).sort((a, b) => a - b);
    expect(validated).toEqual(labels.map((_, i) => i));
    for (const fold of folds) {
      const count = (label: string) => fold.validation.filter((i) => labels[i] === label).length;
      expect([count('a'), count('b'), count('c')]).toEqual([20, 10, 3]);
      expect(fold.train.length + fold.validation.length).toBe(labels.length);
      expect(fold.train.some((i) => fold.validation.includes(i))).toBe(false);
    }
  });

  it('When the seed is the same, then the folds are the same; another seed deals them differently', () => {
    expect(stratifiedKFold(labels, 3, 7)).toEqual(stratifiedKFold(labels, 3, 7));
    expect(stratifiedKFold(labels, 3, 8)).not.toEqual(stratifiedKFold(labels, 3, 7));
  });

  it('When rows have times, then every fold trains on the past and validates on the block after it', () => {
    const random = seededRandom(3);
    const times = Array.from({ length: 40 }, () => Math.floor(random() * 1000));
    const folds = timeOrderedFolds(times, 3);
    expect(folds).toHaveLength(3);
    for (const fold of folds) {
      expect(fold.validation.length).toBeGreaterThan(0);
      expect(Math.max(...fold.train.map((i) => times[i]))).toBeLessThanOrEqual(
        Math.min(...fold.validation.map((i) => times[i]))
      );
    }
    // Expanding window: each fold trains on more of the past than the one before.
    expect(folds[1].train.length).toBeGreaterThan(folds[0].train.length);
  });

  it('When rows come in groups, then every group is validated in exactly one fold and the folds are of even size', () => {
    const random = seededRandom(9);
    const groups = Array.from({ length: 300 }, () => `engine ${Math.floor(random() * 20)}`);
    const folds = groupKFold(groups, 3, 1);
    const validated = folds.flatMap((f) => f.validation).sort((a, b) => a - b);
    expect(validated).toEqual(groups.map((_, i) => i));
    for (const fold of folds) {
      const inValidation = new Set(fold.validation.map((i) => groups[i]));
      expect(fold.train.some((i) => inValidation.has(groups[i]))).toBe(false);
      expect(fold.validation.length).toBeGreaterThan(70);
    }
    expect(() => groupKFold(['a', 'a', 'b'], 3, 1)).toThrow('at least 3 groups');
  });

  it('When a subset is drawn, then it has exactly the size asked for, every class, in proportion', () => {
    const rows = stratifiedSample(labels, 33, 1);
    expect(rows).toHaveLength(33);
    const count = (label: string) => rows.filter((i) => labels[i] === label).length;
    expect([count('a'), count('b'), count('c')]).toEqual([20, 10, 3]);
    expect(stratifiedSample(labels, 33, 1)).toEqual(rows);
  });
});

describe('grid search', () => {
  it('When candidates are scored on folds, then the best mean wins and an exact tie goes to the earlier one', () => {
    const candidates = grid<{ C: number; classWeight: string }>({ C: [1, 10], classWeight: ['none', 'balanced'] });
    expect(candidates).toEqual([
      { C: 1, classWeight: 'none' },
      { C: 1, classWeight: 'balanced' },
      { C: 10, classWeight: 'none' },
      { C: 10, classWeight: 'balanced' },
    ]);
    const scores = [0.7, 0.9, 0.9, 0.8];
    const folds = stratifiedKFold(labels, 3, 1);
    const result = gridSearch(
      candidates,
      folds,
      'stratified',
      'macroF1',
      (fold) =>
        candidates.map((_, c) => ({
          score: scores[c],
          probabilities: new Float64Array(fold.validation.length * 3).fill(c),
        })),
      3
    );
    expect(result.chosen).toBe(1);
    expect(result.candidates[1]).toMatchObject({ mean: 0.9, std: 0, perFold: [0.9, 0.9, 0.9] });
    // The out-of-fold predictions kept are the chosen candidate's, for every row once.
    expect(result.outOfFold.rows).toHaveLength(labels.length);
    expect(new Set(result.outOfFold.probabilities)).toEqual(new Set([1]));
  });
});

describe('calibration', () => {
  /** Rows whose true class follows `p`, and predictions that are `p` sharpened by 1/T. */
  function overconfident(temperature: number, rows = 4000) {
    const random = seededRandom(11);
    const K = 3;
    const truth = new Int32Array(rows);
    const calibrated = new Float64Array(rows * K);
    for (let r = 0; r < rows; r++) {
      const z = [random() * 3, random() * 3, random() * 3];
      const sum = z.reduce((s, v) => s + Math.exp(v), 0);
      const p = z.map((v) => Math.exp(v) / sum);
      calibrated.set(p, r * K);
      const u = random();
      truth[r] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
    }
    return { truth, calibrated, predicted: applyTemperature(calibrated, K, 1 / temperature), K };
  }

  it('When predictions are too sure by a factor of 2, then the fitted temperature is about 2 and undoes it', () => {
    const { truth, calibrated, predicted, K } = overconfident(2);
    const T = fitTemperature(predicted, truth, K);
    expect(T).toBeGreaterThan(1.7);
    expect(T).toBeLessThan(2.3);
    const before = calibrationFigures(predicted, truth, K);
    const after = calibrationFigures(applyTemperature(predicted, K, T), truth, K);
    expect(after.ece).toBeLessThan(before.ece / 2);
    expect(after.ece).toBeLessThan(0.03);
    expect(calibrationFigures(calibrated, truth, K).ece).toBeLessThan(0.03);
  });

  it('When every prediction is right (separable data), then the temperature stays finite and confidences below 1', () => {
    const K = 2;
    const probabilities = Float64Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0.8 : 0.2));
    const truth = Int32Array.from({ length: 20 }, () => 0);
    const T = fitTemperature(probabilities, truth, K);
    expect(T).toBeGreaterThan(0.05);
    expect(applyTemperature(probabilities, K, T)[0]).toBeLessThan(0.99);
  });

  it('When the reliability table is built, then its bins cover every row and the ECE is their weighted gap', () => {
    const probabilities = Float64Array.from([0.95, 0.05, 0.95, 0.05, 0.6, 0.4, 0.6, 0.4]);
    const truth = [0, 1, 0, 1];
    const figures = calibrationFigures(probabilities, truth, 2);
    expect(figures.reliability).toEqual([
      { from: 0.6, to: 0.7, rows: 2, confidence: 0.6, accuracy: 0.5 },
      { from: 0.9, to: 1, rows: 2, confidence: 0.95, accuracy: 0.5 },
    ]);
    expect(figures.ece).toBeCloseTo(0.5 * 0.1 + 0.5 * 0.45, 10);
  });
});
