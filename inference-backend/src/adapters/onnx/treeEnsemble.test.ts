/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { predictGbt, seededRandom, trainGbt, DEFAULT_GBT_OPTIONS } from '../../domain/mlops/gbt';
import type { FeatureMatrix, GbtModel } from '../../domain/mlops/gbt';
import { buildTreeEnsembleOnnx, readOnnxMetadata, readTreeEnsembles } from './treeEnsemble';

function randomMatrix(seed: number, rowCount: number, featureCount: number): FeatureMatrix {
  const random = seededRandom(seed);
  return {
    rowCount,
    featureCount,
    values: Float32Array.from({ length: rowCount * featureCount }, () => random() * 10),
  };
}

function trainedModel(): { model: GbtModel; matrix: FeatureMatrix } {
  const matrix = randomMatrix(1, 600, 3);
  const target = Array.from({ length: 600 }, (_, i) => {
    const [a, b] = matrix.values.subarray(i * 3, i * 3 + 2);
    return (a > 5 ? 2 : 0) + 0.3 * b;
  });
  const model = trainGbt(matrix, target, {
    ...DEFAULT_GBT_OPTIONS,
    loss: { kind: 'squared' },
    nTrees: 30,
    maxDepth: 4,
  });
  return { model, matrix };
}

describe('tree ensemble ONNX export', () => {
  const { model, matrix } = trainedModel();
  const bytes = buildTreeEnsembleOnnx({
    graphName: 'test',
    inputName: 'x',
    featureCount: 3,
    outputs: [{ name: 'y', model, transform: 'none' }],
    metadata: { version: '7' },
  });

  it('When the exported ensemble runs in onnxruntime, then it returns the TypeScript predictions', async () => {
    const session = await InferenceSession.create(bytes);
    const result = await session.run({ x: new Tensor('float32', matrix.values, [matrix.rowCount, 3]) });
    const y = result.y.data as Float32Array;

    expect(result.y.dims).toEqual([matrix.rowCount, 1]);
    for (let i = 0; i < matrix.rowCount; i++) {
      expect(y[i]).toBeCloseTo(predictGbt(model, matrix.values.subarray(i * 3, i * 3 + 3)), 4);
    }
    await session.release();
  });

  it('When the file is read back, then the trees, covers and metadata are the ones written', () => {
    const read = readTreeEnsembles(bytes);

    expect([...read.keys()]).toEqual(['y']);
    expect(read.get('y')).toEqual(model);
    expect(readOnnxMetadata(bytes)).toEqual({ version: '7' });
  });

  it('When an output is capped by another one, then it is never below it', async () => {
    const lower = { ...model, baseValue: model.baseValue + 1 };
    const capped = buildTreeEnsembleOnnx({
      graphName: 'capped',
      inputName: 'x',
      featureCount: 3,
      outputs: [
        { name: 'high', model: lower, transform: 'expm1' },
        { name: 'low', model, transform: 'expm1', atLeast: 'high' },
      ],
    });
    const session = await InferenceSession.create(capped);
    const result = await session.run({ x: new Tensor('float32', matrix.values.subarray(0, 30), [10, 3]) });

    expect(Array.from(result.low.data as Float32Array)).toEqual(Array.from(result.high.data as Float32Array));
    expect((result.high.data as Float32Array)[0]).toBeCloseTo(
      Math.expm1(predictGbt(lower, matrix.values.subarray(0, 3))),
      3
    );
    expect([...readTreeEnsembles(capped).keys()].sort()).toEqual(['high', 'low']);
    await session.release();
  });
});
