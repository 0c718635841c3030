/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import type { FeatureInput } from '../../domain/mlops/featurizer';
import { trainTextClassifier } from '../../domain/mlops/textClassifier';
import { exportLinearClassifier } from './linearClassifierExport';
import { lineExamples, lineManifestOf } from './lineModelFixture';
import { OnnxClassifier } from './onnxClassifier';
import { PredictionMemo } from './predictionMemo';

async function classifier(): Promise<OnnxClassifier> {
  const trained = trainTextClassifier('class', lineExamples());
  return OnnxClassifier.load(exportLinearClassifier(trained.model), lineManifestOf(trained));
}

/** Syslog-like inputs: a few templates whose variables differ from line to line. */
const inputs: FeatureInput[] = Array.from({ length: 60 }, (_, i) => ({
  text: [
    `UPS on battery, charge ${i}%`,
    `Interface Gi0/${i} changed state to down`,
    `Failed password for root from 10.0.${i}.7 port ${4000 + i}`,
  ][i % 3],
  context: { site_kind: i % 2 ? 'hotel' : 'hospital' },
}));

/** Inputs whose words masking keeps and that differ from one another: one memo entry each. */
const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
const distinctInputs: FeatureInput[] = names.flatMap((name, i) => [
  { text: `UPS ${name} on battery`, context: { site_kind: i % 2 ? 'hotel' : 'hospital' } },
  { text: `Interface uplink ${name} changed state to down`, context: { site_kind: 'hotel' } },
  { text: `Failed password for ${name} from remote host`, context: { site_kind: 'hospital' } },
]);

describe('PredictionMemo', () => {
  it('When lines repeat their templates across batches, then every prediction and explanation is the model’s own', async () => {
    const model = await classifier();
    const memo = new PredictionMemo(model, 4);
    const direct = await model.predict(inputs);
    for (const batch of [inputs.slice(0, 25), inputs.slice(25), inputs]) {
      const predictions = await memo.predict(batch, memo.keysOf(batch));
      const expected = direct.slice(inputs.indexOf(batch[0]), inputs.indexOf(batch[0]) + batch.length);
      expect(predictions.map((p) => [p.label, p.confidence])).toEqual(expected.map((p) => [p.label, p.confidence]));
    }
    const key = memo.keysOf([inputs[4]])[0];
    const options = { label: direct[4].label, top: 3 };
    expect(memo.explain(inputs[4], key, options)).toEqual(model.explain(inputs[4], options));
    await model.close();
  });

  it('When batches hold more distinct inputs than the bound, then it runs exactly what a least-recently-used memo of that bound lacks', async () => {
    const model = await classifier();
    const bound = 7;
    const memo = new PredictionMemo(model, bound);
    const run = jest.spyOn(model, 'probabilityMatrix');
    const direct = await model.predict(distinctInputs);
    run.mockClear();
    // The reference: keys in recency order, least recently used first, as the memo was once written.
    const reference: string[] = [];
    const batches = [0, 5, 3, 12, 0, 2, 20, 30, 28, 36, 0, 3, 25, 36].flatMap((from, i, all) =>
      i % 2 === 0 ? [distinctInputs.slice(from, all[i + 1])] : []
    );
    // A batch repeating its inputs: they are run once, and recency follows their last appearance.
    batches.push([...distinctInputs.slice(4, 9), ...distinctInputs.slice(0, 6)]);
    for (const batch of batches) {
      const keys = memo.keysOf(batch);
      const lacking = [...new Set(keys)].filter((k) => !reference.includes(k));
      const predictions = await memo.predict(batch, keys);
      const ran = run.mock.calls.flatMap(([asked]) => memo.keysOf(asked));
      run.mockClear();
      expect(ran).toEqual(lacking);
      expect(predictions).toEqual(batch.map((input) => direct[distinctInputs.indexOf(input)]));
      for (const key of keys) {
        if (reference.includes(key)) reference.splice(reference.indexOf(key), 1);
        reference.push(key);
      }
      reference.splice(0, Math.max(0, reference.length - bound));
    }
    const stats = memo.stats;
    expect(stats.size).toBe(bound);
    expect(reference.length).toBe(bound);
    // What it kept is what the reference kept: asked again, nothing runs.
    const kept = distinctInputs.filter((input) => reference.includes(memo.keysOf([input])[0]));
    expect(kept).toHaveLength(bound);
    await memo.predict(kept, memo.keysOf(kept));
    expect(run).not.toHaveBeenCalled();
    expect(stats.capacity).toBe(bound);
    expect(stats.hits + stats.misses).toBe(stats.lookups);
    expect(stats.hits).toBeGreaterThan(0);
    expect(stats.evictions).toBeGreaterThan(0);
    expect(stats.inputs).toBe(batches.reduce((n, b) => n + b.length, 0));
    await model.close();
  });

  it('When two inputs differ in a word masking keeps, then they are not taken for one another', async () => {
    const model = await classifier();
    const memo = new PredictionMemo(model);
    const pair: FeatureInput[] = [
      { text: 'UPS on battery after utility failure', context: { site_kind: 'hotel' } },
      { text: 'BGP neighbor 10.0.0.1 down', context: { site_kind: 'hotel' } },
    ];
    const keys = memo.keysOf(pair);
    expect(keys[0]).not.toEqual(keys[1]);
    expect((await memo.predict(pair, keys)).map((p) => p.label)).toEqual(['power', 'network']);
    await model.close();
  });
});
