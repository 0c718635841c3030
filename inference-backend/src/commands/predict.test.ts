/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../adapters/files/csv';
import { OnnxClassifier } from '../adapters/onnx/onnxClassifier';
import { loadModel } from '../adapters/registry/modelRegistry';
import type { ModelManifest } from '../domain/mlops/manifest';
import { loadClassifiers, predictTable, runPredict } from './predict';
import type { CommandIo } from './commandInput';

/** A model and what predict gave with it before the throughput work of issue 9; see fixtures/predict/README.md. */
const FIXTURE = join(__dirname, 'fixtures', 'predict');
const MODELS = join(FIXTURE, 'models');
const INPUT = join(FIXTURE, 'input.csv');
const expectedCsv = () => readFileSync(join(FIXTURE, 'expected.csv'), 'utf8');
const expectedProbabilities = () =>
  JSON.parse(readFileSync(join(FIXTURE, 'expected-probabilities.json'), 'utf8')) as number[][];
/** float32 results of the same sums in another order differ by a few ulps; a wrong feature moves them by far more. */
const SAME_PROBABILITY = 1e-6;

function captureIo(): CommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

describe('nocai predict on the golden fixture', () => {
  it('When the fixture rows are predicted, then the CSV is byte for byte the one recorded before the speed-up', async () => {
    const io = captureIo();
    expect(await runPredict({ model: MODELS, input: INPUT, text: ['text'], id: 'id' }, io)).toBe(0);
    expect(io.err).toBe('');
    expect(io.out).toBe(expectedCsv());
  });

  it('When served, then every class probability of every row is the recorded one', async () => {
    const table = await readTableFile(INPUT);
    const [classifier] = await loadClassifiers(MODELS);
    const served = await classifier.probabilities(table.rows.map((r) => ({ text: r.text, context: {} })));
    await classifier.close();
    const expected = expectedProbabilities();
    expect(served).toHaveLength(expected.length);
    served.forEach((row, r) => {
      expect(row).toHaveLength(expected[r].length);
      row.forEach((p, k) => expect(Math.abs(p - expected[r][k])).toBeLessThan(SAME_PROBABILITY));
    });
  });

  it('When the rows run in many small chunks that reuse one input buffer, then the probabilities do not change', async () => {
    const table = await readTableFile(INPUT);
    const stored = await loadModel<ModelManifest>(MODELS, 'label', 'v1');
    const chunked = await OnnxClassifier.load(stored.onnx, stored.manifest, { chunkRows: 7 });
    const served = await chunked.probabilities(table.rows.map((r) => ({ text: r.text, context: {} })));
    await chunked.close();
    const expected = expectedProbabilities();
    served.forEach((row, r) =>
      row.forEach((p, k) => expect(Math.abs(p - expected[r][k])).toBeLessThan(SAME_PROBABILITY))
    );
  });

  it("When two calls overlap on one loaded model (as HTTP requests do), then each gets its own rows' probabilities", async () => {
    const table = await readTableFile(INPUT);
    const stored = await loadModel<ModelManifest>(MODELS, 'label', 'v1');
    const classifier = await OnnxClassifier.load(stored.onnx, stored.manifest, { chunkRows: 5 });
    const inputs = table.rows.map((r) => ({ text: r.text, context: {} }));
    const half = Math.floor(inputs.length / 2);
    const [first, second] = await Promise.all([
      classifier.probabilities(inputs.slice(0, half)),
      classifier.probabilities(inputs.slice(half)),
    ]);
    await classifier.close();
    const expected = expectedProbabilities();
    [...first, ...second].forEach((row, r) =>
      row.forEach((p, k) => expect(Math.abs(p - expected[r][k])).toBeLessThan(SAME_PROBABILITY))
    );
  });

  it('When predicted twice with the same loaded model, then both outputs are the recorded CSV', async () => {
    const table = await readTableFile(INPUT);
    const classifiers = await loadClassifiers(MODELS);
    const flags = { text: ['text'], id: 'id' };
    const first = await predictTable(table, classifiers, flags);
    const second = await predictTable(table, classifiers, flags);
    await Promise.all(classifiers.map((c) => c.close()));
    expect(first).toBe(expectedCsv());
    expect(second).toBe(expectedCsv());
  });
});
