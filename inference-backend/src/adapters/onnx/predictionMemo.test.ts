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
