import { onnx } from 'onnx-proto';
import type { GbtModel, GbtTree } from '../../domain/mlops/gbt';

/**
 * Boosted trees as ONNX: one `ai.onnx.ml` TreeEnsembleRegressor per output, read back into
 * `GbtModel`s for explanations, so the .onnx file is the only copy of the trees. Written with a
 * small private graph builder; the text classifiers' exporter has its own.
 */

/** ml opset 3 is the newest with TreeEnsembleRegressor; onnxruntime-node 1.30 runs it. */
const ML_OPSET = 3;
const ONNX_OPSET = 13;
const IR_VERSION = 8;
const ML_DOMAIN = 'ai.onnx.ml';
const REGRESSOR = 'TreeEnsembleRegressor';
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const { AttributeType } = onnx.AttributeProto;

export interface TreeEnsembleOutput {
  name: string;
  model: GbtModel;
  /** 'expm1' turns a log1p-scale ensemble into the original unit inside the graph. */
  transform: 'none' | 'expm1';
  /** Name of an earlier output this one never falls below (quantiles trained apart can cross). */
  atLeast?: string;
}

export interface TreeEnsembleGraph {
  inputName: string;
  featureCount: number;
  outputs: TreeEnsembleOutput[];
  graphName: string;
  docString?: string;
  /** Stored as model metadata; onnxruntime ignores it. */
  metadata?: Record<string, string>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Attribute builders, shared with the importer's tree ensembles (`adapters/registry/import`). */
export const ints = (name: string, values: number[]): onnx.IAttributeProto => ({
  name,
  type: AttributeType.INTS,
  ints: values,
});
export const floats = (name: string, values: number[]): onnx.IAttributeProto => ({
  name,
  type: AttributeType.FLOATS,
  floats: values,
});
export const strings = (name: string, values: string[]): onnx.IAttributeProto => ({
  name,
  type: AttributeType.STRINGS,
  strings: values.map((v) => utf8.encode(v)),
});
export const text = (name: string, value: string): onnx.IAttributeProto => ({
  name,
  type: AttributeType.STRING,
  s: utf8.encode(value),
});
export const int = (name: string, value: number): onnx.IAttributeProto => ({ name, type: AttributeType.INT, i: value });

export function floatTensorInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
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

/**
 * Node ids are the tree's array indices. `nodes_hitrates` holds each node's training cover:
 * the ONNX field for "how often rows reach this node", which explanations need to weigh children.
 */
export function regressorNode(input: string, output: string, model: GbtModel): onnx.INodeProto {
  const nodeTree: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const hitRates: number[] = [];
  const missingTrue: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    tree.feature.forEach((feature, node) => {
      const leaf = feature < 0;
      nodeTree.push(t);
      nodeIds.push(node);
      featureIds.push(leaf ? 0 : feature);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : tree.threshold[node]);
      trueIds.push(leaf ? 0 : tree.left[node]);
      falseIds.push(leaf ? 0 : tree.right[node]);
      hitRates.push(tree.cover[node]);
      missingTrue.push(0);
      if (leaf) {
        targetTree.push(t);
        targetNode.push(node);
        targetWeights.push(tree.value[node]);
      }
    });
  });
  return {
    opType: REGRESSOR,
    domain: ML_DOMAIN,
    name: `${output}_trees`,
    input: [input],
    output: [output],
    attribute: [
      text('aggregate_function', 'SUM'),
      floats('base_values', [model.baseValue]),
      int('n_targets', 1),
      ints('nodes_falsenodeids', falseIds),
      ints('nodes_featureids', featureIds),
      floats('nodes_hitrates', hitRates),
      ints('nodes_missing_value_tracks_true', missingTrue),
      strings('nodes_modes', modes),
      ints('nodes_nodeids', nodeIds),
      ints('nodes_treeids', nodeTree),
      ints('nodes_truenodeids', trueIds),
      floats('nodes_values', values),
      text('post_transform', 'NONE'),
      ints(
        'target_ids',
        targetTree.map(() => 0)
      ),
      ints('target_nodeids', targetNode),
      ints('target_treeids', targetTree),
      floats('target_weights', targetWeights),
    ],
  };
}

/** Serialises the ensembles as one ONNX model: input [N, F] float32, each output [N, 1] float32. */
export function buildTreeEnsembleOnnx(spec: TreeEnsembleGraph): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const built = new Set<string>();
  for (const output of spec.outputs) {
    if (output.model.featureCount !== spec.featureCount) {
      throw new RangeError(
        `${output.name} expects ${output.model.featureCount} features, graph has ${spec.featureCount}`
      );
    }
    const raw = output.transform === 'none' && !output.atLeast ? output.name : `${output.name}_raw`;
    nodes.push(regressorNode(spec.inputName, raw, output.model));
    let current = raw;
    if (output.transform === 'expm1') {
      if (!initializer.some((t) => t.name === 'one'))
        initializer.push({ name: 'one', dataType: FLOAT, dims: [], floatData: [1] });
      const exp = `${output.name}_exp`;
      const next = output.atLeast ? `${output.name}_uncapped` : output.name;
      nodes.push({ opType: 'Exp', name: `${output.name}_exp`, input: [current], output: [exp] });
      nodes.push({ opType: 'Sub', name: `${output.name}_expm1`, input: [exp, 'one'], output: [next] });
      current = next;
    }
    if (output.atLeast) {
      if (!built.has(output.atLeast))
        throw new Error(`${output.name} is capped by ${output.atLeast}, not built before it`);
      nodes.push({
        opType: 'Max',
        name: `${output.name}_at_least`,
        input: [current, output.atLeast],
        output: [output.name],
      });
    }
    built.add(output.name);
  }
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'nocai',
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ML_OPSET },
    ],
    docString: spec.docString,
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName,
      node: nodes,
      initializer,
      input: [floatTensorInfo(spec.inputName, ['N', spec.featureCount])],
      output: spec.outputs.map((o) => floatTensorInfo(o.name, ['N', 1])),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** protobufjs decodes int64 as number or Long depending on the value and the platform. */
type Int64 = number | { toNumber(): number };
const num = (v: Int64 | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

function attributeOf(node: onnx.INodeProto, name: string): onnx.IAttributeProto {
  const attribute = node.attribute?.find((a) => a.name === name);
  if (!attribute) throw new Error(`${node.name ?? node.opType}: attribute ${name} missing`);
  return attribute;
}

function decodeRegressor(node: onnx.INodeProto, featureCount: number): GbtModel {
  const list = (name: string) => (attributeOf(node, name).ints ?? []).map(num);
  const floatList = (name: string) => attributeOf(node, name).floats ?? [];
  const treeIds = list('nodes_treeids');
  const nodeIds = list('nodes_nodeids');
  const featureIds = list('nodes_featureids');
  const modes = (attributeOf(node, 'nodes_modes').strings ?? []).map((s) => fromUtf8.decode(s));
  const thresholds = floatList('nodes_values');
  const trueIds = list('nodes_truenodeids');
  const falseIds = list('nodes_falsenodeids');
  const hitRates = floatList('nodes_hitrates');
  const trees: GbtTree[] = [];
  const treeOf = (t: number): GbtTree => {
    while (trees.length <= t) trees.push({ feature: [], threshold: [], left: [], right: [], value: [], cover: [] });
    return trees[t];
  };
  treeIds.forEach((t, k) => {
    const tree = treeOf(t);
    const id = nodeIds[k];
    const leaf = modes[k] === 'LEAF';
    if (!leaf && modes[k] !== 'BRANCH_LEQ') throw new Error(`unsupported tree node mode ${modes[k]}`);
    tree.feature[id] = leaf ? -1 : featureIds[k];
    tree.threshold[id] = leaf ? 0 : thresholds[k];
    tree.left[id] = leaf ? -1 : trueIds[k];
    tree.right[id] = leaf ? -1 : falseIds[k];
    tree.value[id] = 0;
    tree.cover[id] = hitRates[k] ?? 0;
  });
  const targetTrees = list('target_treeids');
  const targetNodes = list('target_nodeids');
  const weights = floatList('target_weights');
  targetTrees.forEach((t, k) => (treeOf(t).value[targetNodes[k]] += weights[k]));
  return { featureCount, baseValue: floatList('base_values')[0] ?? 0, trees };
}

/** The ensembles of a model written by `buildTreeEnsembleOnnx`, keyed by output name. */
export function readTreeEnsembles(bytes: Uint8Array): Map<string, GbtModel> {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const dims = graph.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
  const featureCount = num(dims[1]?.dimValue);
  // Follow each regressor's output through the Exp/Sub/Max nodes to the graph output it feeds.
  const consumers = new Map<string, string>();
  for (const node of graph.node ?? [])
    for (const input of node.input ?? []) consumers.set(input, node.output?.[0] ?? '');
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const result = new Map<string, GbtModel>();
  for (const node of graph.node ?? []) {
    if (node.opType !== REGRESSOR) continue;
    let name = node.output?.[0] ?? '';
    while (!outputs.has(name) && consumers.has(name)) name = consumers.get(name) ?? '';
    result.set(name, decodeRegressor(node, featureCount));
  }
  return result;
}

/**
 * Every tree ensemble of an ONNX graph written by this project (tabular models included), keyed by
 * the regressor's own output tensor (`log_odds_0`, `prediction`): what explanations read.
 */
export function readRegressorsByOutput(bytes: Uint8Array): Map<string, GbtModel> {
  const graph = onnx.ModelProto.decode(bytes).graph;
  if (!graph) throw new Error('ONNX model has no graph');
  const featureCount = num(graph.input?.[0]?.type?.tensorType?.shape?.dim?.[1]?.dimValue);
  const result = new Map<string, GbtModel>();
  for (const node of graph.node ?? []) {
    if (node.opType === REGRESSOR) result.set(node.output?.[0] ?? '', decodeRegressor(node, featureCount));
  }
  return result;
}

/** String metadata stored with `buildTreeEnsembleOnnx`. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}
