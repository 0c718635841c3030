import type { ProblemDefinition } from '@nocai/contract';
import { exportProblemOnnx, OnnxProblemModel } from '../adapters/onnx/problemModel';
import { readAliases, saveModel, setAlias } from '../adapters/registry/modelRegistry';
import type { CreatedBy, VersionMetadata } from '../domain/mlops/manifest';
import { chooseThreshold, fitProblem } from '../domain/problems/automl';
import { problemReference } from '../domain/problems/explanation';
import type { FittedProblem, ProblemTrainOptions, ProblemReport, TrainedProblem } from '../domain/problems/automl';
import { PROBLEM_MODEL_KIND, PROBLEM_TENSORS, problemModelName } from '../domain/problems/manifest';
import type { ProblemManifest } from '../domain/problems/manifest';
import type { ProblemSeriesData } from '../domain/problems/ports';

/** What training a problem produced: the registry version, the alias it got, and the report. */
export interface ProblemTrainingResult {
  model: string;
  version: string;
  alias: 'champion' | 'challenger';
  threshold: number;
  report: ProblemReport;
}

export interface ProblemTrainingJob {
  definition: ProblemDefinition;
  /** The stored version of the definition being trained. */
  problemVersion: number;
  data: ProblemSeriesData;
  registryDir: string;
  createdBy: CreatedBy;
  /** Replaces the candidates' grids (tests bound their cost with it). */
  grids?: ProblemTrainOptions['grids'];
}

/**
 * Exports a fitted problem model to ONNX, scores its validation rows with that graph under
 * onnxruntime (float32, exactly as the problem stage and `nocai problems predict-file` serve it),
 * and chooses the threshold and the report's figures on those probabilities. A threshold chosen on
 * the domain's float64 probabilities can lie above the served float32 probability of a row it counts
 * as an alert, or below rows it counts as quiet (saturated near 1, many distinct float64 values are
 * one float32 value), and serving would then raise other alerts than the report counts. Returns the
 * graph with the trained problem.
 */
export async function thresholdOnServedModel(
  fitted: FittedProblem,
  docString: string,
  onProgress: (message: string) => void
): Promise<{ trained: Omit<TrainedProblem, 'spec'>; onnx: Uint8Array }> {
  const onnx = exportProblemOnnx(fitted.learner, fitted.featureNames.length, fitted.calibration, docString);
  const model = await OnnxProblemModel.load(onnx, fitted.featureNames.length);
  onProgress(
    `${fitted.setup.name}: scoring ${fitted.validation.matrix.rowCount} validation rows with the exported model`
  );
  const probabilities = await model.probabilities(fitted.validation.matrix.values);
  return { trained: chooseThreshold(fitted, probabilities, { onProgress }), onnx };
}

/**
 * Trains a problem on its series and stores the model as a new registry version. The first version
 * becomes champion; a later one (an edited definition, a retraining) becomes challenger, which the
 * lifecycle's promotion decides on, so a retrained model never replaces a serving one unchecked.
 */
export async function trainAndRegister(
  job: ProblemTrainingJob,
  onProgress: (message: string) => void
): Promise<ProblemTrainingResult> {
  const { definition, data } = job;
  const fitted = fitProblem(definition, data.grid, data.series, data.variables, {
    onProgress,
    ...(job.grids ? { grids: job.grids } : {}),
  });
  const name = problemModelName(definition.name);
  const served = await thresholdOnServedModel(
    fitted,
    `${name}: ${definition.description ?? definition.name}`,
    onProgress
  );
  const onnx = served.onnx;
  const trained = { ...served.trained, spec: fitted.spec };
  const event = definition.event;
  const manifest: Omit<ProblemManifest, 'version' | 'parentVersion'> & {
    createdBy: CreatedBy;
    hyperparameters: object;
  } = {
    format: 1,
    name,
    createdAt: new Date().toISOString(),
    kind: PROBLEM_MODEL_KIND,
    target:
      event.kind === 'threshold'
        ? `${event.measurement}.${event.field} ${event.operator} ${event.value} for ${event.for} within ${definition.horizon}`
        : event.kind === 'tickets'
          ? `a ${event.class} ticket within ${definition.horizon}`
          : `log template "${event.template}" within ${definition.horizon}`,
    problem: { name: definition.name, version: job.problemVersion, definition },
    inputs: {
      tensor: { name: PROBLEM_TENSORS.input, dimension: trained.featureNames.length },
      features: trained.featureNames,
    },
    outputs: { probability: PROBLEM_TENSORS.probability },
    features: trained.spec,
    entities: { tag: definition.entity.tag, seen: data.series.map((s) => s.entity) },
    hyperparameters: { candidate: trained.report.winner.candidate, learner: trained.learnerSpec },
    calibration: trained.calibration,
    threshold: trained.threshold,
    trainingWindow: {
      from: definition.training.from,
      to: definition.training.to,
      validationFrom: definition.validation.from,
      validationTo: definition.validation.to,
      trainRows: trained.report.rows.training,
      testRows: trained.report.rows.validation,
    },
    dataHash: trained.dataHash,
    metrics: trained.report,
    reference: problemReference(data.grid, data.series, trained.spec, {
      fromMs: Date.parse(definition.training.from),
      toMs: Date.parse(definition.training.to),
    }),
    createdBy: job.createdBy,
  };
  const saved = await saveModel<ProblemManifest & Partial<VersionMetadata>>(job.registryDir, manifest, onnx);
  const hasChampion = (await readAliases(job.registryDir, name)).champion !== undefined;
  const alias = hasChampion ? 'challenger' : 'champion';
  await setAlias(job.registryDir, name, alias, saved.version, {
    actor: job.createdBy.name,
    reason: `trained from problem ${definition.name} v${job.problemVersion}`,
  });
  onProgress(`${definition.name}: registered ${name} ${saved.version} as ${alias}`);
  return { model: name, version: saved.version, alias, threshold: trained.threshold, report: trained.report };
}
