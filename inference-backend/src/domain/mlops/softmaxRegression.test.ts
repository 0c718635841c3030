import { toySet } from './linearToySet';
import { argmax, predictMatrix, predictProbabilities, trainSoftmaxRegression, withTemperature } from './softmaxRegression';

describe('softmax regression (L-BFGS)', () => {
  it('When trained on a separable toy problem, then it classifies every training row and new phrasings right', () => {
    const { featurizer, set } = toySet();
    const { model, converged } = trainSoftmaxRegression(set, { C: 10 });
    expect(converged).toBe(true);
    const P = predictMatrix(model, set.features);
    set.targets.forEach((t, i) => expect(argmax(P.subarray(i * 3, i * 3 + 3))).toBe(t));
    const predict = (text: string) =>
      model.labels[argmax(predictProbabilities(model, featurizer.transform({ text, context: {} })))];
    expect(predict('uplink down')).toBe('network');
    expect(predict('password attempt for admin')).toBe('security');
  });

  it('When trained twice, then the weights are identical; probabilities sum to 1', () => {
    const { set } = toySet();
    const a = trainSoftmaxRegression(set).model;
    const b = trainSoftmaxRegression(set).model;
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    const p = predictMatrix(a, set.features).subarray(0, 3);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('When C grows, then the weights grow: less shrinkage', () => {
    const { set } = toySet();
    const norm = (C: number) =>
      trainSoftmaxRegression(set, { C, tolerance: 1e-6 }).model.weights.reduce((sum, w) => sum + w * w, 0);
    expect(norm(10)).toBeGreaterThan(norm(1));
  });

  it('When a class is rare, then balanced class weights still learn it', () => {
    const { set } = toySet();
    const counts = set.targets.map((t) => (t === 2 ? 1 : 200));
    const { model } = trainSoftmaxRegression({ ...set, counts }, { classWeight: 'balanced', C: 10 });
    const P = predictMatrix(model, set.features);
    set.targets.forEach((t, i) => expect(argmax(P.subarray(i * 3, i * 3 + 3))).toBe(t));
  });

  it('When a temperature above 1 is applied, then the winner stays and its probability moves towards uniform', () => {
    const { set } = toySet();
    const { model } = trainSoftmaxRegression(set, { C: 10 });
    const x = { indices: Array.from(set.features.indices.subarray(0, 3)), values: Array.from(set.features.values.subarray(0, 3)) };
    const sharp = predictProbabilities(model, x);
    const soft = predictProbabilities(withTemperature(model, 2), x);
    expect(argmax(soft)).toBe(argmax(sharp));
    expect(Math.max(...soft)).toBeLessThan(Math.max(...sharp));
  });
});
