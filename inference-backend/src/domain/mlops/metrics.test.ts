import { evaluateClassification } from './metrics';

describe('evaluateClassification', () => {
  it('When scored on a hand-computed example, then precision, recall, F1, accuracy and confusion match', () => {
    const truth = ['cat', 'cat', 'cat', 'dog', 'dog', 'bird'];
    const predicted = ['cat', 'cat', 'dog', 'dog', 'cat', 'bird'];
    const report = evaluateClassification(['bird', 'cat', 'dog'], truth, predicted);
    expect(report.accuracy).toBeCloseTo(4 / 6);
    const cat = report.perClass.find((c) => c.label === 'cat');
    // cat: tp 2, predicted 3 times, truly 3 → P = R = F1 = 2/3.
    expect(cat).toMatchObject({ support: 3 });
    expect(cat?.precision).toBeCloseTo(2 / 3);
    expect(cat?.f1).toBeCloseTo(2 / 3);
    const dog = report.perClass.find((c) => c.label === 'dog');
    // dog: tp 1, predicted 2, truly 2 → P = R = F1 = 1/2.
    expect(dog?.recall).toBeCloseTo(0.5);
    expect(report.macroF1).toBeCloseTo((1 + 2 / 3 + 0.5) / 3);
    expect(report.confusion).toEqual({
      labels: ['bird', 'cat', 'dog'],
      matrix: [
        [1, 0, 0],
        [0, 2, 1],
        [0, 1, 1],
      ],
    });
  });

  it('When rows carry counts, then they weigh like repeated rows', () => {
    const counted = evaluateClassification(['a', 'b'], ['a', 'b'], ['a', 'a'], [3, 1]);
    const repeated = evaluateClassification(['a', 'b'], ['a', 'a', 'a', 'b'], ['a', 'a', 'a', 'a']);
    expect(counted).toEqual(repeated);
  });
});
