import { onnx } from 'onnx-proto';
import { floats, int, ints, strings, text } from '../../onnx/treeEnsemble';
import type { TreeEnsembleModel } from './treeDumps';

/**
 * A converted XGBoost or LightGBM model as ONNX: input [N, F] → `ai.onnx.ml`
 * TreeEnsembleRegressor (ml opset 3; the sum of leaves plus the base margin, one column per class
 * for softmax) → the link in standard ops: Sigmoid and [1 − p, p] for two classes, Softmax for
 * more, nothing for a regression.
 *
 * The regressor rather than TreeEnsembleClassifier: its raw sums are plain, where post-transforms
 * and the classifier's binary outputs are not (onnxruntime-node 1.30 left LOGISTIC on a one-target
 * regressor unapplied when we tried it, and scores a binary classifier as [-s, s]).
 *
 * Precision follows the original library: XGBoost thresholds and leaves are float32 and so is the
 * input; LightGBM compares float64 inputs with float64 thresholds, so its graph takes float64 and
 * holds thresholds, leaves and base values as double tensors (`*_as_tensor`, which onnxruntime
 * reads for double inputs). The regressor's output is float32 either way.
 */

const IR_VERSION = 8;
const ONNX_OPSET = 13;
const ML_OPSET = 3;
const ML_DOMAIN = 'ai.onnx.ml';
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

export interface EnsembleGraphNames {
  input: string;
  /** Classification output [N, classes]. */
  probabilities: string;
  /** Regression output [N, 1]. */
  value: string;
}

export const DEFAULT_ENSEMBLE_NAMES: EnsembleGraphNames = {
  input: 'features',
  probabilities: 'probabilities',
  value: 'value',
};

function doubles(name: string, values: number[]): onnx.IAttributeProto {
  return {
    name,
    type: AttributeType.TENSOR,
    t: { name, dims: [values.length], dataType: DataType.DOUBLE, doubleData: values },
  };
}

function tensorInfo(name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto {
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

/** The regressor node: every tree's nodes flattened, node ids being indices within their tree. */
function regressor(model: TreeEnsembleModel, input: string, output: string): onnx.INodeProto {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetId: number[] = [];
  const weights: number[] = [];
  model.trees.forEach((tree, t) => {
    tree.nodes.forEach((node, id) => {
      treeIds.push(t);
      nodeIds.push(id);
      if (node.kind === 'leaf') {
        featureIds.push(0);
        modes.push('LEAF');
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        targetTree.push(t);
        targetNode.push(id);
        targetId.push(tree.target);
        weights.push(node.value);
      } else {
        featureIds.push(node.feature);
        modes.push(node.mode);
        values.push(node.threshold);
        trueIds.push(node.trueChild);
        falseIds.push(node.falseChild);
        missingTrue.push(node.missingTrue ? 1 : 0);
      }
    });
  });
  const double = model.precision === 'double';
  const asFloat32 = (list: number[]) => list.map((v) => Math.fround(v));
  return {
    opType: 'TreeEnsembleRegressor',
    domain: ML_DOMAIN,
    name: 'trees',
    input: [input],
    output: [output],
    attribute: [
      text('aggregate_function', 'SUM'),
      double ? doubles('base_values_as_tensor', model.baseMargin) : floats('base_values', asFloat32(model.baseMargin)),
      int('n_targets', model.targets),
      ints('nodes_falsenodeids', falseIds),
      ints('nodes_featureids', featureIds),
      ints('nodes_missing_value_tracks_true', missingTrue),
      strings('nodes_modes', modes),
      ints('nodes_nodeids', nodeIds),
      ints('nodes_treeids', treeIds),
      ints('nodes_truenodeids', trueIds),
      double ? doubles('nodes_values_as_tensor', values) : floats('nodes_values', asFloat32(values)),
      text('post_transform', 'NONE'),
      ints('target_ids', targetId),
      ints('target_nodeids', targetNode),
      ints('target_treeids', targetTree),
      double ? doubles('target_weights_as_tensor', weights) : floats('target_weights', asFloat32(weights)),
    ],
  };
}

/** Serialises a converted ensemble; `names` are the graph's input and output names. */
export function ensembleToOnnx(
  model: TreeEnsembleModel,
  names: EnsembleGraphNames = DEFAULT_ENSEMBLE_NAMES,
  docString = ''
): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const FLOAT = DataType.FLOAT;
  let output: onnx.IValueInfoProto;
  if (model.link === 'identity') {
    nodes.push(regressor(model, names.input, names.value));
    output = tensorInfo(names.value, FLOAT, ['N', 1]);
  } else if (model.link === 'sigmoid') {
    nodes.push(regressor(model, names.input, 'margin'));
    initializer.push({ name: 'one', dataType: FLOAT, dims: [], floatData: [1] });
    nodes.push(
      { opType: 'Sigmoid', name: 'positive', input: ['margin'], output: ['positive'] },
      { opType: 'Sub', name: 'negative', input: ['one', 'positive'], output: ['negative'] },
      {
        opType: 'Concat',
        name: names.probabilities,
        input: ['negative', 'positive'],
        output: [names.probabilities],
        attribute: [int('axis', 1)],
      }
    );
    output = tensorInfo(names.probabilities, FLOAT, ['N', 2]);
  } else {
    nodes.push(regressor(model, names.input, 'margin'));
    nodes.push({
      opType: 'Softmax',
      name: names.probabilities,
      input: ['margin'],
      output: [names.probabilities],
      attribute: [int('axis', 1)],
    });
    output = tensorInfo(names.probabilities, FLOAT, ['N', model.targets]);
  }
  const graph: onnx.IGraphProto = {
    name: `imported_${model.objective.replace(/[^A-Za-z0-9_]/g, '_')}`,
    node: nodes,
    initializer,
    input: [tensorInfo(names.input, model.precision === 'double' ? DataType.DOUBLE : FLOAT, ['N', model.featureCount])],
    output: [output],
  };
  const proto: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'nocai',
    docString,
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ML_OPSET },
    ],
    graph,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}
