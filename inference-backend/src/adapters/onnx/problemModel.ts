import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { LOG_ODDS_BOUND } from '../../domain/problems/learners';
import type { FittedProblemLearner, PlattCalibration } from '../../domain/problems/learners';
import { PROBLEM_TENSORS } from '../../domain/problems/manifest';
import { floatTensorInfo, regressorNode } from './treeEnsemble';

/**
 * A predictive alert problem's model as ONNX (issue 12): input `features` float32 [N, F] (the rows
 * `domain/problems/dataset.ts` builds), output `probability` float32 [N, 1] of the event within the
 * horizon. The learner part yields the log-odds:
 *
 * - gbt: one TreeEnsembleRegressor (its sum is the log-odds);
 * - logistic: Sub(mean) → Mul(scale) → MatMul(weights [F, 1]) → Add(bias);
 * - random_forest: one TreeEnsembleRegressor (the mean of the trees, p) → Clip(ε, 1 − ε) →
 *   Log(p) − Log(1 − p);
 *
 * then Clip(±30) → Mul(slope) → Add(offset) → Sigmoid: Platt's calibration, the arithmetic of
 * `probabilityOf`.
 */

const IR_VERSION = 8;
const ONNX_OPSET = 13;
const ML_OPSET = 3;
const ML_DOMAIN = 'ai.onnx.ml';
const FLOAT = onnx.TensorProto.DataType.FLOAT;

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const data = Float32Array.from(values);
  // raw_data is little-endian float32; copied so the bytes own their buffer.
  const raw = new Uint8Array(data.byteLength);
  new Float32Array(raw.buffer).set(data);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

const node = (opType: string, input: string[], output: string): onnx.INodeProto => ({
  opType,
  name: output,
  input,
  output: [output],
});

/** Serialises a trained problem model. */
export function exportProblemOnnx(
  learner: FittedProblemLearner,
  featureCount: number,
  calibration: PlattCalibration,
  docString = ''
): Uint8Array {
  const input = PROBLEM_TENSORS.input;
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  if (learner.kind === 'gbt') {
    nodes.push(regressorNode(input, 'log_odds', learner.ensemble));
  } else if (learner.kind === 'logistic') {
    initializer.push(
      floatTensor('mean', [featureCount], learner.mean),
      floatTensor('scale', [featureCount], learner.scale),
      floatTensor('weights', [featureCount, 1], learner.weights),
      floatTensor('bias', [1], [learner.bias])
    );
    nodes.push(
      node('Sub', [input, 'mean'], 'centred'),
      node('Mul', ['centred', 'scale'], 'standardised'),
      node('MatMul', ['standardised', 'weights'], 'weighted'),
      node('Add', ['weighted', 'bias'], 'log_odds')
    );
  } else {
    initializer.push(
      floatTensor('p_min', [], [learner.epsilon]),
      floatTensor('p_max', [], [1 - learner.epsilon]),
      floatTensor('one', [], [1])
    );
    nodes.push(
      regressorNode(input, 'forest_mean', learner.ensemble),
      node('Clip', ['forest_mean', 'p_min', 'p_max'], 'p'),
      node('Sub', ['one', 'p'], 'q'),
      node('Log', ['p'], 'log_p'),
      node('Log', ['q'], 'log_q'),
      node('Sub', ['log_p', 'log_q'], 'log_odds')
    );
  }
  initializer.push(
    floatTensor('logit_min', [], [-LOG_ODDS_BOUND]),
    floatTensor('logit_max', [], [LOG_ODDS_BOUND]),
    floatTensor('platt_slope', [], [calibration.slope]),
    floatTensor('platt_offset', [], [calibration.offset])
  );
  nodes.push(
    node('Clip', ['log_odds', 'logit_min', 'logit_max'], 'clipped'),
    node('Mul', ['clipped', 'platt_slope'], 'scaled'),
    node('Add', ['scaled', 'platt_offset'], 'calibrated_log_odds'),
    node('Sigmoid', ['calibrated_log_odds'], PROBLEM_TENSORS.probability)
  );
  const proto: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'nocai',
    docString,
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      ...(learner.kind === 'logistic' ? [] : [{ domain: ML_DOMAIN, version: ML_OPSET }]),
    ],
    graph: {
      name: `problem_${learner.kind}`,
      node: nodes,
      initializer,
      input: [floatTensorInfo(input, ['N', featureCount])],
      output: [floatTensorInfo(PROBLEM_TENSORS.probability, ['N', 1])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

/** A problem model served by onnxruntime: probabilities of the event for rows of features. */
export class OnnxProblemModel {
  private constructor(
    private readonly session: InferenceSession,
    readonly featureCount: number
  ) {}

  static async load(bytes: Uint8Array, featureCount: number): Promise<OnnxProblemModel> {
    return new OnnxProblemModel(await InferenceSession.create(bytes), featureCount);
  }

  /** `values`: row-major float32 [rows, featureCount]. */
  async probabilities(values: Float32Array): Promise<Float32Array> {
    const rows = values.length / this.featureCount;
    const feeds = { [PROBLEM_TENSORS.input]: new Tensor('float32', values, [rows, this.featureCount]) };
    const out = await this.session.run(feeds);
    return out[PROBLEM_TENSORS.probability].data as Float32Array;
  }
}
