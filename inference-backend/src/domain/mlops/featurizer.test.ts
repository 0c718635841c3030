import fc from 'fast-check';
import {
  BatchBuffers,
  Block,
  blockOf,
  createFeaturizer,
  featureTokens,
  fitFeaturizer,
  rowOf,
  tokenizeCorpus,
  fitVocabulary,
  DEFAULT_FEATURIZER_OPTIONS,
} from './featurizer';
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

  it('When featurized, then each block (words, characters, context) has unit length and at most maxFeatures features', () => {
    const params = fitFeaturizer(docs, { maxFeatures: 10, minDocumentFrequency: 1 });
    const blocks = params.vocabulary.map(blockOf);
    expect(blocks.filter((b) => b === Block.Word)).toHaveLength(10);
    expect(blocks.filter((b) => b === Block.Char)).toHaveLength(10);
    const x = createFeaturizer(params).transform(docs[1]);
    for (const block of [Block.Word, Block.Char, Block.Context]) {
      const norm = x.indices.reduce(
        (s, column, e) => s + (blockOf(params.vocabulary[column]) === block ? x.values[e] * x.values[e] : 0),
        0
      );
      expect(norm).toBeCloseTo(1, 6);
    }
    expect(createFeaturizer(params).transform({ text: 'completely unseen words', context: {} }).indices).toEqual([]);
  });

  it('When German text is featurized, then umlauts and ß stay inside their words', () => {
    const tokens = featureTokens(
      { text: 'Stromausfall im Gebäude, Straße gesperrt', context: {} },
      DEFAULT_FEATURIZER_OPTIONS
    );
    expect(tokens).toEqual(expect.arrayContaining(['gebäude', 'straße', 'stromausfall im', '# gebä']));
  });

  it('When a corpus is tokenised once for cross-validation, then its rows equal what serving computes', () => {
    const corpus = tokenizeCorpus(docs, { minDocumentFrequency: 1 });
    const params = fitVocabulary(corpus, [0, 1]);
    const featurizer = createFeaturizer(params);
    const matrix = featurizer.transformCorpus(corpus, [2, 1, 0]);
    const asMap = (x: { indices: number[]; values: number[] }) => new Map(x.indices.map((c, e) => [c, x.values[e]]));
    [2, 1, 0].forEach((doc, r) => {
      const served = asMap(featurizer.transform(docs[doc]));
      const fromCorpus = asMap(rowOf(matrix, r));
      expect([...fromCorpus.keys()].sort()).toEqual([...served.keys()].sort());
      for (const [column, value] of fromCorpus) expect(value).toBeCloseTo(served.get(column) ?? NaN, 6);
    });
  });

  it('When served, then words are split exactly as training splits them, in any script and around placeholders', () => {
    const texts: FeatureInput[] = [
      'Stromausfall im Gebäude, Straße gesperrt; Störung seit 10:42',
      'a<b>c <num <> x<*>y __init__ snake_case_name <<num>> <Num> <ab1>',
      'Ελληνικά κείμενα και кириллица тоже, 中文字符 and 𝐁𝐨𝐥𝐝 𝟏𝟐 letters',
      'emoji 🔥🔥 fire, cafe\u0301 decomposed, İstanbul DŽungla, lone \ud800 surrogate',
      'ab ab ab ab repeated repeated x y z 1 22 333',
      '',
    ].map((text) => ({ text, context: {} }));
    const corpus = tokenizeCorpus(texts, { minDocumentFrequency: 1 });
    const featurizer = createFeaturizer(fitVocabulary(corpus, [0, 1, 2, 3, 4, 5]));
    const fromCorpus = featurizer.transformCorpus(corpus, [0, 1, 2, 3, 4, 5]);
    const asMap = (x: { indices: number[]; values: number[] }) => new Map(x.indices.map((c, e) => [c, x.values[e]]));
    // Served twice through one set of buffers, as the serving path featurizes block after block.
    const buffers = new BatchBuffers();
    for (let pass = 0; pass < 2; pass++) {
      const served = featurizer.transformBatch(texts, buffers);
      texts.forEach((_, r) => expect(asMap(rowOf(served, r))).toEqual(asMap(rowOf(fromCorpus, r))));
    }
    const vocabulary = featurizer.params.vocabulary;
    expect(vocabulary).toEqual(expect.arrayContaining(['𝐁𝐨𝐥𝐝', 'кириллица', '<num>', 'snake_case_name', '__init__']));
    expect(vocabulary).not.toContain('<ab1>');
  });

  it('When served in batches, then each row is bit for bit transform and transformCorpus of it, in the same order', () => {
    // Words that share n-grams, in any case, with the characters that send a text through masking
    // (digits, `/`, `@`, non-ASCII) or keep it on the fast path that reads the text as it is.
    const pieces = [
      'Printer',
      'printer',
      'PRINT',
      'reset',
      'Reset',
      'password',
      'pass',
      'vpn',
      'VPN',
      'drops',
      'Straße',
      'Drucker',
      'geht',
      'nicht',
      'port',
      '22',
      '10.0.0.1',
      'a/b',
      'x@y.z',
      '_id',
      'e',
      ' ',
      ' ',
      '  ',
      ', ',
      '. ',
      '-',
      '\t',
      '\n',
      'löschen',
      '<num>',
      'x'.repeat(257),
    ];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((parts) => parts.join(' '));
    fc.assert(
      fc.property(fc.array(text, { minLength: 2, maxLength: 12 }), (all) => {
        const inputs = all.map((t) => ({ text: t, context: {} }));
        const corpus = tokenizeCorpus(inputs, { minDocumentFrequency: 1 });
        // Fitted on the first half: the others have unknown words and n-grams too.
        const fitted = Array.from({ length: Math.ceil(inputs.length / 2) }, (_, i) => i);
        const params = fitVocabulary(corpus, fitted);
        const featurizer = createFeaturizer(params);
        // One that remembers two words outside the vocabulary: it forgets them, and the
        // character n-grams it keeps for every word, again and again, within rows too.
        const forgetful = createFeaturizer(params, 2);
        const rows = inputs.map((_, i) => i);
        const fromCorpus = featurizer.transformCorpus(corpus, rows);
        const buffers = new BatchBuffers();
        for (let pass = 0; pass < 2; pass++) {
          const served = featurizer.transformBatch(inputs, buffers);
          const servedForgetful = forgetful.transformBatch(inputs);
          inputs.forEach((input, r) => {
            const one = featurizer.transform(input);
            expect(rowOf(served, r)).toEqual(one);
            expect(rowOf(fromCorpus, r)).toEqual(one);
            expect(rowOf(servedForgetful, r)).toEqual(one);
            expect(forgetful.transform(input)).toEqual(one);
          });
        }
      }),
      { numRuns: 300, seed: 9 }
    );
  });

  it('When a word outside the vocabulary is met once, then it is not cached; met again, it is; the rows are the same either way', () => {
    const corpus = tokenizeCorpus(docs, { minDocumentFrequency: 1 });
    const featurizer = createFeaturizer(fitVocabulary(corpus, [0, 1, 2]));
    // `battery` is a vocabulary word; `report`, `zqxw` and `ports` are not (their character n-grams
    // are known in part: `port`, `rt`).
    const input = { text: 'battery report: zqxw ports', context: {} };
    const once = featurizer.transform(input);
    expect(once.indices.length).toBeGreaterThan(0);
    expect(featurizer.cachedWords()).toBe(0);
    const batch = featurizer.transformBatch([input]);
    expect(featurizer.cachedWords()).toBe(3);
    expect(rowOf(batch, 0)).toEqual(once);
    expect(featurizer.transform(input)).toEqual(once);
    expect(featurizer.cachedWords()).toBe(3);
    // A word twice in one row: its first occurrence is transient, its second cached.
    const fresh = createFeaturizer(featurizer.params);
    const twice = { text: 'zqxw batteries zqxw', context: {} };
    const expected = createFeaturizer(featurizer.params).transformCorpus(
      tokenizeCorpus([twice], { minDocumentFrequency: 1 }),
      [0]
    );
    expect(fresh.transform(twice)).toEqual(rowOf(expected, 0));
    expect(fresh.cachedWords()).toBe(1);
  });

  it('When the vocabulary has more words than a packed bigram table holds, then serving still equals transformCorpus', () => {
    // 47,000 distinct four-letter words (past the 46,340 whose pairs fit one int32), each text twice.
    const letters = (n: number) =>
      Array.from({ length: 4 }, (_, k) => String.fromCharCode(97 + (Math.floor(n / 26 ** k) % 26))).join('');
    const texts = Array.from({ length: 94 }, (_, t) =>
      Array.from({ length: 500 }, (_, w) => letters((t * 500 + w) * 7919)).join(' ')
    );
    const inputs = [...texts, ...texts].map((text) => ({ text, context: {} }));
    const corpus = tokenizeCorpus(inputs, { charNgrams: [] });
    const rows = Int32Array.from(inputs, (_, i) => i);
    const featurizer = createFeaturizer(fitVocabulary(corpus, rows));
    expect(featurizer.params.vocabulary.filter((f) => !f.includes(' ')).length).toBeGreaterThan(46_340);
    const served = featurizer.transformBatch(inputs.slice(0, 3));
    const fromCorpus = featurizer.transformCorpus(corpus, [0, 1, 2]);
    for (let r = 0; r < 3; r++) {
      expect(rowOf(served, r)).toEqual(rowOf(fromCorpus, r));
      // Every word's unigram and bigram, its lead n-grams.
      expect(rowOf(served, r).indices.length).toBe(500 + 499 + 6 + 5);
    }
  });

  it('When a model was stored by another featurizer version, then it refuses to load', () => {
    expect(() => createFeaturizer({ ...fitFeaturizer(docs), version: 999 })).toThrow(/retrain/);
  });
});
