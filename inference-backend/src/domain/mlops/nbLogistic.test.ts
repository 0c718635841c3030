import { toySet } from './linearToySet';
import { blendLinear, logCountRatios, trainNbLogistic } from './nbLogistic';
import { argmax, predictMatrix, predictProbabilities, trainSoftmaxRegression } from './softmaxRegression';

describe('NB-weighted logistic regression', () => {
  it('When a feature occurs in one class only, then its log-count ratio is positive for that class and negative for the others', () => {
    const { featurizer, set } = toySet();
    const r = logCountRatios(set, 1);
    const column = featurizer.params.vocabulary.indexOf('failure');
    expect(column).toBeGreaterThanOrEqual(0);
    expect(r[column * 3 + set.labels.indexOf('hardware')]).toBeGreaterThan(0);
    expect(r[column * 3 + set.labels.indexOf('network')]).toBeLessThan(0);
    expect(r[column * 3 + set.labels.indexOf('security')]).toBeLessThan(0);
  });

  it('When trained on a separable toy problem, then it classifies every training row and new phrasings right', () => {
    const { featurizer, set } = toySet();
    const model = trainNbLogistic(set, { C: 10 });
    expect(model.dimension).toBe(featurizer.dimension);
    const P = predictMatrix(model, set.features);
    set.targets.forEach((t, i) => expect(argmax(P.subarray(i * 3, i * 3 + 3))).toBe(t));
    const predict = (text: string) =>
      model.labels[argmax(predictProbabilities(model, featurizer.transform({ text, context: {} })))];
    expect(predict('uplink down')).toBe('network');
    expect(predict('disk failure')).toBe('hardware');
  });

  it('When trained twice, then the weights are identical', () => {
    const { set } = toySet();
    expect(Array.from(trainNbLogistic(set).weights)).toEqual(Array.from(trainNbLogistic(set).weights));
  });

  it('When two models are blended, then the logits are the weighted sum of theirs; share 0 is the first model', () => {
    const { set } = toySet();
    const a = trainSoftmaxRegression(set, { C: 10 }).model;
    const b = trainNbLogistic(set, { C: 10 });
    expect(blendLinear(a, b, 0)).toBe(a);
    const mixed = blendLinear(a, b, 0.25);
    const j = 5;
    for (let k = 0; k < 3; k++) {
      expect(mixed.weights[j * 3 + k]).toBeCloseTo(0.75 * a.weights[j * 3 + k] + 0.25 * b.weights[j * 3 + k], 5);
      expect(mixed.bias[k]).toBeCloseTo(0.75 * a.bias[k] + 0.25 * b.bias[k], 5);
    }
    expect(() => blendLinear(a, { ...b, labels: ['x', 'y', 'z'] }, 0.5)).toThrow(/cannot blend/);
  });
});
