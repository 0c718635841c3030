/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { onnx } from 'onnx-proto';
import type { ImportSpec } from '../../domain/mlops/importedModel';
import { ensembleToOnnx } from '../registry/import/ensembleOnnx';
import { convertLightgbm, convertXgboost } from '../registry/import/treeDumps';
import { ImportedInputError, ImportedModel, ModelSignatureError } from './importedModel';

/** One XGBoost tree: x0 < 0.5 → 0.2 (NaN goes left too), else x1 < 2 → -0.3, else 0.7. */
const xgboostDump = (objective: string, baseScore: string) => ({
  learner: {
    objective: { name: objective },
    learner_model_param: { base_score: baseScore, num_class: '0', num_feature: '2', num_target: '1' },
    gradient_booster: {
      name: 'gbtree',
      model: {
        tree_info: [0],
        trees: [
          {
            tree_param: { num_nodes: '5', size_leaf_vector: '1' },
            left_children: [1, -1, 3, -1, -1],
            right_children: [2, -1, 4, -1, -1],
            split_indices: [0, 0, 1, 0, 0],
            split_conditions: [0.5, 0.2, 2, -0.3, 0.7],
            default_left: [1, 0, 0, 0, 0],
            split_type: [0, 0, 0, 0, 0],
          },
        ],
      },
    },
  },
});

/** One LightGBM tree on x0 <= 1 with the given missing type, default right; leaves 10 and 20. */
const lightgbmDump = (missingType: string) => ({
  objective: 'regression',
  num_class: 1,
  num_tree_per_iteration: 1,
  max_feature_idx: 0,
  tree_info: [
    {
      num_cat: 0,
      tree_structure: {
        split_feature: 0,
        threshold: missingType === 'Zero' ? -1 : 1,
        decision_type: '<=',
        default_left: false,
        missing_type: missingType,
        left_child: { leaf_value: 10 },
        right_child: { leaf_value: 20 },
      },
    },
  ],
});

const tableSpec = (task: ImportSpec['task'], columns: string[], labels: string[] = []): ImportSpec => ({
  name: 'm',
  target: 't',
  task,
  format: 'xgboost-json',
  inputs: { kind: 'columns', tensor: 'features', columns: columns.map((name) => ({ name, type: 'float' })) },
  outputs: task === 'regression' ? { value: 'value' } : { probabilities: 'probabilities' },
  labels,
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * A dense logistic regression as skl2onnx exports one without ZipMap: softmax(features · W + b),
 * features float [N, 2]. Unlike trees it has no way for a missing value: NaN in, NaN out.
 */
function logisticOnnx(): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const tensor = (name: string, dims: number[], values: number[]): onnx.ITensorProto => ({
    name,
    dims,
    dataType: FLOAT,
    floatData: values,
  });
  const info = (name: string, dims: Array<number | string>): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const graph: onnx.IGraphProto = {
    name: 'logistic',
    node: [
      { opType: 'MatMul', input: ['features', 'w'], output: ['xw'] },
      { opType: 'Add', input: ['xw', 'b'], output: ['logits'] },
      {
        opType: 'Softmax',
        input: ['logits'],
        output: ['probabilities'],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
    ],
    initializer: [tensor('w', [2, 2], [1, -1, 0.5, -0.5]), tensor('b', [2], [0, 0])],
    input: [info('features', ['N', 2])],
    output: [info('probabilities', ['N', 2])],
  };
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

describe('ImportedModel', () => {
  it('When an XGBoost binary dump is converted, then rows follow its < splits, NaN its default branch, and the base score is a probability', async () => {
    const model = await ImportedModel.fromBytes(
      ensembleToOnnx(convertXgboost(xgboostDump('binary:logistic', '[2.5E-1]'))),
      tableSpec('classification', ['a', 'b'], ['no', 'yes'])
    );
    const base = Math.log(0.25 / 0.75);
    const predictions = await model.predict([
      { a: 0.49, b: 9 },
      { a: 0.5, b: 1 }, // 0.5 is not < 0.5: right, then 1 < 2: -0.3
      { a: '', b: 5 }, // missing: default left
      { a: 3, b: '2' }, // 2 is not < 2
    ]);
    const expected = [0.2, -0.3, 0.2, 0.7].map((leaf) => sigmoid(base + leaf));
    predictions.forEach((p, i) => {
      if (!('probabilities' in p)) throw new Error('a classifier predicts probabilities');
      expect(p.probabilities.yes).toBeCloseTo(expected[i], 6);
      expect(p.probabilities.no).toBeCloseTo(1 - expected[i], 6);
      expect(p.label).toBe(expected[i] > 0.5 ? 'yes' : 'no');
    });
    await model.release();
  });

  it.each([
    // None: NaN is read as 0, and 0 <= 1 goes left. NaN: the default branch (right).
    ['None', [0.5, 1, 1.5, Number.NaN], [10, 10, 20, 10]],
    ['NaN', [0.5, 1, 1.5, Number.NaN], [10, 10, 20, 20]],
    // Zero (threshold -1): 0 and NaN take the default branch (right); others compare with <= -1.
    ['Zero', [-2, 0, -0.5, Number.NaN], [10, 20, 20, 20]],
  ])(
    'When a LightGBM split has missing type %s, then values go where LightGBM sends them',
    async (missing, xs, leaves) => {
      const model = await ImportedModel.fromBytes(
        ensembleToOnnx(convertLightgbm(lightgbmDump(missing))),
        tableSpec('regression', ['x'])
      );
      const predictions = await model.predict(xs.map((x) => ({ x: Number.isNaN(x) ? 'NaN' : x })));
      expect(predictions).toEqual(leaves.map((value) => ({ value })));
      await model.release();
    }
  );

  it('When the manifest names another input, a different width or too many labels, then loading says what differs', async () => {
    const onnx = ensembleToOnnx(convertXgboost(xgboostDump('binary:logistic', '5E-1')));
    const spec = tableSpec('classification', ['a', 'b'], ['no', 'yes']);
    await expect(
      ImportedModel.fromBytes(onnx, { ...spec, inputs: { ...spec.inputs, tensor: 'input' } })
    ).rejects.toThrow('the model has no input input (its inputs: features)');
    await expect(
      ImportedModel.fromBytes(onnx, tableSpec('classification', ['a', 'b', 'c'], ['no', 'yes']))
    ).rejects.toThrow('input features takes 2 values per row but the manifest declares 3 columns');
    await expect(
      ImportedModel.fromBytes(onnx, tableSpec('classification', ['a', 'b'], ['x', 'y', 'z']))
    ).rejects.toThrow('output probabilities has 2 columns but the manifest lists 3 labels');
    await expect(ImportedModel.fromBytes(onnx.subarray(0, 40), spec)).rejects.toThrow(ModelSignatureError);
  });

  it('When a row lacks a column or holds text where a number belongs, then the error names the row and column', async () => {
    const model = await ImportedModel.fromBytes(
      ensembleToOnnx(convertXgboost(xgboostDump('reg:squarederror', '1'))),
      tableSpec('regression', ['a', 'b'])
    );
    await expect(model.predict([{ a: 1, b: 1 }, { a: 1 }])).rejects.toThrow(
      new ImportedInputError('row 2 has no "b" (the model reads a, b)')
    );
    await expect(model.predict([{ a: 'high', b: 1 }])).rejects.toThrow('row 1: a must be a number, not "high"');
    // The regression's value is base_score + the leaf.
    expect(await model.predict([{ a: 3, b: 1 }])).toEqual([{ value: expect.closeTo(0.7, 6) }]);
    await model.release();
  });

  it('When a model that takes no missing values is given an empty cell, then the row is refused naming the column, not answered with null probabilities', async () => {
    const model = await ImportedModel.fromBytes(
      logisticOnnx(),
      tableSpec('classification', ['a', 'b'], ['fails', 'ok'])
    );
    // Logits 1 + 2 × 0.5 = 2 and -2.
    const [complete] = await model.predict([{ a: 1, b: 2 }]);
    expect(complete).toEqual({
      label: 'fails',
      probabilities: { fails: expect.closeTo(sigmoid(4), 6), ok: expect.closeTo(sigmoid(-4), 6) },
    });
    await expect(
      model.predict([
        { a: 1, b: 2 },
        { a: null, b: 2 },
      ])
    ).rejects.toThrow(
      new ImportedInputError('row 2: the model takes no missing values and a is missing: give a number')
    );
    await expect(model.predict([{ a: '', b: 'NaN' }])).rejects.toThrow(
      new ImportedInputError('row 1: the model takes no missing values and a, b are missing: give numbers')
    );
    await model.release();
  });

  it('When a tree model is given an empty cell, then it still predicts, along its default branch', async () => {
    const model = await ImportedModel.fromBytes(
      ensembleToOnnx(convertXgboost(xgboostDump('reg:squarederror', '1'))),
      tableSpec('regression', ['a', 'b'])
    );
    // NaN goes left at the root (default_left): base score 1 + leaf 0.2.
    expect(await model.predict([{ a: null, b: 1 }])).toEqual([{ value: expect.closeTo(1.2, 6) }]);
    await model.release();
  });
});
