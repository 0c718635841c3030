import { onnx } from 'onnx-proto';
import type { LinearModel } from '../../domain/mlops/softmaxRegression';

/**
 * int32 [N, L]: the columns of each row's non-zero features, padded with column 0. Graphs
 * exported before issue 9 part 6 take int64 and are served as they are (OnnxClassifier reads
 * the type from the graph); int32 halves the bytes written per slot and lets serving copy a
 * row's columns as one block.
 */
export const FEATURE_INDICES_INPUT = 'feature_indices';
/** float32 [N, L]: their tf-idf values, padded with 0 (so a padding slot adds 0 × weights[0]). */
export const FEATURE_VALUES_INPUT = 'feature_values';
export const PROBABILITIES_OUTPUT = 'probabilities';
const WEIGHTS = 'weights';
const BIAS = 'bias';
const AXIS_1 = 'axis_1';

/** IR 8 / opset 13: what onnxruntime-node 1.30 is verified to load here (see ENVIRONMENT.md). */
const IR_VERSION = 8;
const OPSET = 13;

function floatTensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  // raw_data is little-endian float32, what every ONNX reader expects; copied so the bytes own their buffer.
  const raw = new Uint8Array(values.byteLength);
  new Float32Array(raw.buffer).set(values);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function int64Tensor(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

function valueInfo(name: string, elemType: onnx.TensorProto.DataType, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Sparse rows in, probabilities out:
 * Gather(weights [V, C], feature_indices [N, L]) → [N, L, C]; MatMul(Unsqueeze(feature_values) [N, 1, L], that)
 * → [N, 1, C]; Squeeze → [N, C]; Add(bias); Softmax(axis 1) → `probabilities` float32 [N, C].
 * The cost is the non-zeros × classes, not vocabulary × classes as a dense MatMul would be (a
 * 300k-feature vocabulary made each dense row 1.2 MB). The batched MatMul reads the gathered
 * tensor once; the Mul + ReduceSum it replaces wrote and read it again, twice the CPU time of a
 * run (issue 9: predict throughput). Graphs of either form take the same inputs, so models
 * exported before are served as they are. Plain opset-13 operators, one output tensor (ZipMap,
 * which LinearClassifier usually comes with, does not run here). Labels are not in the graph: the
 * manifest lists them in output column order.
 */
export function exportLinearClassifier(model: LinearModel, docString = ''): Uint8Array {
  const V = model.dimension;
  const C = model.labels.length;
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const graph: onnx.IGraphProto = {
    name: 'linear_text_classifier',
    node: [
      { opType: 'Gather', input: [WEIGHTS, FEATURE_INDICES_INPUT], output: ['gathered'], name: 'gather_weights' },
      { opType: 'Unsqueeze', input: [FEATURE_VALUES_INPUT, AXIS_1], output: ['values_row'], name: 'unsqueeze_values' },
      { opType: 'MatMul', input: ['values_row', 'gathered'], output: ['logits_3d'], name: 'weigh_features' },
      { opType: 'Squeeze', input: ['logits_3d', AXIS_1], output: ['logits_raw'], name: 'squeeze_logits' },
      { opType: 'Add', input: ['logits_raw', BIAS], output: ['logits'], name: 'add_bias' },
      {
        opType: 'Softmax',
        input: ['logits'],
        output: [PROBABILITIES_OUTPUT],
        name: 'softmax',
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
    ],
    initializer: [
      floatTensor(WEIGHTS, [V, C], model.weights),
      floatTensor(BIAS, [C], model.bias),
      int64Tensor(AXIS_1, [1]),
    ],
    input: [
      valueInfo(FEATURE_INDICES_INPUT, onnx.TensorProto.DataType.INT32, ['N', 'L']),
      valueInfo(FEATURE_VALUES_INPUT, FLOAT, ['N', 'L']),
    ],
    output: [valueInfo(PROBABILITIES_OUTPUT, FLOAT, ['N', C])],
  };
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'nocai',
    docString,
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}

function initializer(graph: onnx.IGraphProto, name: string): Float32Array {
  const tensor = graph.initializer?.find((t) => t.name === name);
  if (!tensor) throw new Error(`ONNX model has no initializer ${name}`);
  if (tensor.rawData && tensor.rawData.length > 0) {
    const bytes = Uint8Array.from(tensor.rawData);
    return new Float32Array(bytes.buffer);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/**
 * The weights back out of an exported graph, for explanations: the .onnx file stays the one
 * copy of the model, so an explanation can never disagree with what was served.
 */
export function readLinearClassifier(bytes: Uint8Array, labels: readonly string[]): LinearModel {
  const decoded = onnx.ModelProto.decode(bytes);
  const graph = decoded.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const weights = initializer(graph, WEIGHTS);
  const bias = initializer(graph, BIAS);
  if (bias.length !== labels.length || weights.length % labels.length !== 0) {
    throw new Error(`ONNX model has ${bias.length} outputs, the manifest lists ${labels.length} labels`);
  }
  return { labels: [...labels], dimension: weights.length / labels.length, weights, bias };
}
