/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTableFile } from '../adapters/files/csv';
import { exportLinearClassifier } from '../adapters/onnx/linearClassifierExport';
import { lineManifestOf } from '../adapters/onnx/lineModelFixture';
import { OnnxClassifier } from '../adapters/onnx/onnxClassifier';
import { createFeaturizer } from '../domain/mlops/featurizer';
import { predictProbabilities } from '../domain/mlops/softmaxRegression';
import { timeOrderedSplit } from '../domain/mlops/split';
import { fitChosen, prepareTextData, trainTextClassifier } from '../domain/mlops/textClassifier';
import type { TrainedTextClassifier } from '../domain/mlops/textClassifier';
import { captureIo } from '../commands/capturedIo';
import { runModels } from '../commands/models';
import {
  HOLDOUT_CHECK,
  IT_TICKETS_FILE,
  itTicketExamples,
  itTicketRows,
  saveBenchTextModel,
  THROUGHPUT_MODEL,
} from './textModels';

/** The shared datasets live beside the repository: <repo>/../shared/datasets. */
const DATASETS_DIR = resolve(__dirname, '..', '..', '..', '..', 'shared', 'datasets');

/**
 * Floors on real data (issue 9), on the bounded check of HOLDOUT_CHECK: 6,000 tickets, the newest
 * 20% of each topic held out. On exactly these rows scikit-learn's TF-IDF (word 1–2 + char_wb
 * 3–5) + LogisticRegression gets macro-F1 0.776 (accuracy 0.804) and ours 0.820 (accuracy 0.814),
 * both printed by
 *   BENCH_TEXT_SPLIT=holdout BENCH_TEXT_ROWS=6000 npm run bench:text
 * The floor keeps us 0.024 above scikit-learn while leaving 0.02 for platform rounding.
 */
const HELD_OUT_MACRO_F1_FLOOR = 0.8;
const CV_MACRO_F1_FLOOR = 0.79;
const ECE_CEILING = 0.08;

describe('text classifier on real IT help-desk tickets (../shared/datasets/it-tickets)', () => {
  let trained: TrainedTextClassifier;
  let examples: ReturnType<typeof itTicketExamples>;

  beforeAll(async () => {
    const table = await readTableFile(join(DATASETS_DIR, IT_TICKETS_FILE));
    examples = itTicketExamples(itTicketRows(table, HOLDOUT_CHECK.rows));
    trained = trainTextClassifier('topic', examples, HOLDOUT_CHECK.options);
  }, 600_000);

  it('When trained on a stratified subset, then the held-out and CV macro-F1 stay above scikit-learn’s on the same rows', () => {
    expect(examples).toHaveLength(HOLDOUT_CHECK.rows);
    expect(trained.report.test.rows).toBe(timeOrderedSplit(examples.map((e) => e.label)).test.length);
    expect(trained.report.test.macroF1).toBeGreaterThanOrEqual(HELD_OUT_MACRO_F1_FLOOR);
    const chosen = trained.report.crossValidation.candidates.find((c) => c.hyperparameters === trained.hyperparameters);
    expect(chosen?.mean).toBeGreaterThanOrEqual(CV_MACRO_F1_FLOOR);
    // Confidences the review queue can trust: calibrated on out-of-fold predictions, checked on held-out rows.
    expect(trained.report.calibration.heldOut.ece).toBeLessThan(ECE_CEILING);
  });

  it('When exported to ONNX, then onnxruntime gives the probabilities of the TS model on real tickets within 1e-5', async () => {
    const classifier = await OnnxClassifier.load(
      exportLinearClassifier(trained.model),
      lineManifestOf(trained, { name: 'topic', target: 'topic', textColumns: ['text'], contextColumns: [] })
    );
    const probes = examples.slice(0, 300);
    const featurizer = createFeaturizer(trained.featurizer);
    const served = await classifier.probabilities(probes);
    probes.forEach((probe, r) => {
      predictProbabilities(trained.model, featurizer.transform(probe)).forEach((p, k) => {
        expect(Math.abs(served[r][k] - p)).toBeLessThan(1e-5);
      });
    });
    await classifier.close();
  });
});

describe('the model npm run bench:text times nocai predict with', () => {
  it('When it is saved, then nocai models show names the bench as its maker and says why it was made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nocai-bench-text-model-'));
    try {
      const examples = ['printer jammed', 'printer out of toner', 'vpn drops', 'vpn login fails'].map((text) => ({
        text,
        context: {},
        label: text.startsWith('vpn') ? 'network' : 'hardware',
      }));
      const data = prepareTextData(examples);
      const fitted = fitChosen(data, [0, 1, 2, 3], THROUGHPUT_MODEL, 1);
      expect(await saveBenchTextModel(dir, fitted, 4)).toBeGreaterThan(0);
      const shown = captureIo();
      expect(await runModels({ action: 'show', dir, name: 'topic' }, shown)).toBe(0);
      expect(shown.out).toMatch(/v1\s+champion\s+\S+\s+setup:npm run bench:text\s/);
      const version = captureIo();
      expect(await runModels({ action: 'show', dir, name: 'topic', version: 'v1' }, version)).toBe(0);
      expect(version.out).toContain(' by setup:npm run bench:text\n');
      expect(version.out).toContain(
        'reason: topic model of npm run bench:text, fitted on 4 it-tickets rows to time nocai predict\n'
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
