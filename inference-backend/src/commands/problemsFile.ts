import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProblemCandidate, ThresholdPolicy } from '@nocai/contract';
import { plural } from '@nocai/contract';
import { errnoCode, printable, printablePath, readTableFile, toCsvRow } from '../adapters/files/csv';
import type { Table } from '../adapters/files/csv';
import { prepareOutputFolder } from '../adapters/files/outputFolder';
import { OnnxProblemModel } from '../adapters/onnx/problemModel';
import { writeAtomically } from '../adapters/registry/durableFiles';
import { fitProblemOnRows } from '../domain/problems/automl';
import type { ProblemTrainOptions, TrainedProblem } from '../domain/problems/automl';
import { countOnsets } from '../domain/problems/dataset';
import { ProblemDataError } from '../domain/problems/errors';
import { formatLead } from '../domain/problems/evaluation';
import {
  checkLearnable,
  isTableProblemManifest,
  parseTimeCell,
  tableTimeUnit,
  TABLE_PROBLEM_KIND,
  tableEntities,
  tableFolds,
  labelledHorizon,
  TableProblemError,
  tableRows,
  tableStep,
} from '../domain/problems/table';
import type { TableEntity, TableProblemManifest, TableProblemSpec } from '../domain/problems/table';
import { thresholdOnServedModel } from '../services/problemTraining';
import { checkColumns, inputErrorMessage, isInputError, processIo, TrainInputError } from './commandInput';
import type { CommandIo } from './commandInput';

/**
 * `nocai problems train-file` and `predict-file` (issue 12): a predictive alert problem on a table
 * (CSV or JSONL) instead of series in InfluxDB. The rows become the features of a problem on series
 * (`domain/problems/table.ts`) and train in the same AutoML (`fitProblemOnRows`: the same
 * candidates, CV, choice on the validation rows and Platt calibration; then the threshold policy on
 * the exported graph's own probabilities, `thresholdOnServedModel`). The model (`model.onnx`, the
 * graph the service serves for problems), `manifest.json` and `report.json` go to `--out`. Exit codes: 0, 2 for input the user must fix (one sentence), 1 at run time.
 */

export interface ProblemsTrainFileFlags {
  input: string;
  label: string;
  /** Input columns; every column but the label, time, group and split ones when absent. */
  features?: string[];
  time?: string;
  group?: string;
  windows?: number[];
  /** A column whose cells say `train` or `validation`. */
  split?: string;
  /** Rows at or after this time validate; needs `time`. */
  trainUntil?: string;
  /** How far the label looks ahead, in the time column's unit (a duration in ms for ISO times). */
  horizon?: number;
  name?: string;
  candidates?: ProblemCandidate[];
  /** Target precision on validation (the default policy, 0.7), or a fixed probability. */
  precision?: number;
  threshold?: number;
  folds?: number;
  seed?: number;
  out: string;
  quiet?: boolean;
  maxInputMb?: number;
}

export interface ProblemsPredictFileFlags {
  model: string;
  input: string;
  maxInputMb?: number;
}

const TRAIN = 'nocai problems train-file';
const PREDICT = 'nocai problems predict-file';
const SPLIT_VALUES = { train: 'train', training: 'train', validation: 'validation' } as const;
const DEFAULT_PRECISION = 0.7;
const DEFAULT_FOLDS = 3;

/** A table's rows, whatever refuses them, as one sentence naming the file. */
function tableError(error: TableProblemError, file: string): TrainInputError {
  return new TrainInputError(`${printablePath(file)}: ${printable(error.message, 300)}.`);
}

/** Which rows train and which validate, checked against the flags and the table. */
function splitOf(flags: ProblemsTrainFileFlags, table: Table, horizon: number) {
  if ((flags.split === undefined) === (flags.trainUntil === undefined)) {
    throw new TrainInputError(
      'give either --split COLUMN (cells "train" or "validation") or --train-until TIME (with --time) to say which rows validate the model.'
    );
  }
  if (flags.trainUntil !== undefined) {
    if (flags.time === undefined)
      throw new TrainInputError('--train-until needs --time COLUMN: the rows are cut by time.');
    const until = parseTimeCell(flags.trainUntil);
    if (Number.isNaN(until)) {
      throw new TrainInputError(
        `--train-until "${printable(flags.trainUntil)}" is neither a number nor an ISO 8601 time.`
      );
    }
    // A training row's label looks `horizon` ahead: it must end before validation starts.
    return {
      kind: 'time' as const,
      isTraining: (e: TableEntity, k: number) => e.times[k] + horizon <= until,
      isValidation: (e: TableEntity, k: number) => e.times[k] >= until,
    };
  }
  const column = flags.split ?? '';
  const part = table.rows.map((row, i) => {
    const value = SPLIT_VALUES[(row[column] ?? '').trim().toLowerCase() as keyof typeof SPLIT_VALUES];
    if (value === undefined) {
      throw new TrainInputError(
        `${printablePath(flags.input)} row ${i + 1} has "${printable(row[column] ?? '')}" in the split column "${printable(column)}", ` +
          'which must be train or validation.'
      );
    }
    return value;
  });
  return {
    kind: 'column' as const,
    isTraining: (e: TableEntity, k: number) => part[e.rows[k]] === 'train',
    isValidation: (e: TableEntity, k: number) => part[e.rows[k]] === 'validation',
  };
}

/**
 * What to change when a part holds too few rows labelled 1 (`fitProblemOnRows`), for the options
 * given: the labels come from the file, so neither the horizon nor a period widens them; a time cut
 * moves, a split column marks other runs. Training needs 2 per CV fold.
 */
function tooFewEventsAdvice(flags: ProblemsTrainFileFlags, folds: number) {
  const need = `training needs 2 rows labelled 1 per CV fold, ${2 * folds} with ${folds} folds`;
  return (short: { training: boolean; validation: boolean }): string => {
    if (flags.trainUntil !== undefined) {
      if (short.training && short.validation)
        return `move --train-until to leave rows labelled 1 on both sides of it (${need}), or give --split COLUMN`;
      return short.training
        ? `give a later --train-until (${need}) or fewer --folds`
        : 'give an earlier --train-until, so that rows labelled 1 come at or after it';
    }
    const runs = !short.training
      ? 'some runs that end in the event "validation"'
      : `more runs that end in the event "train"${short.validation ? ' and some "validation"' : ''}`;
    return (
      `mark ${runs} in the split column "${printable(flags.split ?? '')}"` +
      (short.training ? ` (${need}), or give fewer --folds` : '')
    );
  };
}

/**
 * Why a --train-until cut leaves a part empty, with the cuts that would not: a training row's
 * label (`horizon` ahead) must end by the cut, validation rows start at it.
 */
function emptyCutMessage(
  flags: ProblemsTrainFileFlags,
  entities: readonly TableEntity[],
  isoTimes: boolean,
  horizon: number,
  rows: { training: number; validation: number }
): string {
  const first = Math.min(...entities.map((e) => e.times[0]));
  const last = Math.max(...entities.map((e) => e.times[e.times.length - 1]));
  // ISO times are epoch ms: say them as times again, and the horizon in minutes.
  const time = (t: number) => (isoTimes ? new Date(t).toISOString() : String(t));
  const reach = isoTimes ? plural(Number((horizon / 60_000).toPrecision(6)), 'minute') : String(horizon);
  const cuts =
    first + horizon <= last
      ? `give a cut from ${time(first + horizon)} to ${time(last)}`
      : 'no cut leaves rows in both parts: give --split COLUMN';
  return (
    `${printablePath(flags.input)}: --train-until ${printable(flags.trainUntil ?? '')} leaves ${plural(rows.training, 'training row')} ` +
    `and ${plural(rows.validation, 'validation row')}; the times run from ${time(first)} to ${time(last)} and a training row's ` +
    `label looks ${reach} ahead, so ${cuts}.`
  );
}

function thresholdPolicy(flags: ProblemsTrainFileFlags): ThresholdPolicy {
  if (flags.threshold !== undefined && flags.precision !== undefined) {
    throw new TrainInputError(
      'give --threshold (a fixed probability) or --precision (a target on validation), not both.'
    );
  }
  return flags.threshold !== undefined
    ? { policy: 'fixed', probability: flags.threshold }
    : { policy: 'target_precision', precision: flags.precision ?? DEFAULT_PRECISION };
}

const figure = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));

/** What a person reads after training from a table. */
export function fileTrainingSummary(trained: Omit<TrainedProblem, 'spec'>, out: string): string {
  const r = trained.report;
  const v = r.validation;
  return (
    [
      `${r.problem}: ${r.winner.candidate}: ${r.winner.spec}; model, manifest and report in ${printablePath(out)}`,
      `  rows ${r.rows.training} training (${r.rows.positiveTraining} positive, ${plural(r.events.training, 'run')}) / ` +
        `${r.rows.validation} validation (${r.rows.positiveValidation} positive, ${plural(r.events.validation, 'run')}); ` +
        `${plural(r.features.count, 'feature')}; ` +
        `${r.cv.folds}-fold ${r.cv.kind} CV`,
      `  candidates (validation PR-AUC): ${r.candidates.map((c) => `${c.candidate} ${figure(c.validation.prAuc)}`).join(', ')}`,
      `  validation PR-AUC ${figure(v.prAuc)} (no skill ${figure(v.noSkillPrAuc)}, best single input ` +
        `${v.bestSingleSeries.feature} ${figure(v.bestSingleSeries.prAuc)}), ROC-AUC ${figure(v.rocAuc)}`,
      `  threshold ${figure(trained.threshold)} (${r.threshold.policy.policy}${r.threshold.reason ? `; ${r.threshold.reason}` : ''}): ` +
        `${r.threshold.alerts.truePositives} of ${plural(r.threshold.alerts.alerts, 'validation alert')} right, ` +
        `${plural(v.leadTime.events, 'run', { shown: `${v.leadTime.warned}/${v.leadTime.events}` })} warned, ` +
        `median lead ${formatLead(v.leadTime)}; ` +
        `rows at or above it: precision ${figure(v.atThreshold.precision)}, recall ${figure(v.atThreshold.recall)} ` +
        `(${plural(v.atThreshold.alerts, 'row')})`,
    ].join('\n') + '\n'
  );
}

/**
 * Trains a problem on a table and writes `model.onnx`, `manifest.json` and `report.json` to `--out`.
 * Returns the exit code.
 */
export async function runProblemsTrainFile(
  flags: ProblemsTrainFileFlags,
  io: CommandIo = processIo,
  deps: { grids?: ProblemTrainOptions['grids'] } = {}
): Promise<number> {
  const progress = (text: string) => {
    if (!flags.quiet) io.stderr(`train: ${printable(text, 500)}\n`);
  };
  try {
    const policy = thresholdPolicy(flags);
    const table = await readTableFile(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    if (table.rows.length === 0) throw new TrainInputError(`${printablePath(flags.input)} has no data rows.`);
    const roles = [flags.label, flags.time, flags.group, flags.split].filter((c): c is string => c !== undefined);
    const features = flags.features ?? table.columns.filter((c) => !roles.includes(c));
    const both = features.filter((c) => roles.includes(c));
    if (both.length > 0) {
      throw new TrainInputError(
        `${both.map((c) => `"${printable(c)}"`).join(', ')} cannot be an input and the label, time, group or split column at once.`
      );
    }
    if (features.length === 0)
      throw new TrainInputError(`${printablePath(flags.input)} has no input column besides ${roles.join(', ')}.`);
    checkColumns(table, [...roles, ...features], flags.input);
    const spec: TableProblemSpec = {
      label: flags.label,
      features,
      ...(flags.time !== undefined ? { time: flags.time } : {}),
      ...(flags.group !== undefined ? { group: flags.group } : {}),
      windows: flags.windows ?? [],
    };
    const name = flags.name ?? flags.label;
    progress(
      `${name}: ${plural(table.rows.length, 'row')} of ${printablePath(flags.input)}, ${plural(features.length, 'input')}`
    );
    let entities: TableEntity[];
    try {
      entities = tableEntities(table.rows, spec);
    } catch (error) {
      if (error instanceof TableProblemError) throw tableError(error, flags.input);
      throw error;
    }
    // Without --horizon, the label's own reach: its longest run of positive rows before an event.
    const horizon = flags.horizon ?? labelledHorizon(entities);
    const split = splitOf(flags, table, horizon);
    try {
      checkLearnable(entities, spec);
    } catch (error) {
      if (error instanceof TableProblemError) throw tableError(error, flags.input);
      throw error;
    }
    const train = tableRows(entities, spec, split.isTraining).rows;
    const valid = tableRows(entities, spec, split.isValidation).rows;
    const folds = flags.folds ?? DEFAULT_FOLDS;
    const byEntity = split.kind === 'column' && flags.group !== undefined;
    const trainingEntities = new Set(train.entityOf).size;
    if ((train.matrix.rowCount === 0 || valid.matrix.rowCount === 0) && split.kind === 'time') {
      const isoTimes = tableTimeUnit(table.rows, spec).size !== 1;
      const rows = { training: train.matrix.rowCount, validation: valid.matrix.rowCount };
      throw new TrainInputError(emptyCutMessage(flags, entities, isoTimes, horizon, rows));
    }
    if (train.matrix.rowCount === 0 || valid.matrix.rowCount === 0) {
      throw new TrainInputError(
        `${printablePath(flags.input)}: the split leaves ${train.matrix.rowCount} training and ${valid.matrix.rowCount} validation rows; both parts need rows.`
      );
    }
    // Runs on their own clocks (a C-MAPSS unit's cycles) cut at one time: the early cycles of every
    // run train and only the runs ending before the cut teach a failure. With none, the model would
    // learn the event from a few rows of runs whose end it never sees, and look fine on validation.
    // A run counts in training when any of its rows labelled 1 trains (`tableRows`): none means no row labelled 1.
    if (split.kind === 'time' && countOnsets(train, -Infinity, Infinity) === 0) {
      throw new TrainInputError(
        `${printablePath(flags.input)}: no run ends in its event within the training part ` +
          `(none of the ${plural(train.matrix.rowCount, 'row')} whose label looks no further than --train-until ${printable(flags.trainUntil ?? '')} ` +
          `is labelled 1), so the model would learn no failure; ` +
          'give --split COLUMN to put whole runs in training or validation' +
          `${flags.group === undefined ? '' : ` (all the rows of a "${printable(flags.group)}" in one part)`}, or a later --train-until.`
      );
    }
    if (byEntity && trainingEntities < folds) {
      throw new TrainInputError(
        `the training rows hold ${plural(trainingEntities, 'value')} of --group ${printable(flags.group ?? '')}; ` +
          `the CV by entity needs at least ${folds}.`
      );
    }
    const cv = tableFolds(train, folds, horizon, byEntity, flags.seed ?? 1);
    const fitted = fitProblemOnRows(
      {
        name,
        metric: 'pr_auc',
        candidates: flags.candidates ?? ['gbt', 'logistic', 'random_forest'],
        threshold: policy,
        horizon,
        horizonText: flags.horizon === undefined ? `${horizon}, as labelled in the file` : `${flags.horizon}`,
        stepMs: tableStep(entities),
        spec: { variables: features, windowSteps: spec.windows },
        events: {
          training: countOnsets(train, -Infinity, Infinity),
          validation: countOnsets(valid, -Infinity, Infinity),
        },
        folds: cv.folds,
        cvKind: cv.kind,
        timeUnit: tableTimeUnit(table.rows, spec),
        validationPeriod: { fromMs: -Infinity, toMs: Infinity },
        tooFewEventsAdvice: tooFewEventsAdvice(flags, cv.folds.length),
      },
      train,
      valid,
      { seed: flags.seed ?? 1, folds, onProgress: progress, ...(deps.grids ? { grids: deps.grids } : {}) }
    );
    const { trained, onnx } = await thresholdOnServedModel(fitted, `${name} from ${flags.input}`, progress);
    await prepareOutputFolder(flags.out);
    const manifest: TableProblemManifest = {
      format: 1,
      kind: TABLE_PROBLEM_KIND,
      name,
      createdAt: new Date().toISOString(),
      source: flags.input,
      table: spec,
      featureNames: trained.featureNames,
      learner: { candidate: trained.report.winner.candidate, spec: trained.learnerSpec },
      calibration: trained.calibration,
      threshold: trained.threshold,
      split: {
        kind: split.kind,
        ...(flags.split !== undefined ? { column: flags.split } : {}),
        ...(flags.trainUntil !== undefined ? { trainUntil: flags.trainUntil } : {}),
        horizon,
      },
      dataHash: trained.dataHash,
      metrics: trained.report,
    };
    await writeAtomically(join(flags.out, 'model.onnx'), onnx);
    await writeAtomically(join(flags.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeAtomically(join(flags.out, 'report.json'), `${JSON.stringify(trained.report, null, 2)}\n`);
    io.stdout(fileTrainingSummary(trained, flags.out));
    return 0;
  } catch (error) {
    if (error instanceof ProblemDataError) {
      io.stderr(`${TRAIN}: ${printable(error.message, Number.POSITIVE_INFINITY)}.\n`);
      return 2;
    }
    if (isInputError(error)) {
      io.stderr(`${TRAIN}: ${inputErrorMessage(error)}\n`);
      return 2;
    }
    throw error;
  }
}

/** The manifest of a model folder written by `train-file`, or a sentence saying why not. */
async function readManifest(dir: string): Promise<TableProblemManifest> {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TrainInputError(
      `${printablePath(dir)} holds no manifest.json (${errnoCode(error) ?? String(error)}); train one with ${TRAIN} --out ${printablePath(dir)}.`
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TrainInputError(`${printablePath(file)} is not valid JSON.`);
  }
  if (!isTableProblemManifest(parsed)) {
    throw new TrainInputError(`${printablePath(file)} is not the manifest of a model trained by ${TRAIN}.`);
  }
  return parsed;
}

const number = (value: number) => String(Number(value.toPrecision(6)));

/**
 * Writes the input's rows in order, each followed by `probability` (of the event within the
 * horizon) and `alert` (1 at or above the model's threshold). A row where an input has no value
 * yet for its entity gets empty cells. Windows read each entity's earlier rows of this input.
 */
export async function runProblemsPredictFile(
  flags: ProblemsPredictFileFlags,
  io: CommandIo = processIo
): Promise<number> {
  let model: OnnxProblemModel | undefined;
  try {
    const manifest = await readManifest(flags.model);
    const table = await readTableFile(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    const spec = manifest.table;
    checkColumns(
      table,
      [...spec.features, ...[spec.time, spec.group].filter((c): c is string => c !== undefined)],
      flags.input
    );
    let features;
    try {
      features = tableRows(tableEntities(table.rows, spec, false), spec);
    } catch (error) {
      if (error instanceof TableProblemError) throw tableError(error, flags.input);
      throw error;
    }
    let onnx: Uint8Array;
    try {
      onnx = new Uint8Array(await readFile(join(flags.model, 'model.onnx')));
    } catch (error) {
      throw new TrainInputError(
        `${printablePath(flags.model)} has no readable model.onnx (${errnoCode(error) ?? String(error)}).`
      );
    }
    model = await OnnxProblemModel.load(onnx, manifest.featureNames.length);
    const probabilities = await model.probabilities(features.rows.matrix.values);
    const byRow = new Map<number, number>();
    features.tableRow.forEach((row, i) => byRow.set(row, probabilities[i]));
    const lines = [toCsvRow([...table.columns, 'probability', 'alert'])];
    table.rows.forEach((row, i) => {
      const p = byRow.get(i);
      const cells = table.columns.map((c) => row[c] ?? '');
      cells.push(p === undefined ? '' : number(p), p === undefined ? '' : p >= manifest.threshold ? '1' : '0');
      lines.push(toCsvRow(cells));
    });
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (error) {
    if (isInputError(error)) {
      io.stderr(`${PREDICT}: ${inputErrorMessage(error)}\n`);
      return 2;
    }
    throw error;
  }
}
