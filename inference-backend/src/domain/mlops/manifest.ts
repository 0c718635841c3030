import type { FeaturizerParams } from './featurizer';
import type { EvaluationReport } from './metrics';
import type { TabularManifest } from './tabularModel';

/** Aliases the registry keeps per model; promotion between them is decided elsewhere. */
export const MODEL_ALIASES = ['champion', 'challenger'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

export function isModelAlias(value: string): value is ModelAlias {
  return (MODEL_ALIASES as readonly string[]).includes(value);
}

export const MANIFEST_FORMAT = 1;

/** What a model folder holds next to `model.onnx`: enough to feed it, read it and trust it. */
export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  /** Assigned by the registry (`v1`, `v2`, …). */
  version: string;
  /** ISO 8601. */
  createdAt: string;
  /** What the model predicts (`class`, `department`, …). */
  target: string;
  kind: 'linear_text_classifier';
  /** Output column order of `probabilities`. */
  labels: string[];
  inputs: {
    /** Joined with a space into the text that is featurized. */
    textColumns: string[];
    /** Each becomes a `ctx:column=value` feature. */
    contextColumns: string[];
    /**
     * Sparse rows: `name` takes int64 [N, L] column indices in [0, dimension) and `values`
     * float32 [N, L] their tf-idf values, padded with index 0 and value 0. (Format 1 graphs
     * took one dense float32 [N, dimension] tensor and had no `values`; they are not served.)
     */
    tensor: { name: string; dimension: number; values?: string };
  };
  /** float32 [N, labels.length], rows summing to 1. */
  outputs: { name: string };
  featurizer: FeaturizerParams;
  trainingWindow: { from?: string; to?: string; trainRows: number; testRows: number; timeColumn?: string };
  /** sha256 of the training rows, to tell whether two models saw the same data. */
  dataHash: string;
  metrics: EvaluationReport;
  parentVersion: string | null;
}

/** Every kind of model the registry holds: text classifiers and tabular models (issue 10). */
export type RegistryManifest = ModelManifest | TabularManifest;
