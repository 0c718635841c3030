import { createFeaturizer, fitFeaturizer } from './featurizer';
import { argmax, predictProbabilities, trainSoftmaxRegression } from './softmaxRegression';

const texts: Array<[string, string]> = [
  ['link down on port', 'network'],
  ['interface flapping link', 'network'],
  ['bgp neighbor down', 'network'],
  ['fan failure detected', 'hardware'],
  ['disk failure predicted', 'hardware'],
  ['power supply failure', 'hardware'],
  ['failed password for root', 'security'],
  ['invalid user login attempt', 'security'],
  ['port scan detected', 'security'],
];

function toySet() {
  const inputs = texts.map(([text]) => ({ text, context: {} }));
  const featurizer = createFeaturizer(fitFeaturizer(inputs));
  const labels = ['hardware', 'network', 'security'];
  return {
    featurizer,
    set: {
      features: inputs.map((i) => featurizer.transform(i)),
      targets: texts.map(([, label]) => labels.indexOf(label)),
      labels,
      dimension: featurizer.dimension,
    },
  };
}

describe('softmax regression', () => {
  it('When trained on a separable toy problem, then it classifies every training row and new phrasings right', () => {
    const { featurizer, set } = toySet();
    const model = trainSoftmaxRegression(set, { epochs: 100 });
    set.features.forEach((x, i) => expect(argmax(predictProbabilities(model, x))).toBe(set.targets[i]));
    const predict = (text: string) =>
      model.labels[argmax(predictProbabilities(model, featurizer.transform({ text, context: {} })))];
    expect(predict('uplink down')).toBe('network');
    expect(predict('password attempt for admin')).toBe('security');
  });

  it('When trained twice with the same seed, then the weights are identical; probabilities sum to 1', () => {
    const { set } = toySet();
    const a = trainSoftmaxRegression(set, { seed: 3 });
    const b = trainSoftmaxRegression(set, { seed: 3 });
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    const p = predictProbabilities(a, set.features[0]);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('When a class is rare, then balanced class weights still learn it', () => {
    const { set } = toySet();
    const counts = set.targets.map((t) => (t === 2 ? 1 : 200));
    const model = trainSoftmaxRegression({ ...set, counts });
    set.features.forEach((x, i) => expect(argmax(predictProbabilities(model, x))).toBe(set.targets[i]));
  });
});
