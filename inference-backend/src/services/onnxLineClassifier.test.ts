/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { exportLinearClassifier } from '../adapters/onnx/linearClassifierExport';
import { lineExamples, lineManifestOf } from '../adapters/onnx/lineModelFixture';
import { OnnxClassifier } from '../adapters/onnx/onnxClassifier';
import { maskMessage } from '../domain/logs/masking';
import { trainTextClassifier } from '../domain/mlops/textClassifier';
import type { LineInput } from '../pipeline/logStage';
import { OnnxLineClassifier } from './onnxModels';

/** The line classifier of the fixture's model in both slots, reading `textColumns`. */
async function lineClassifier(textColumns: string[]): Promise<OnnxLineClassifier> {
  const trained = trainTextClassifier('class', lineExamples());
  const load = (name: string) =>
    OnnxClassifier.load(
      exportLinearClassifier(trained.model),
      lineManifestOf(trained, { name, target: 'class', textColumns, contextColumns: ['site_kind'] })
    );
  return new OnnxLineClassifier(await load('event-class'), await load('event-decision'));
}

/** A page as the log stage gives it: templates repeating with other values, some lines repeated whole. */
function page(): LineInput[] {
  const messages = [
    (i: number) => `UPS on battery, charge ${i % 7}%`,
    (i: number) => `Interface Gi0/${i % 5} changed state to down`,
    (i: number) => `Failed password for root from 10.0.${i % 4}.7 port ${4000 + (i % 3)}`,
    () => 'BGP neighbor 10.0.0.1 down',
  ];
  return Array.from({ length: 80 }, (_, i) => ({
    message: messages[i % messages.length](i),
    template: '',
    severity: i % 3 ? 'err' : 'warning',
    appname: i % 2 ? 'ups' : 'sshd',
    siteKind: i % 5 ? 'hotel' : 'hospital',
  }));
}

/** Each line alone, on a classifier of its own: what no sharing between lines can change. */
async function oneByOne(textColumns: string[], inputs: readonly LineInput[]) {
  const out = [];
  for (const input of inputs) {
    const classifier = await lineClassifier(textColumns);
    out.push((await classifier.classifyBatch([{ ...input, maskedMessage: undefined }]))[0]);
  }
  return out;
}

describe('OnnxLineClassifier', () => {
  it('When the log stage gives each line masked already and lines repeat, then every verdict is the one the line gets alone', async () => {
    const inputs = page().map((input) => ({ ...input, maskedMessage: maskMessage(input.message) }));
    const classifier = await lineClassifier(['message']);
    const batched = [
      ...(await classifier.classifyBatch(inputs.slice(0, 30))),
      ...(await classifier.classifyBatch(inputs.slice(30))),
    ];
    expect(batched).toEqual(await oneByOne(['message'], inputs));
  });
});
