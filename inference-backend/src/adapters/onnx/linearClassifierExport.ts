import { onnx } from 'onnx-proto';
import type { LinearModel } from '../../domain/mlops/softmaxRegression';

export const FEATURES_INPUT = 'features';
export const PROBABILITIES_OUTPUT = 'probabilities';
const WEIGHTS = 'weights';
const BIAS = 'bias';

/** IR 8 / opset 13: what onnxruntime-node 1.30 is verified to load here (see ENVIRONMENT.md). */
const IR_VERSION = 8;
const OPSET = 13;

function floatTensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  // raw_data is little-endian float32, what every ONNX reader expects; copied so the bytes own their buffer.
  const raw = new Uint8Array(values.byteLength);
  new Float32Array(raw.buffer).set(values);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function floatValueInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * `features` float32 [N, V] → MatMul(weights [V, C]) → Add(bias [C]) → Softmax(axis 1) →
 * `probabilities` float32 [N, C]. Plain opset-13 operators rather than ai.onnx.ml so the
 * output is one tensor (ZipMap, which LinearClassifier usually comes with, does not run here).
 * Labels are not in the graph: the manifest lists them in output column order.
 */
export function exportLinearClassifier(model: LinearModel, docString = ''): Uint8Array {
  const V = model.dimension;
  const C = model.labels.length;
  const graph: onnx.IGraphProto = {
    name: 'linear_text_classifier',
    node: [
      { opType: 'MatMul', input: [FEATURES_INPUT, WEIGHTS], output: ['logits_raw'], name: 'matmul' },
      { opType: 'Add', input: ['logits_raw', BIAS], output: ['logits'], name: 'add_bias' },
      {
        opType: 'Softmax',
        input: ['logits'],
        output: [PROBABILITIES_OUTPUT],
        name: 'softmax',
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
    ],
    initializer: [floatTensor(WEIGHTS, [V, C], model.weights), floatTensor(BIAS, [C], model.bias)],
    input: [floatValueInfo(FEATURES_INPUT, ['N', V])],
    output: [floatValueInfo(PROBABILITIES_OUTPUT, ['N', C])],
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
