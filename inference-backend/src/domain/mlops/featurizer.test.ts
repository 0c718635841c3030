import { createFeaturizer, featureTokens, fitFeaturizer, DEFAULT_FEATURIZER_OPTIONS } from './featurizer';
import type { FeatureInput } from './featurizer';

const docs: FeatureInput[] = [
  {
    text: 'UPS ups-01: battery charge low (12%), runtime 4 min',
    context: { device_kind: 'ups', site_kind: 'hospital' },
  },
  { text: 'Link down on sw-03 port Gi1/0/24', context: { device_kind: 'network_switch', site_kind: 'hotel' } },
  { text: 'sshd[2211]: Failed password for root from 10.2.3.4 port 5522', context: { appname: 'sshd' } },
];

describe('featurizer', () => {
  it('When a message has variable parts, then they become placeholders, with bigrams and context features', () => {
    const tokens = featureTokens(docs[2], DEFAULT_FEATURIZER_OPTIONS);
    expect(tokens).toContain('<ip>');
    expect(tokens).toContain('failed password');
    expect(tokens).toContain('ctx:appname=sshd');
    expect(tokens.join(' ')).not.toContain('10.2.3.4');
  });

  it('When fitted twice or on reordered input, then vocabulary and vectors are the same', () => {
    const a = fitFeaturizer(docs);
    const b = fitFeaturizer([...docs].reverse());
    expect(b.vocabulary).toEqual(a.vocabulary);
    expect(b.idf).toEqual(a.idf);
    expect(createFeaturizer(b).transform(docs[0])).toEqual(createFeaturizer(a).transform(docs[0]));
  });

  it('When the parameters go through JSON (as in a manifest), then the features are identical', () => {
    const params = fitFeaturizer(docs, { maxFeatures: 50, charNgrams: [3] });
    const restored = JSON.parse(JSON.stringify(params)) as typeof params;
    for (const doc of docs)
      expect(createFeaturizer(restored).transform(doc)).toEqual(createFeaturizer(params).transform(doc));
  });

  it('When featurized, then vectors have unit length and only known features, at most maxFeatures of them', () => {
    const params = fitFeaturizer(docs, { maxFeatures: 10 });
    expect(params.vocabulary).toHaveLength(10);
    const x = createFeaturizer(params).transform(docs[1]);
    expect(x.values.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 10);
    expect(createFeaturizer(params).transform({ text: 'completely unseen words', context: {} }).indices).toEqual([]);
  });

  it('When a model was stored by another featurizer version, then it refuses to load', () => {
    expect(() => createFeaturizer({ ...fitFeaturizer(docs), version: 999 })).toThrow(/retrain/);
  });
});
