/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { createFeaturizer } from '../../domain/mlops/featurizer';
import type { FeatureInput } from '../../domain/mlops/featurizer';
import { predictProbabilities } from '../../domain/mlops/softmaxRegression';
import { trainTextClassifier } from '../../domain/mlops/textClassifier';
import {
  exportLinearClassifier,
  FEATURE_INDICES_INPUT,
  FEATURE_VALUES_INPUT,
  PROBABILITIES_OUTPUT,
} from './linearClassifierExport';
import { lineExamples, lineManifestOf } from './lineModelFixture';
import { OnnxClassifier } from './onnxClassifier';

const examples = lineExamples;
const manifestOf = lineManifestOf;

const probes: FeatureInput[] = [
  { text: 'UPS on battery, charge 40%', context: { site_kind: 'hospital' } },
  { text: 'Interface Gi0/1 changed state to down', context: { site_kind: 'hotel' } },
  { text: 'Failed password for invalid user test', context: { site_kind: '' } },
  { text: 'words the model never saw', context: {} },
];

describe('ONNX export of the linear text classifier', () => {
  it('When the exported graph runs in onnxruntime, then it gives the TS forward pass probabilities within 1e-5', async () => {
    const trained = trainTextClassifier('class', examples());
    const featurizer = createFeaturizer(trained.featurizer);
    const rows = probes.map((p) => featurizer.transform(p));
    const session = await InferenceSession.create(exportLinearClassifier(trained.model));
    // Padded to the widest row with column 0 and value 0, as the serving path does.
    const L = Math.max(...rows.map((r) => r.indices.length));
    const indices = new Int32Array(rows.length * L);
    const values = new Float32Array(rows.length * L);
    rows.forEach((row, r) =>
      row.indices.forEach((column, e) => {
        indices[r * L + e] = column;
        values[r * L + e] = row.values[e];
      })
    );
    const result = await session.run({
      [FEATURE_INDICES_INPUT]: new Tensor('int32', indices, [rows.length, L]),
      [FEATURE_VALUES_INPUT]: new Tensor('float32', values, [rows.length, L]),
    });
    const output = result[PROBABILITIES_OUTPUT];
    expect(output.dims).toEqual([rows.length, trained.model.labels.length]);
    const onnx = output.data as Float32Array;
    rows.forEach((x, r) => {
      predictProbabilities(trained.model, x).forEach((p, k) => {
        expect(Math.abs(onnx[r * trained.model.labels.length + k] - p)).toBeLessThan(1e-5);
      });
    });
    await session.release();
  });

  it('When served by OnnxClassifier in small chunks, then each input gets its label, confidence and model version', async () => {
    const trained = trainTextClassifier('class', examples());
    const classifier = await OnnxClassifier.load(exportLinearClassifier(trained.model), manifestOf(trained), {
      chunkRows: 3,
    });
    const predictions = await classifier.predict(probes);
    expect(predictions.slice(0, 3).map((p) => p.label)).toEqual(['power', 'network', 'security']);
    expect(predictions[0].modelVersion).toBe('event-class@v1');
    for (const p of predictions) {
      expect(p.confidence).toBeCloseTo(p.probabilities[p.label], 6);
      expect(Object.values(p.probabilities).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    expect(predictions[3].confidence).toBeLessThan(0.7);
    expect(classifier.explain(probes[1])[0].feature).toMatch(/state|down|interface|changed/);
    await classifier.close();
  });

  it('When a model exported before int32 indices (its graph takes int64) is served, then it gives the same probabilities as the int32 graph, bit for bit', async () => {
    const trained = trainTextClassifier('class', examples());
    const bytes = exportLinearClassifier(trained.model);
    const classifier = await OnnxClassifier.load(bytes, manifestOf(trained), { chunkRows: 3 });
    const old = await OnnxClassifier.load(withInt64Indices(bytes), manifestOf(trained), { chunkRows: 3 });
    const many = Array.from({ length: 40 }, (_, i) => probes[i % probes.length]);
    const served = await classifier.probabilityMatrix(many);
    expect(Array.from(await old.probabilityMatrix(many))).toEqual(Array.from(served));
    expect((await old.predict(probes)).map((p) => p.label)).toEqual(
      (await classifier.predict(probes)).map((p) => p.label)
    );
    await Promise.all([classifier.close(), old.close()]);
  });
});

/** The same graph with its index input declared int64, as exportLinearClassifier wrote it before issue 9 part 6. */
function withInt64Indices(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const input = model.graph?.input?.find((i) => i.name === FEATURE_INDICES_INPUT);
  const tensorType = input?.type?.tensorType;
  if (!tensorType || tensorType.elemType !== onnx.TensorProto.DataType.INT32) throw new Error('no int32 index input');
  tensorType.elemType = onnx.TensorProto.DataType.INT64;
  return onnx.ModelProto.encode(model).finish();
}
