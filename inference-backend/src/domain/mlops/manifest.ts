import type { ProblemManifest } from '../problems/manifest';
import type { FeaturizerParams } from './featurizer';
import type { ImportedManifest } from './importedModel';
import type { EvaluationReport } from './metrics';
import type { TabularManifest } from './tabularModel';

/** Aliases the registry keeps per model; promotion between them is decided elsewhere. */
export const MODEL_ALIASES = ['champion', 'challenger'] as const;
export type ModelAlias = (typeof MODEL_ALIASES)[number];

export function isModelAlias(value: string): value is ModelAlias {
  return (MODEL_ALIASES as readonly string[]).includes(value);
}

/**
 * A model name: letters of any script (with their combining marks) and digits, '.', '_' and '-',
 * starting with a letter or digit. Names are folder names and URL path segments, so nothing that
 * could climb out of the registry (no '/', no leading '.'); `température` is a name as `temperature` is.
 */
export const MODEL_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}._-]*$/u;
export const MODEL_NAME_RULE = "letters, digits, '.', '_' or '-', starting with a letter or digit";

/**
 * A model name as the registry stores it: composed (NFC), as keyboards type it and as trainers name
 * models, so that a name typed decomposed (macOS writes "é" as "e" and a combining accent) finds the
 * same folder. Every name a person gives is passed through it before it reaches the registry.
 */
export function canonicalModelName(name: string): string {
  return name.normalize('NFC');
}

export const MANIFEST_FORMAT = 1;

/** Who or what made a version: a person, the retraining schedule, an import, or `nocai setup`. */
export interface CreatedBy {
  kind: 'user' | 'schedule' | 'import' | 'setup';
  name: string;
}

/**
 * Who made a version and why, handed down by whatever trains it (`nocai train`, setup, the
 * retraining) to the manifest's `createdBy` and `reason`.
 */
export interface Provenance {
  createdBy: CreatedBy;
  reason: string;
}

/** One tensor of a model's input signature (MLflow's tensor spec): its element type and shape. */
export interface TensorSpec {
  name: string;
  /** ONNX element type in lower case: `float`, `int64`, `string`… */
  type: string;
  /** Dimensions; a string is a symbolic dimension such as the batch size `N`. */
  shape?: Array<number | string>;
}

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/**
 * What the registry records next to every kind of manifest (MLflow's run and version metadata).
 * All optional: versions saved before a field existed lack it, and `describeModel` shows what is there.
 */
export interface VersionMetadata {
  /**
   * sha256 (hex) of `model.onnx`, set by the registry when it saves the version and checked at
   * every load: a file that does not match is refused as tampered or damaged.
   */
  artifactSha256?: string;
  createdBy?: CreatedBy;
  /** Why this version was made (a retraining run's trigger, an import's ticket). */
  reason?: string;
  tags?: Record<string, string>;
  /** The graph's inputs and outputs; the registry reads them from the ONNX file when not given. */
  signature?: ModelSignature;
  /** As the trainer chose them; a JSON object whose shape depends on the kind of model. */
  hyperparameters?: object;
}

/** What a model folder holds next to `model.onnx`: enough to feed it, read it and trust it. */
export interface ModelManifest extends VersionMetadata {
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
     * Sparse rows: `name` takes int32 [N, L] column indices (int64 in graphs exported before
     * issue 9 part 6, still served) in [0, dimension) and `values`
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

/**
 * Every kind of model the registry holds: text classifiers, tabular models (issue 10), imports
 * (issue 11) and the models of predictive alert problems (issue 12).
 */
export type RegistryManifest =
  ModelManifest | (TabularManifest & VersionMetadata) | ImportedManifest | (ProblemManifest & Partial<VersionMetadata>);
