import type { ProblemDefinition } from '@nocai/contract';
import type { ProblemFeatureSpec } from './dataset';
import type { ProblemReport } from './automl';
import type { ProblemReference } from './explanation';
import type { PlattCalibration, ProblemLearnerSpec } from './learners';

/** Tensor names of a problem model's graph: float32 [N, F] in, [N, 1] probability out. */
export const PROBLEM_TENSORS = { input: 'features', probability: 'probability' } as const;

export const PROBLEM_MODEL_KIND = 'problem_classifier';

/**
 * What a problem model's registry folder holds next to `model.onnx`: the definition it was trained
 * from (and its version), how to rebuild its input rows from InfluxDB (`features`, `entities`),
 * the alert threshold and the report. Serving (issue 12 point 3) reads the grid, windows and
 * variables from here, never from the current definition, which may have been edited since.
 */
export interface ProblemManifest {
  format: 1;
  name: string;
  version: string;
  createdAt: string;
  kind: typeof PROBLEM_MODEL_KIND;
  /** The event, as the registry's other kinds name their target. */
  target: string;
  problem: { name: string; version: number; definition: ProblemDefinition };
  inputs: {
    tensor: { name: typeof PROBLEM_TENSORS.input; dimension: number };
    /** Feature names in tensor column order. */
    features: string[];
  };
  outputs: { probability: typeof PROBLEM_TENSORS.probability };
  features: ProblemFeatureSpec;
  /** The entities (values of the entity tag) seen in training; new ones are served too. */
  entities: { tag: string; seen: string[] };
  hyperparameters: { candidate: string; learner: ProblemLearnerSpec };
  /** probability = sigmoid(slope · clip(log-odds, ±30) + offset). */
  calibration: PlattCalibration;
  /** Alert when the probability is at least this. */
  threshold: number;
  trainingWindow: {
    from: string;
    to: string;
    validationFrom: string;
    validationTo: string;
    trainRows: number;
    testRows: number;
  };
  dataHash: string;
  metrics: ProblemReport;
  parentVersion: string | null;
  /**
   * The training period's feature means and variables' ranges, for explanations and the "how it
   * could have been avoided" search; absent in models trained before serving existed (the problem
   * stage then computes it from the training period once).
   */
  reference?: ProblemReference;
}

/** The registry names of problems' models start with this, apart from the other models' names. */
export const PROBLEM_MODEL_PREFIX = 'problem-';

/** The registry name of a problem's models: `problem-<name>`. */
export const problemModelName = (problem: string) => `${PROBLEM_MODEL_PREFIX}${problem}`;
