import { createFeaturizer } from './featurizer';
import { predictProbabilities } from './softmaxRegression';
import { explain, trainTextClassifier } from './textClassifier';
import type { LabelledExample } from './textClassifier';

function examples(): LabelledExample[] {
  const rows: LabelledExample[] = [];
  for (let i = 0; i < 40; i++) {
    rows.push({ text: `Link down on port ${i}`, context: { site_kind: 'hotel' }, label: 'network', timeMs: i * 1000 });
    rows.push({
      text: `Fan ${i % 4} failure on server`,
      context: { site_kind: 'factory' },
      label: 'hardware',
      timeMs: i * 1000 + 1,
    });
  }
  return rows;
}

describe('trainTextClassifier', () => {
  it('When trained, then the report scores the newest 20% of each class and the train scores next to it', () => {
    const trained = trainTextClassifier('class', examples());
    expect(trained.window).toMatchObject({ trainRows: 64, testRows: 16, fromMs: 0, toMs: 31_001 });
    expect(trained.report.test.accuracy).toBe(1);
    expect(trained.report.train.accuracy).toBe(1);
    expect(trained.report.test.confusion.labels).toEqual(['hardware', 'network']);
  });

  it('When trained, then the report says how: CV candidates on the training part, the choice, the calibration', () => {
    const trained = trainTextClassifier('class', examples(), {
      grid: { C: [1, 10], classWeight: ['none', 'balanced'], maxFeatures: [1000] },
    });
    const { crossValidation, calibration, evaluation } = trained.report;
    expect(evaluation).toMatch(/training part only/);
    // The examples have times: folds are time-ordered, and the candidates are scored on the training part.
    expect(crossValidation).toMatchObject({ kind: 'time-ordered', folds: 3, metric: 'macroF1' });
    // Axis by axis: C with the first class weights, then the other class weights with the best C.
    const regression = crossValidation.candidates.slice(0, 3);
    expect(regression.map((c) => [c.hyperparameters.C, c.hyperparameters.classWeight])).toEqual([
      [1, 'none'],
      [10, 'none'],
      [crossValidation.candidates[0].mean >= crossValidation.candidates[1].mean ? 1 : 10, 'balanced'],
    ]);
    // Then the shares of NB-weighted logistic regression blended into the best regression.
    const best = regression.reduce((a, c) => (c.mean > a.mean + 1e-9 ? c : a));
    expect(crossValidation.candidates.slice(3).map((c) => c.hyperparameters)).toEqual(
      [0.25, 0.5, 0.75].map((share) => ({ ...best.hyperparameters, nbLogisticShare: share }))
    );
    expect(crossValidation.chosen).toBe(trained.hyperparameters);
    expect(calibration.temperature).toBeGreaterThan(0);
    expect(calibration.heldOut.reliability.reduce((n, bin) => n + bin.rows, 0)).toBe(16);
  });

  it('When NB-weighted shares are tried, then one is chosen only when its CV mean beats the plain regression', () => {
    const noisy = examples().map((e, i) =>
      i % 7 === 0 ? { ...e, label: e.label === 'network' ? 'hardware' : 'network' } : e
    );
    const trained = trainTextClassifier('class', noisy, {
      grid: { C: [1], classWeight: ['none'], maxFeatures: [1000] },
    });
    const { candidates, chosen } = trained.report.crossValidation;
    const plain = candidates.find((c) => (c.hyperparameters.nbLogisticShare ?? 0) === 0);
    const picked = candidates.find((c) => c.hyperparameters === chosen);
    expect(candidates).toHaveLength(4);
    expect(picked?.mean).toBeGreaterThanOrEqual(plain?.mean ?? Infinity);
    if ((chosen.nbLogisticShare ?? 0) > 0) expect(picked?.mean).toBeGreaterThan((plain?.mean ?? Infinity) + 1e-9);
    const none = trainTextClassifier('class', noisy, {
      grid: { C: [1], classWeight: ['none'], maxFeatures: [1000], nbLogisticShare: [0] },
    });
    expect(none.report.crossValidation.candidates).toHaveLength(1);
  });

  it('When trained twice on the same rows, then the models are identical', () => {
    const a = trainTextClassifier('class', examples());
    const b = trainTextClassifier('class', examples());
    expect(Array.from(b.model.weights)).toEqual(Array.from(a.model.weights));
    expect(b.featurizer.vocabulary).toEqual(a.featurizer.vocabulary);
  });

  it('When seed examples are given, then they are learned from but never scored', () => {
    const seedExamples: LabelledExample[] = [
      { text: 'generator did not start', context: {}, label: 'power' },
      { text: 'backup generator failed, building dark', context: {}, label: 'power' },
    ];
    const trained = trainTextClassifier('class', examples(), { seedExamples });
    expect(trained.model.labels).toEqual(['hardware', 'network', 'power']);
    // Held out: the newest 20% of the 80 history rows only.
    expect(trained.report.test.rows).toBe(16);
    const featurizer = createFeaturizer(trained.featurizer);
    const input = { text: 'the generator did not start', context: {} };
    const p = predictProbabilities(trained.model, featurizer.transform(input));
    expect(trained.model.labels[p.indexOf(Math.max(...p))]).toBe('power');
    expect(explain(trained.model, featurizer, input).map((e) => e.feature)).toContain('generator');
  });

  it('When everything has one label, then it says it needs two classes', () => {
    const one = examples().map((e) => ({ ...e, label: 'network' }));
    expect(() => trainTextClassifier('class', one)).toThrow(/at least 2 classes/);
  });

  it('When a prediction is explained, then the words and context that point to the class come first', () => {
    const trained = trainTextClassifier('class', examples());
    const why = explain(
      trained.model,
      createFeaturizer(trained.featurizer),
      {
        text: 'Link down on port 99',
        context: { site_kind: 'hotel' },
      },
      { top: 20 }
    );
    expect(why.length).toBeGreaterThan(0);
    expect(why.map((e) => e.feature)).toEqual(expect.arrayContaining(['link']));
    // Words, not character n-grams; never a stopword such as `on`.
    expect(why.some((e) => e.feature.startsWith('#') || e.feature === 'on')).toBe(false);
    expect(why.some((e) => e.feature === 'site_kind=hotel')).toBe(true);
    for (let i = 1; i < why.length; i++) expect(why[i - 1].weight).toBeGreaterThanOrEqual(why[i].weight);
  });
});
