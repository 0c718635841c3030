import { createFeaturizer } from './featurizer';
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
    expect(why.some((e) => e.feature === 'site_kind=hotel')).toBe(true);
    for (let i = 1; i < why.length; i++) expect(why[i - 1].weight).toBeGreaterThanOrEqual(why[i].weight);
  });
});
