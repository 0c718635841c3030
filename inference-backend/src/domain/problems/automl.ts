import { createHash } from 'node:crypto';
import { durationMs, plural } from '@nocai/contract';
import type { ProblemCandidate, ProblemDefinition, ProblemMetric } from '@nocai/contract';
import { timeOrderedFolds } from '../mlops/methodology';
import type { Fold, ProgressListener } from '../mlops/methodology';
import { buildRows, countOnsets, featureNames } from './dataset';
import { ProblemDataError } from './errors';
import type { EntitySeries, ProblemFeatureSpec, ProblemGrid, ProblemRows } from './dataset';
import {
  alertFigures,
  alertRepeat,
  atThreshold,
  averagePrecision,
  curvePoints,
  expectedCalibrationError,
  alertLeads,
  rocAuc,
  summariseLeads,
  thresholdForPrecision,
} from './evaluation';
import type { AlertFigures, AlertRows, AtThreshold, CurvePoint, LeadTimes } from './evaluation';
import {
  describeSpec,
  fitPlatt,
  fitProblemLearner,
  gbtLogOddsByTrees,
  logOdds,
  PROBLEM_GRIDS,
  probabilityOf,
} from './learners';
import type { FittedProblemLearner, PlattCalibration, ProblemLearnerSpec } from './learners';

/**
 * AutoML for a predictive alert problem (issue 12 point 2), on the rows of `dataset.ts`:
 *
 * 1. Refuse when the training or the validation period holds too few events (no useless model).
 * 2. Per candidate (GBT, logistic regression, random forest), choose its hyperparameters by
 *    rolling-origin CV inside the training period (time-ordered folds, training rows purged when
 *    their horizon reaches into the fold's validation block), scored by the problem's metric.
 * 3. Fit each candidate's choice on the whole training period and score it on the validation
 *    period; the best by the metric wins (PR-AUC by default: events are rare, and PR-AUC's
 *    no-skill level is the prevalence, where ROC-AUC's 0.5 flatters a model on rare events).
 * 4. Calibrate (Platt scaling) on the winner's out-of-fold predictions: training rows only.
 * 5. Choose the alert threshold on the validation period by the policy (a target precision is
 *    judged on the alerts the stage would raise, one per crossing, not on rows), and report curves,
 *    precision/recall at the threshold, lead times, per-entity figures and two baselines.
 *
 * Steps 1 to 4 are `fitProblem` / `fitProblemOnRows`; step 5 is `chooseThreshold`, which takes the
 * validation rows' probabilities as the exported model computes them (float32 ONNX, scored by the
 * caller: the domain runs no model runtime). A threshold chosen on probabilities computed here in
 * float64 can lie just above a row's served float32 probability (saturated near 1, many float64
 * values are one float32 value), and the stage would then raise fewer or more alerts than the
 * report counts. The registered model is the one fitted on the training period and the figures are
 * its served outputs: the validation figures are those of the very model that serves.
 */

export interface ProblemTrainOptions {
  folds: number;
  seed: number;
  /** Replaces the grids (tests and benches bound their cost with it). */
  grids?: Partial<Record<ProblemCandidate, ProblemLearnerSpec[]>>;
  onProgress: ProgressListener;
}

/** Leads of series (epoch-ms times) are counted in minutes. */
export const MINUTES = { name: 'minutes', size: 60_000 } as const;

/** The report's `validation.scoredBy`: the figures are those of the ONNX graph that serves (float32). */
export const SCORED_BY_EXPORTED_MODEL = 'exported ONNX model (float32), as served';

export const DEFAULT_PROBLEM_TRAIN_OPTIONS: ProblemTrainOptions = { folds: 3, seed: 1, onProgress: () => undefined };

export interface CandidateResult {
  candidate: ProblemCandidate;
  /** Each spec of the grid with its mean CV score (folds without an event do not count). */
  crossValidation: Array<{ spec: string; meanScore: number; foldScores: number[] }>;
  chosen: string;
  validation: { prAuc: number; rocAuc: number };
}

export interface SegmentFigures {
  entity: string;
  rows: number;
  events: number;
  prAuc: number;
  precision: number;
  recall: number;
}

export interface ProblemReport {
  problem: string;
  metric: ProblemMetric;
  rows: { training: number; validation: number; positiveTraining: number; positiveValidation: number };
  events: { training: number; validation: number };
  features: { count: number; names: string[] };
  cv: { kind: ProblemCvKind; folds: number };
  candidates: CandidateResult[];
  winner: { candidate: ProblemCandidate; spec: string };
  calibration: PlattCalibration & {
    method: 'platt';
    fittedOn: string;
    /** Expected calibration error on validation (10 bins) of the raw and calibrated probabilities. */
    validationEce: { before: number; after: number };
  };
  validation: {
    /**
     * Where the probabilities of the validation figures (and so the threshold) come from; absent in
     * reports written before they came from the exported model, whose figures were computed in float64.
     */
    scoredBy?: typeof SCORED_BY_EXPORTED_MODEL;
    prAuc: number;
    rocAuc: number;
    /** PR-AUC of a constant score: the share of positive rows. */
    noSkillPrAuc: number;
    /** The one input series, taken as a score (its direction chosen on training), that did best on training. */
    bestSingleSeries: { feature: string; direction: 'higher' | 'lower'; prAuc: number };
    prCurve: Array<Pick<CurvePoint, 'threshold' | 'precision' | 'recall'>>;
    rocCurve: Array<Pick<CurvePoint, 'threshold' | 'fpr' | 'recall'>>;
    atThreshold: AtThreshold;
    leadTime: LeadTimes;
    segments: SegmentFigures[];
  };
  threshold: {
    policy: ProblemDefinition['threshold'];
    probability: number;
    /** Whether the policy is met: always for a fixed threshold; for a target precision, by the alerts' precision. */
    met: boolean;
    chosenOn: string;
    /** The alerts the threshold would have raised on validation, judged like tickets (`alertFigures`). */
    alerts: AlertFigures;
    /** Why the target precision was not met and what was chosen instead. */
    reason?: string;
  };
}

/**
 * How the training rows are cut for the hyperparameter search: rolling-origin folds over time for
 * a problem on series (its entities share one clock), folds by entity for a table whose entities
 * each have their own clock (an engine's cycles), where a time cut would mix early and late lives.
 */
export type ProblemCvKind = 'rolling-origin, purged by the horizon' | 'group k-fold by entity';

/**
 * What the AutoML needs besides the rows: how to choose (metric, candidates), where to put the
 * alert (threshold policy), how the rows were made and how the training rows are folded.
 */
export interface ProblemFitSetup {
  name: string;
  metric: ProblemMetric;
  candidates: readonly ProblemCandidate[];
  threshold: ProblemDefinition['threshold'];
  /** How far a row's label looks ahead, in the rows' time unit (epoch ms for series). */
  horizon: number;
  /** The horizon as the user wrote it, for messages. */
  horizonText: string;
  /** The rows' time step, in the same unit (a gap longer than this ends an alert episode). */
  stepMs: number;
  /** The columns of the rows: `featureNames(spec)` of these variables and windows. */
  spec: Pick<ProblemFeatureSpec, 'variables' | 'windowSteps'>;
  /** Events (onsets, or runs of positive rows) in each part. */
  events: { training: number; validation: number };
  folds: Fold[];
  cvKind: ProblemCvKind;
  /** The rows' time unit for lead times: minutes of epoch ms, a table's numbers, or rows. */
  timeUnit: { name: string; size: number };
  /** The onsets counted in the lead times fall in [fromMs, toMs). */
  validationPeriod: { fromMs: number; toMs: number };
  /**
   * What the user can change when a part holds too few rows before an event: the fix depends on
   * how the parts were chosen (periods and a horizon, a split column, a time cut).
   */
  tooFewEventsAdvice: (short: { training: boolean; validation: boolean }) => string;
}

export interface TrainedProblem {
  spec: ProblemFeatureSpec;
  featureNames: string[];
  learner: FittedProblemLearner;
  learnerSpec: ProblemLearnerSpec;
  calibration: PlattCalibration;
  threshold: number;
  report: ProblemReport;
  /** sha256 of the feature matrix and labels of both periods. */
  dataHash: string;
}

/**
 * A problem's model fitted and calibrated (steps 1 to 4), before its threshold: what the export
 * needs, the validation rows the exported model must score, and the figures that do not depend on
 * the served probabilities.
 */
export interface FittedProblem {
  setup: ProblemFitSetup;
  featureNames: string[];
  learner: FittedProblemLearner;
  learnerSpec: ProblemLearnerSpec;
  calibration: PlattCalibration;
  /** sha256 of the feature matrix and labels of both periods. */
  dataHash: string;
  /** The validation rows: `validation.matrix` (float32 [rows, features]) is what the exported model scores. */
  validation: ProblemRows;
  figures: Pick<ProblemReport, 'rows' | 'events' | 'features' | 'cv' | 'candidates' | 'winner'> & {
    bestSingleSeries: ProblemReport['validation']['bestSingleSeries'];
    /** Expected calibration error on validation of the uncalibrated probabilities. */
    eceBeforeCalibration: number;
  };
}

/** The feature spec of a definition once its variables are resolved to series. */
export function featureSpecOf(definition: ProblemDefinition, variables: string[]): ProblemFeatureSpec {
  const stepMs = durationMs(definition.interval) ?? 0;
  const steps = (text: string) => Math.max(1, Math.round((durationMs(text) ?? 0) / stepMs));
  const forMs = definition.event.kind === 'threshold' ? (durationMs(definition.event.for) ?? 0) : 0;
  return {
    stepMs,
    variables,
    windowSteps: [...new Set(definition.windows.map(steps))].sort((a, b) => a - b),
    // "for 10m" on 5-minute buckets: the condition holds in 2 buckets in a row (at least 1).
    forSteps: Math.max(1, Math.ceil(forMs / stepMs)),
    horizonSteps: steps(definition.horizon),
  };
}

const metricOf = (metric: ProblemMetric) => (metric === 'pr_auc' ? averagePrecision : rocAuc);

function purgedFolds(times: Float64Array, rows: readonly number[], k: number, horizonMs: number): Fold[] {
  const local = timeOrderedFolds(
    rows.map((r) => times[r]),
    k
  );
  return local.map((fold) => {
    const validation = fold.validation.map((i) => rows[i]);
    const start = Math.min(...validation.map((r) => times[r]));
    // A training row whose horizon reaches the validation block would learn a label from it.
    const train = fold.train.map((i) => rows[i]).filter((r) => times[r] + horizonMs <= start);
    return { train, validation };
  });
}

function hashRows(rows: ProblemRows): string {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(rows.matrix.values.buffer, rows.matrix.values.byteOffset, rows.matrix.values.byteLength));
  hash.update(rows.labels);
  return hash.digest('hex');
}

const calibrated = (values: Float64Array, calibration: PlattCalibration) =>
  values.map((v) => probabilityOf(v, calibration));
const RAW: PlattCalibration = { slope: 1, offset: 0 };

/**
 * Fits and calibrates the problem on the series of its entities (steps 1 to 4; `chooseThreshold`
 * is step 5). `variables` are the resolved inputs (`measurement.field`), in feature order. Throws
 * `ProblemDataError` for too few events or rows.
 */
export function fitProblem(
  definition: ProblemDefinition,
  grid: ProblemGrid,
  series: readonly EntitySeries[],
  variables: string[],
  options: Partial<ProblemTrainOptions> = {}
): FittedProblem & { spec: ProblemFeatureSpec } {
  const opts = { ...DEFAULT_PROBLEM_TRAIN_OPTIONS, ...options };
  const say = (m: string) => opts.onProgress(`${definition.name}: ${m}`);
  const spec = featureSpecOf(definition, variables);
  const horizonMs = spec.horizonSteps * spec.stepMs;
  const trainingPeriod = { fromMs: Date.parse(definition.training.from), toMs: Date.parse(definition.training.to) };
  const validationPeriod = {
    fromMs: Date.parse(definition.validation.from),
    toMs: Date.parse(definition.validation.to),
  };
  say(`building rows of ${series.length} entities`);
  const train = buildRows(grid, series, spec, trainingPeriod);
  const valid = buildRows(grid, series, spec, validationPeriod);

  const trainingEvents = countOnsets(train, trainingPeriod.fromMs, trainingPeriod.toMs);
  const validationEvents = countOnsets(valid, validationPeriod.fromMs, validationPeriod.toMs);
  const minValidation = Math.max(2, Math.ceil(definition.minEvents / 3));
  if (trainingEvents < definition.minEvents) {
    throw new ProblemDataError(
      `the event occurs ${trainingEvents} time${trainingEvents === 1 ? '' : 's'} in the training period ` +
        `(${definition.training.from} to ${definition.training.to}) across ${series.length} entit${series.length === 1 ? 'y' : 'ies'}; ` +
        `at least ${definition.minEvents} (minEvents) are needed to learn from, so no model was trained`,
      'training'
    );
  }
  if (validationEvents < minValidation) {
    throw new ProblemDataError(
      `the event occurs ${validationEvents} time${validationEvents === 1 ? '' : 's'} in the validation period ` +
        `(${definition.validation.from} to ${definition.validation.to}); at least ${minValidation} are needed ` +
        `to choose and check a model, so no model was trained`,
      'validation'
    );
  }
  const trainRows = Array.from({ length: train.matrix.rowCount }, (_, i) => i);
  const fitted = fitProblemOnRows(
    {
      name: definition.name,
      metric: definition.metric,
      candidates: definition.candidates,
      threshold: definition.threshold,
      horizon: horizonMs,
      horizonText: definition.horizon,
      stepMs: spec.stepMs,
      spec,
      events: { training: trainingEvents, validation: validationEvents },
      folds: purgedFolds(train.timesMs, trainRows, opts.folds, horizonMs),
      cvKind: 'rolling-origin, purged by the horizon',
      timeUnit: MINUTES,
      validationPeriod,
      tooFewEventsAdvice: () => 'widen the periods or the horizon',
    },
    train,
    valid,
    opts
  );
  return { ...fitted, spec };
}

const positives = (labels: Uint8Array) => labels.reduce((n, l) => n + l, 0);

/**
 * Steps 2 to 4 on rows already built: the candidates' CV on `setup.folds`, the choice on the
 * validation rows and the calibration. Problems on InfluxDB series and tables given to the CLI
 * (`nocai problems train-file`) both fit here. Throws `ProblemDataError` when the rows hold too
 * few positives to fold or to validate.
 */
export function fitProblemOnRows(
  setup: ProblemFitSetup,
  train: ProblemRows,
  valid: ProblemRows,
  options: Partial<ProblemTrainOptions> = {}
): FittedProblem {
  const opts = { ...DEFAULT_PROBLEM_TRAIN_OPTIONS, ...options };
  const say = (m: string) => opts.onProgress(`${setup.name}: ${m}`);
  const { metric, spec, folds } = setup;
  const short = { training: positives(train.labels) < 2 * folds.length, validation: positives(valid.labels) === 0 };
  if (short.training || short.validation) {
    throw new ProblemDataError(
      `only ${positives(train.labels)} training rows and ${positives(valid.labels)} validation rows precede an event ` +
        `within the horizon (${setup.horizonText}); ${setup.tooFewEventsAdvice(short)}`,
      'horizon'
    );
  }
  const names = featureNames(spec);
  const trainRows = Array.from({ length: train.matrix.rowCount }, (_, i) => i);
  const score = metricOf(metric);

  const candidates: CandidateResult[] = [];
  const fitted = new Map<
    ProblemCandidate,
    { spec: ProblemLearnerSpec; learner: FittedProblemLearner; oof: { rows: number[]; logOdds: number[] } }
  >();
  for (const candidate of setup.candidates) {
    const specs = opts.grids?.[candidate] ?? PROBLEM_GRIDS[candidate];
    const foldScores = specs.map(() => [] as number[]);
    const oofBySpec = specs.map(() => ({ rows: [] as number[], logOdds: [] as number[] }));
    folds.forEach((fold, f) => {
      const truth = Uint8Array.from(fold.validation, (r) => train.labels[r]);
      const scorable = truth.some((l) => l === 1) && fold.train.some((r) => train.labels[r] === 1);
      const record = (i: number, values: Float64Array) => {
        if (scorable) foldScores[i].push(score(values, truth));
        oofBySpec[i].rows.push(...fold.validation);
        oofBySpec[i].logOdds.push(...values);
      };
      if (!fold.train.some((r) => train.labels[r] === 1)) return;
      if (candidate === 'gbt') {
        // One fit per depth with the most trees; every smaller tree count is read off it.
        const byShape = new Map<string, number[]>();
        specs.forEach((s, i) => {
          if (s.kind !== 'gbt') return;
          const key = `${s.maxDepth}|${s.learningRate}|${s.minSamplesLeaf}`;
          byShape.set(key, [...(byShape.get(key) ?? []), i]);
        });
        for (const members of byShape.values()) {
          const largest = members.reduce((a, b) =>
            (specs[b] as { nTrees: number }).nTrees > (specs[a] as { nTrees: number }).nTrees ? b : a
          );
          say(`fold ${f + 1}/${folds.length}: ${describeSpec(specs[largest])}`);
          const learner = fitProblemLearner(train.matrix, train.labels, fold.train, specs[largest], opts.seed);
          if (learner.kind !== 'gbt') continue;
          const counts = [...new Set(members.map((i) => (specs[i] as { nTrees: number }).nTrees))].sort(
            (a, b) => a - b
          );
          const outputs = gbtLogOddsByTrees(learner, train.matrix, fold.validation, counts);
          for (const i of members) record(i, outputs[counts.indexOf((specs[i] as { nTrees: number }).nTrees)]);
        }
        return;
      }
      specs.forEach((s, i) => {
        say(`fold ${f + 1}/${folds.length}: ${describeSpec(s)}`);
        const learner = fitProblemLearner(train.matrix, train.labels, fold.train, s, opts.seed);
        record(i, logOdds(learner, train.matrix, fold.validation));
      });
    });
    const means = foldScores.map((s) => (s.length ? s.reduce((a, b) => a + b, 0) / s.length : -Infinity));
    let best = 0;
    means.forEach((m, i) => {
      if (m > means[best]) best = i;
    });
    say(
      `${candidate}: chose ${describeSpec(specs[best])} (CV ${metric} ${means[best].toFixed(3)}); fitting on the training period`
    );
    const learner = fitProblemLearner(train.matrix, train.labels, trainRows, specs[best], opts.seed);
    const validationLogOdds = logOdds(learner, valid.matrix);
    candidates.push({
      candidate,
      crossValidation: specs.map((s, i) => ({ spec: describeSpec(s), meanScore: means[i], foldScores: foldScores[i] })),
      chosen: describeSpec(specs[best]),
      validation: {
        prAuc: averagePrecision(validationLogOdds, valid.labels),
        rocAuc: rocAuc(validationLogOdds, valid.labels),
      },
    });
    fitted.set(candidate, { spec: specs[best], learner, oof: oofBySpec[best] });
  }

  const key = metric === 'pr_auc' ? 'prAuc' : 'rocAuc';
  const winner = candidates.reduce((a, b) => (b.validation[key] > a.validation[key] ? b : a));
  const chosen = fitted.get(winner.candidate);
  if (!chosen) throw new Error('the winning candidate was not fitted');
  say(`winner: ${winner.candidate} (${winner.chosen}), validation ${metric} ${winner.validation[key].toFixed(3)}`);

  // Calibration on the winner's out-of-fold predictions: training rows only.
  const calibration = fitPlatt(
    chosen.oof.logOdds,
    chosen.oof.rows.map((r) => train.labels[r])
  );
  const hash = createHash('sha256');
  hash.update(hashRows(train));
  hash.update(hashRows(valid));
  return {
    setup,
    featureNames: names,
    learner: chosen.learner,
    learnerSpec: chosen.spec,
    calibration,
    dataHash: hash.digest('hex'),
    validation: valid,
    figures: {
      rows: {
        training: train.matrix.rowCount,
        validation: valid.matrix.rowCount,
        positiveTraining: positives(train.labels),
        positiveValidation: positives(valid.labels),
      },
      events: setup.events,
      features: { count: names.length, names },
      cv: { kind: setup.cvKind, folds: folds.length },
      candidates,
      winner: { candidate: winner.candidate, spec: winner.chosen },
      bestSingleSeries: bestSingleSeries(train, valid, names, spec.variables.length, spec.windowSteps.length),
      eceBeforeCalibration: expectedCalibrationError(
        calibrated(logOdds(chosen.learner, valid.matrix), RAW),
        valid.labels
      ),
    },
  };
}

/**
 * Step 5: the alert threshold by the policy and every validation figure, on `probabilities`, the
 * validation rows' probabilities as the exported model serves them (`fitted.validation.matrix`
 * through the ONNX graph, float32). The threshold is then one of the served values or the fixed
 * one, and the alerts the report counts are those the problem stage and `predict-file` raise.
 */
export function chooseThreshold(
  fitted: FittedProblem,
  probabilities: ArrayLike<number>,
  options: Pick<Partial<ProblemTrainOptions>, 'onProgress'> = {}
): Omit<TrainedProblem, 'spec'> {
  const { setup, validation: valid, calibration, figures } = fitted;
  const say = (m: string) => (options.onProgress ?? DEFAULT_PROBLEM_TRAIN_OPTIONS.onProgress)(`${setup.name}: ${m}`);
  const { metric, horizon: horizonMs, validationPeriod } = setup;
  if (probabilities.length !== valid.matrix.rowCount) {
    throw new Error(
      `the model scored ${probabilities.length} validation rows where there are ${valid.matrix.rowCount}`
    );
  }
  const validationEce = {
    before: figures.eceBeforeCalibration,
    after: expectedCalibrationError(probabilities, valid.labels),
  };

  // The threshold is judged on the alerts it would raise (one per crossing), as operators judge tickets.
  const alertRows: AlertRows = {
    timesMs: valid.timesMs,
    entityOf: valid.entityOf,
    labels: valid.labels,
    onsetTimesMs: valid.onsetTimesMs.map((onsets) =>
      onsets.filter((t) => t >= validationPeriod.fromMs && t < validationPeriod.toMs)
    ),
    stepMs: setup.stepMs,
    horizonMs,
    repeat: alertRepeat(setup.timeUnit, horizonMs, setup.stepMs),
  };
  const policy = setup.threshold;
  const picked =
    policy.policy === 'fixed'
      ? {
          threshold: policy.probability,
          met: true,
          figures: alertFigures(probabilities, alertRows, policy.probability),
          reason: undefined,
        }
      : thresholdForPrecision(probabilities, alertRows, policy.precision);
  const threshold = picked.threshold;
  const alerts = picked.figures;
  say(
    `threshold ${threshold.toFixed(3)} (${policy.policy}): ` +
      `${alerts.truePositives} of ${plural(alerts.alerts, 'validation alert')} right, ` +
      `${alerts.warned} of ${plural(alerts.events, 'event')} warned` +
      (picked.reason ? `; ${picked.reason}` : '')
  );

  const points = curvePoints(probabilities, valid.labels);
  const segments: SegmentFigures[] = [];
  const leads: number[] = [];
  let events = 0;
  valid.entities.forEach((entity, e) => {
    const rows = Array.from({ length: valid.matrix.rowCount }, (_, i) => i).filter((i) => valid.entityOf[i] === e);
    const scores = rows.map((i) => probabilities[i]);
    const labels = rows.map((i) => valid.labels[i]);
    const onsets = valid.onsetTimesMs[e].filter((t) => t >= validationPeriod.fromMs && t < validationPeriod.toMs);
    events += onsets.length;
    leads.push(
      ...alertLeads(
        onsets,
        rows.map((i) => valid.timesMs[i]),
        scores,
        threshold,
        horizonMs,
        setup.timeUnit.size
      )
    );
    const at = atThreshold(scores, labels, threshold);
    segments.push({
      entity,
      rows: rows.length,
      events: onsets.length,
      prAuc: averagePrecision(scores, labels),
      precision: at.precision,
      recall: at.recall,
    });
  });
  const leadTime = summariseLeads(leads, events, setup.timeUnit.name);

  const prevalence = positives(valid.labels) / Math.max(1, valid.labels.length);
  const report: ProblemReport = {
    problem: setup.name,
    metric: metric,
    rows: figures.rows,
    events: figures.events,
    features: figures.features,
    cv: figures.cv,
    candidates: figures.candidates,
    winner: figures.winner,
    calibration: {
      method: 'platt',
      ...calibration,
      fittedOn: 'out-of-fold predictions of the winning candidate inside the training period',
      validationEce,
    },
    validation: {
      scoredBy: SCORED_BY_EXPORTED_MODEL,
      prAuc: averagePrecision(probabilities, valid.labels),
      rocAuc: rocAuc(probabilities, valid.labels),
      noSkillPrAuc: prevalence,
      bestSingleSeries: figures.bestSingleSeries,
      prCurve: points.map((p) => ({ threshold: p.threshold, precision: p.precision, recall: p.recall })),
      rocCurve: points.map((p) => ({ threshold: p.threshold, fpr: p.fpr, recall: p.recall })),
      atThreshold: atThreshold(probabilities, valid.labels, threshold),
      leadTime,
      segments,
    },
    threshold: {
      policy,
      probability: threshold,
      met: picked.met,
      chosenOn: policy.policy === 'fixed' ? 'given' : 'validation period, precision of alerts',
      alerts,
      ...(picked.reason ? { reason: picked.reason } : {}),
    },
  };
  return {
    featureNames: fitted.featureNames,
    learner: fitted.learner,
    learnerSpec: fitted.learnerSpec,
    calibration,
    threshold,
    report,
    dataHash: fitted.dataHash,
  };
}

/**
 * The baseline a threshold alert on one series would give: each variable's last value as a score,
 * higher or lower meaning danger, chosen on the training period, scored on validation.
 */
function bestSingleSeries(
  train: ProblemRows,
  valid: ProblemRows,
  names: readonly string[],
  variables: number,
  windows: number
): ProblemReport['validation']['bestSingleSeries'] {
  const perVariable = 1 + windows * 5;
  const column = (rows: ProblemRows, f: number) =>
    Float64Array.from({ length: rows.matrix.rowCount }, (_, i) => rows.matrix.values[i * rows.matrix.featureCount + f]);
  let best = { feature: names[0], f: 0, direction: 'higher' as 'higher' | 'lower', score: -Infinity };
  for (let v = 0; v < variables; v++) {
    const f = v * perVariable;
    const values = column(train, f);
    for (const direction of ['higher', 'lower'] as const) {
      const s = averagePrecision(direction === 'higher' ? values : values.map((x) => -x), train.labels);
      if (s > best.score) best = { feature: names[f], f, direction, score: s };
    }
  }
  const values = column(valid, best.f);
  return {
    feature: best.feature,
    direction: best.direction,
    prAuc: averagePrecision(best.direction === 'higher' ? values : values.map((x) => -x), valid.labels),
  };
}
