import { onnx } from 'onnx-proto';
import { linearShap, treeShap } from '../../domain/mlops/treeShap';
import type { ShapExplanation } from '../../domain/mlops/treeShap';
import type { TabularManifest } from '../../domain/mlops/tabularModel';
import { readRegressorsByOutput } from './treeEnsemble';

/** Exact SHAP values of one feature row (the float32 matrix row `buildFeatures` makes). */
export type RowExplainer = (features: ArrayLike<number>) => ShapExplanation;

function floatInitializer(graph: onnx.IGraphProto, name: string): Float32Array | undefined {
  const tensor = graph.initializer?.find((t) => t.name === name);
  if (!tensor) return undefined;
  if (tensor.floatData && tensor.floatData.length > 0) return Float32Array.from(tensor.floatData);
  const raw = tensor.rawData;
  if (!raw) return new Float32Array(0);
  // raw_data is little-endian float32; copied so the view is aligned.
  return new Float32Array(Uint8Array.from(raw).buffer);
}

/**
 * What the graph of `exportTabularOnnx` computes before its calibration (Clip, temperature,
 * softmax), explained for `label`: a classifier's log-odds of that label against the other for
 * two classes, its one-against-the-rest logit for more; a regressor's prediction (`label` unused).
 * Read from the ONNX file itself, so the explanation is of the model being served. Undefined for a
 * graph this project did not write.
 */
export function tabularExplainer(
  onnxBytes: Uint8Array,
  manifest: TabularManifest,
  label: number
): RowExplainer | undefined {
  const graph = onnx.ModelProto.decode(onnxBytes).graph;
  if (!graph) return undefined;
  const classes = manifest.kind === 'tabular_classifier' ? manifest.labels.length : 1;
  const ensembles = readRegressorsByOutput(onnxBytes);
  if (ensembles.size > 0) {
    if (classes === 1) {
      const model = ensembles.get('prediction');
      return model && ((row) => treeShap(model, row));
    }
    // Two classes: one ensemble, the log-odds of the second label; the first's is its negation.
    const model = ensembles.get(classes === 2 ? 'log_odds_0' : `log_odds_${label}`);
    if (!model) return undefined;
    if (classes > 2 || label === 1) return (row) => treeShap(model, row);
    return (row) => {
      const { base, contributions } = treeShap(model, row);
      return { base: -base, contributions: contributions.map((c) => -c) };
    };
  }
  const mean = floatInitializer(graph, 'mean');
  const scale = floatInitializer(graph, 'scale');
  const weights = floatInitializer(graph, 'weights');
  const bias = floatInitializer(graph, 'bias');
  if (!mean || !scale || !weights || !bias) return undefined;
  const width = mean.length;
  const outputs = bias.length;
  // logit_k = Σ_j (x_j − mean_j)·scale_j·W[j, k] + b_k; for two classes, the difference of the two.
  const column = (k: number) => Float64Array.from({ length: width }, (_, j) => scale[j] * weights[j * outputs + k]);
  let w: Float64Array;
  let b: number;
  if (outputs === 2 && classes === 2) {
    const [mine, other] = [column(label), column(1 - label)];
    w = mine.map((v, j) => v - other[j]);
    b = bias[label] - bias[1 - label];
  } else {
    const k = outputs === 1 ? 0 : label;
    w = column(k);
    b = bias[k];
  }
  // The standardisation mean is the training mean: "absent" puts a feature there.
  const intercept = b - w.reduce((sum, v, j) => sum + v * mean[j], 0);
  return (row) => linearShap({ weights: w, intercept, featureMeans: mean }, row);
}
