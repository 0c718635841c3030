import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { FeatureMatrix } from '../../domain/mlops/gbt';
import { LOGIT_BOUND } from '../../domain/mlops/tabularLearners';
import { TABULAR_TENSORS } from '../../domain/mlops/tabularModel';
import type { TabularManifest, TabularModel } from '../../domain/mlops/tabularModel';
import { regressorNode } from './treeEnsemble';

/**
 * Tabular models as ONNX (issue 10) and their serving by onnxruntime-node. The graph takes the
 * float32 feature matrix that `buildFeatures` makes from the rows (windows, normalisation and
 * one-hot are replayed in TypeScript from the manifest, since windows need a group's history)
 * and does everything after it:
 *
 * - trees: one `ai.onnx.ml` TreeEnsembleRegressor per ensemble (its raw sums; for two classes the
 *   logits are [0, log-odds], so no TreeEnsembleClassifier and its unreliable `label` is involved);
 * - linear: Sub(mean) → Mul(scale) → MatMul(weights) → Add(bias);
 * - regression: `prediction` [N, 1], and `p10`/`p90` [N, 1] = prediction + the conformal offset
 *   of its bin (Greater against the bin edges, summed into a bin index, Gather);
 * - classification: Clip(±30) → Mul(1 / temperature) → Softmax → `probabilities` [N, K].
 */

const IR_VERSION = 8;
const ONNX_OPSET = 13;
const ML_OPSET = 3;
const ML_DOMAIN = 'ai.onnx.ml';
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const { AttributeType } = onnx.AttributeProto;

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const data = Float32Array.from(values);
  // raw_data is little-endian float32; copied so the bytes own their buffer.
  const raw = new Uint8Array(data.byteLength);
  new Float32Array(raw.buffer).set(data);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

const int64Tensor = (name: string, values: number[]): onnx.ITensorProto => ({
  name,
  dims: [values.length],
  dataType: INT64,
  int64Data: values,
});

function valueInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const node = (
  opType: string,
  input: string[],
  output: string,
  attribute: onnx.IAttributeProto[] = []
): onnx.INodeProto => ({
  opType,
  name: output,
  input,
  output: [output],
  attribute,
});
const intAttribute = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  type: AttributeType.INT,
  i: value,
});

/** Serialises a trained tabular model: input `features` float32 [N, F]. */
export function exportTabularOnnx(model: TabularModel, docString = ''): Uint8Array {
  const { learner } = model;
  const F = model.features.names.length;
  const classification = model.task === 'classification';
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const input = TABULAR_TENSORS.input;
  const learnerOut = classification ? 'logits' : TABULAR_TENSORS.prediction;
  if (learner.kind === 'gbt') {
    for (const ensemble of learner.ensembles) {
      if (ensemble.featureCount !== F)
        throw new RangeError(`an ensemble expects ${ensemble.featureCount} features, the model has ${F}`);
    }
    if (!classification) nodes.push(regressorNode(input, learnerOut, learner.ensembles[0]));
    else {
      const parts = learner.ensembles.map((ensemble, e) => {
        const name = `log_odds_${e}`;
        nodes.push(regressorNode(input, name, ensemble));
        return name;
      });
      if (parts.length === 1) {
        // Two classes: logits [0, log-odds of the second label]; 0 as x − x keeps the batch shape.
        nodes.push(node('Sub', [parts[0], parts[0]], 'zero'));
        parts.unshift('zero');
      }
      nodes.push(node('Concat', parts, learnerOut, [intAttribute('axis', 1)]));
    }
  } else {
    const outputs = learner.bias.length;
    initializer.push(
      floatTensor('mean', [F], learner.mean),
      floatTensor('scale', [F], learner.scale),
      floatTensor('weights', [F, outputs], learner.weights),
      floatTensor('bias', [outputs], learner.bias)
    );
    nodes.push(
      node('Sub', [input, 'mean'], 'centred'),
      node('Mul', ['centred', 'scale'], 'standardised'),
      node('MatMul', ['standardised', 'weights'], 'weighted'),
      node('Add', ['weighted', 'bias'], learnerOut)
    );
  }
  const outputs: onnx.IValueInfoProto[] = [];
  if (classification) {
    initializer.push(
      floatTensor('logit_min', [], [-LOGIT_BOUND]),
      floatTensor('logit_max', [], [LOGIT_BOUND]),
      floatTensor('inverse_temperature', [], [1 / model.temperature])
    );
    nodes.push(
      node('Clip', [learnerOut, 'logit_min', 'logit_max'], 'clipped'),
      node('Mul', ['clipped', 'inverse_temperature'], 'scaled'),
      node('Softmax', ['scaled'], TABULAR_TENSORS.probabilities, [intAttribute('axis', 1)])
    );
    outputs.push(valueInfo(TABULAR_TENSORS.probabilities, ['N', model.labels.length]));
  } else {
    const interval = model.interval;
    const edges = interval?.edges ?? [];
    const lower = interval?.lower ?? [0];
    const upper = interval?.upper ?? [0];
    initializer.push(
      floatTensor('lower_offsets', [lower.length], lower),
      floatTensor('upper_offsets', [upper.length], upper)
    );
    if (edges.length === 0) {
      initializer.push(int64Tensor('bin_zero', [0]));
      nodes.push(
        node('Gather', ['lower_offsets', 'bin_zero'], 'lower_offset'),
        node('Gather', ['upper_offsets', 'bin_zero'], 'upper_offset')
      );
    } else {
      initializer.push(floatTensor('bin_edges', [edges.length], edges), int64Tensor('axis_1', [1]));
      nodes.push(
        node('Greater', [TABULAR_TENSORS.prediction, 'bin_edges'], 'above_edges'),
        node('Cast', ['above_edges'], 'above_edges_int', [intAttribute('to', INT64)]),
        node('ReduceSum', ['above_edges_int', 'axis_1'], 'bin', [intAttribute('keepdims', 1)]),
        // Gather of [B] by [N, 1] indices gives [N, 1].
        node('Gather', ['lower_offsets', 'bin'], 'lower_offset'),
        node('Gather', ['upper_offsets', 'bin'], 'upper_offset')
      );
    }
    nodes.push(
      node('Add', [TABULAR_TENSORS.prediction, 'lower_offset'], TABULAR_TENSORS.p10),
      node('Add', [TABULAR_TENSORS.prediction, 'upper_offset'], TABULAR_TENSORS.p90)
    );
    outputs.push(
      valueInfo(TABULAR_TENSORS.prediction, ['N', 1]),
      valueInfo(TABULAR_TENSORS.p10, ['N', 1]),
      valueInfo(TABULAR_TENSORS.p90, ['N', 1])
    );
  }
  const proto: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'nocai',
    docString,
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      ...(learner.kind === 'gbt' ? [{ domain: ML_DOMAIN, version: ML_OPSET }] : []),
    ],
    graph: {
      name: `tabular_${model.task}`,
      node: nodes,
      initializer,
      input: [valueInfo(input, ['N', F])],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

export type TabularOutputs =
  | { task: 'regression'; prediction: Float32Array; p10: Float32Array; p90: Float32Array }
  | { task: 'classification'; probabilities: Float32Array; classes: number };

/** The index of the most probable class of `row` (a classifier's outputs): the graph has no label output. */
export function bestClass(outputs: Extract<TabularOutputs, { task: 'classification' }>, row: number): number {
  const K = outputs.classes;
  const p = outputs.probabilities.subarray(row * K, (row + 1) * K);
  let best = 0;
  for (let k = 1; k < K; k++) if (p[k] > p[best]) best = k;
  return best;
}

/** Rows per onnxruntime call: bounds the size of one input tensor. */
const CHUNK_ROWS = 8192;

/** A tabular model served by onnxruntime-node; features are built by the caller (`buildFeatures`). */
export class OnnxTabularModel {
  private constructor(
    private readonly session: InferenceSession,
    readonly manifest: TabularManifest
  ) {}

  static async load(onnxBytes: Uint8Array, manifest: TabularManifest): Promise<OnnxTabularModel> {
    return new OnnxTabularModel(await InferenceSession.create(onnxBytes), manifest);
  }

  async run(matrix: FeatureMatrix): Promise<TabularOutputs> {
    const F = this.manifest.inputs.tensor.dimension;
    if (matrix.featureCount !== F) throw new RangeError(`the model takes ${F} features, got ${matrix.featureCount}`);
    const n = matrix.rowCount;
    const regression = this.manifest.kind === 'tabular_regressor';
    const K = regression ? 1 : this.manifest.labels.length;
    const prediction = new Float32Array(regression ? n : 0);
    const p10 = new Float32Array(regression ? n : 0);
    const p90 = new Float32Array(regression ? n : 0);
    const probabilities = new Float32Array(regression ? 0 : n * K);
    for (let from = 0; from < n; from += CHUNK_ROWS) {
      const to = Math.min(n, from + CHUNK_ROWS);
      const feed = new Tensor('float32', matrix.values.subarray(from * F, to * F), [to - from, F]);
      const results = await this.session.run({ [TABULAR_TENSORS.input]: feed });
      if (regression) {
        prediction.set(results[TABULAR_TENSORS.prediction].data as Float32Array, from);
        p10.set(results[TABULAR_TENSORS.p10].data as Float32Array, from);
        p90.set(results[TABULAR_TENSORS.p90].data as Float32Array, from);
      } else probabilities.set(results[TABULAR_TENSORS.probabilities].data as Float32Array, from * K);
    }
    return regression
      ? { task: 'regression', prediction, p10, p90 }
      : { task: 'classification', probabilities, classes: K };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
