/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTableFile, toCsvRow } from '../adapters/files/csv';
import { OnnxClassifier } from '../adapters/onnx/onnxClassifier';
import { loadModel } from '../adapters/registry/modelRegistry';
import type { ModelManifest } from '../domain/mlops/manifest';
import { confidenceText, loadClassifiers, predictTable, runPredict } from './predict';
import { captureIo } from './capturedIo';

/** A model and what predict gave with it before the throughput work of issue 9; see fixtures/predict/README.md. */
const FIXTURE = join(__dirname, 'fixtures', 'predict');
const MODELS = join(FIXTURE, 'models');
const INPUT = join(FIXTURE, 'input.csv');
const expectedCsv = () => readFileSync(join(FIXTURE, 'expected.csv'), 'utf8');
const expectedProbabilities = () =>
  JSON.parse(readFileSync(join(FIXTURE, 'expected-probabilities.json'), 'utf8')) as number[][];
/** float32 results of the same sums in another order differ by a few ulps; a wrong feature moves them by far more. */
const SAME_PROBABILITY = 1e-6;

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

  it('When a one-column input has an empty text written "", then it keeps its row in the output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocai-predict-empty-'));
    try {
      const input = join(dir, 'texts.csv');
      await writeFile(input, 'text\n""\nprinter jammed\n');
      const io = captureIo();
      expect(await runPredict({ model: MODELS, input, text: ['text'] }, io)).toBe(0);
      const lines = io.out.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(/^,/);
      expect(lines[2]).toMatch(/^printer jammed,/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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

describe('predictTable output', () => {
  it('When cells need quoting or start like formulas, then each line is what toCsvRow writes for the row and its prediction', async () => {
    const table = await readTableFile(INPUT);
    const odd = ['=cmd|calc', '-0.5', 'a, "quoted" and\nbroken\r\nline', '@admin', '', '\tstart'];
    table.columns.push('note');
    table.rows.forEach((row, i) => {
      row.note = odd[i % odd.length];
      if (i % 5 === 0) row.text = `${odd[i % odd.length]} ${row.text}`;
    });
    const classifiers = await loadClassifiers(MODELS);
    const csv = await predictTable(table, classifiers, { text: ['text', 'note'] });
    const [classifier] = classifiers;
    const predicted = await classifier.predict(table.rows.map((r) => ({ text: `${r.text} ${r.note}`, context: {} })));
    await classifier.close();
    const name = classifier.manifest.name;
    const expected = [
      toCsvRow([...table.columns, name, `${name}_confidence`]),
      ...table.rows.map((row, i) =>
        toCsvRow([...table.columns.map((c) => row[c]), predicted[i].label, predicted[i].confidence.toFixed(4)])
      ),
    ];
    expect(csv).toBe(`${expected.join('\n')}\n`);
  });
});

describe('confidenceText', () => {
  const f32 = new Float32Array(1);
  const bits = new Int32Array(f32.buffer);
  /** The float32 `steps` ulps from `x` (x ≥ 0). */
  const nextFloat32 = (x: number, steps: number) => {
    f32[0] = x;
    bits[0] += steps;
    return f32[0];
  };

  it('When a float32 probability lies on or next to a rounding tie, then it prints what toFixed(4) prints', () => {
    // The float32 values that are exact ties at 4 decimals are the odd multiples of 1/32 (0.03125 → 0.0313).
    for (let k = 1; k < 32; k += 2) {
      for (let step = -3; step <= 3; step++) {
        const x = nextFloat32(k / 32, step);
        expect(confidenceText(x)).toBe(x.toFixed(4));
      }
    }
    // The float32 neighbours of the decimal ties n + 0.5 (in units of 1e-4).
    for (let n = 0; n < 10_000; n += 7) {
      for (let step = -2; step <= 2; step++) {
        const x = nextFloat32(Math.fround((n + 0.5) / 10_000), step);
        expect(confidenceText(x)).toBe(x.toFixed(4));
      }
    }
    for (const x of [0, -0, 1, Math.fround(0.99995), Math.fround(0.00005), 1.4e-45]) {
      expect(confidenceText(x)).toBe(x.toFixed(4));
    }
  });

  it('When a value is not a float32 probability, then it is written as toCsvRow writes its toFixed(4)', () => {
    for (const x of [0.1, 1 / 3, 1.5, -0.25, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      expect(confidenceText(x)).toBe(toCsvRow([x.toFixed(4)]));
    }
  });
});
