import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { plural } from '@nocai/contract';
import { printable, printablePath, readTableFile } from '../adapters/files/csv';
import type { Table } from '../adapters/files/csv';
import { bestClass, exportTabularOnnx, OnnxTabularModel } from '../adapters/onnx/tabularModel';
import { describeModel } from '../adapters/registry/lifecycle';
import { aliasActorOf, listVersions, loadModel, saveModel, setAlias } from '../adapters/registry/modelRegistry';
import { profileFile } from '../adapters/registry/profileStore';
import { evaluateClassification } from '../domain/mlops/metrics';
import { tabularProfile } from '../domain/mlops/profile';
import {
  buildFeatures,
  inputColumns,
  isMissingCell,
  numberOf,
  TabularDataError,
} from '../domain/mlops/tabularFeatures';
import type { Row } from '../domain/mlops/tabularFeatures';
import {
  classLabelOf,
  describeHyperparameters,
  hashRows,
  isTabularManifest,
  regressionFigures,
  TABULAR_TENSORS,
  tabularModelName,
  trainTabularModel,
} from '../domain/mlops/tabularModel';
import type { Provenance, RegistryManifest } from '../domain/mlops/manifest';
import { placeNewVersion, servingRecord } from './championChoice';
import type { ChampionComparison, ServingDecision } from './championChoice';
import type { TabularGrid, TabularManifest, TabularTask, TrainedTabular } from '../domain/mlops/tabularModel';
import {
  checkColumns,
  columnSpread,
  inputErrorMessage,
  isInputError,
  processIo,
  TrainInputError,
} from './commandInput';
import type { CommandIo } from './commandInput';
import { checkModelFamily } from './modelFamily';
import { userProvenance } from './provenance';

/** `nocai train --target …`: the flags of a tabular target (issue 10). */
export interface TabularTrainFlags {
  history: string;
  target: string;
  task?: TabularTask;
  features: string[];
  categorical?: string[];
  group?: string;
  order?: string;
  windows?: number[];
  normalizeBy?: string;
  segment?: string;
  /** Two classes: the one whose probability predict writes (default: see `positiveLabelOf`). */
  positive?: string;
  out: string;
  seed: number;
  quiet?: boolean;
  maxInputMb?: number;
  /** Replaces the default candidates (benches and tests bound their cost with it). */
  grid?: TabularGrid;
  /** The new version becomes champion even when it does not beat the current one. */
  champion?: boolean;
  /** How much better the new version must do to replace the champion (NOCAI_RETRAIN_MARGIN); the default when absent. */
  margin?: number;
}

/** Columns named on the command line that the file lacks: one sentence naming both. */
export function checkTableColumns(table: Table, wanted: readonly string[], file: string): void {
  checkColumns(table, [...new Set(wanted)], file);
}

/**
 * Feature columns that can teach the model nothing. One empty in every row is refused, naming it.
 * One holding the same value in every row is left out of the model, as every feature constant over
 * the training rows is (`tabularFeatures.ts`; C-MAPSS FD001/FD003 have such sensors): the returned
 * sentences say so, and when every feature is such a column there is nothing to learn (refused).
 */
export function uninformativeFeatures(
  table: Table,
  features: readonly string[],
  categorical: readonly string[],
  file: string
): string[] {
  const notes: string[] = [];
  for (const column of features) {
    const asText = categorical.includes(column);
    const valueOf = (cell: string) => {
      if (isMissingCell(cell)) return undefined;
      const number = asText ? undefined : numberOf(cell);
      return number === undefined ? cell.trim() : String(number);
    };
    const spread = columnSpread(table, column, valueOf);
    if (spread?.kind === 'empty') {
      throw new TrainInputError(
        `${printablePath(file)}: column "${printable(column)}" is empty in every row; leave it out of --features or fill it in.`
      );
    }
    if (spread?.kind === 'constant') {
      notes.push(
        `${printablePath(file)}: column "${printable(column)}" holds "${printable(spread.value)}" in every row, ` +
          'so it carries no information and is left out of the model.'
      );
    }
  }
  if (notes.length === features.length) {
    throw new TrainInputError(
      `${printablePath(file)}: every column of --features holds one value in every row, so there is nothing to learn from.`
    );
  }
  return notes;
}

/** A data error of the domain as one sentence that names the file. */
export function tabularInputError(error: TabularDataError, file: string): TrainInputError {
  return new TrainInputError(`${printablePath(file)}: ${printable(error.message, 300)}.`);
}

const fixed = (n: number) => n.toFixed(3);

/** One line per trained target: what a person checks after training. */
function summary(manifest: TabularManifest, trained: TrainedTabular, seconds: number): string {
  const { report } = trained;
  const cv = report.crossValidation;
  const chosenMean = cv.candidates.find((c) => c.hyperparameters === trained.hyperparameters)?.mean ?? NaN;
  // Regression is chosen on −RMSE (higher is better): shown as the RMSE people read.
  const cvFigure = cv.metric === '-rmse' ? `RMSE ${fixed(-chosenMean)}` : `${cv.metric} ${fixed(chosenMean)}`;
  const test = report.test;
  const figures =
    'rmse' in test
      ? `held-out RMSE ${fixed(test.rmse)}, MAE ${fixed(test.mae)}, P10–P90 coverage ${fixed(test.intervalCoverage)}`
      : `held-out macro-F1 ${fixed(test.macroF1)}, accuracy ${fixed(test.accuracy)}, log-loss ${fixed(test.logLoss)}`;
  const positive =
    manifest.positiveLabel === undefined
      ? ''
      : `; ${printable(manifest.target)}_probability is of "${printable(manifest.positiveLabel)}"`;
  return (
    `${manifest.name} ${manifest.version} (${report.task}${report.taskFrom === 'inferred' ? ', inferred' : ''}${positive}): ` +
    `${describeHyperparameters(trained.hyperparameters, report.task === 'classification')}, ` +
    `${plural(report.features.count, 'feature')}, ${cv.folds}-fold ${cv.kind} CV ${cvFigure} ` +
    `over ${plural(cv.candidates.length, 'candidate')}; ${figures} on ${plural(report.rows.test, 'row')}; ${seconds.toFixed(1)} s\n`
  );
}

/** Report written next to the models, in the shape of the text models' report.json. */
async function writeTabularReport(
  dir: string,
  manifest: TabularManifest,
  trained: TrainedTabular,
  seconds: number,
  source: string,
  serving: ServingDecision
) {
  const file = join(dir, 'report.json');
  const report = {
    createdAt: new Date().toISOString(),
    source,
    targets: {
      [manifest.name]: {
        version: manifest.version,
        trainingSeconds: seconds,
        window: manifest.trainingWindow,
        ...(manifest.positiveLabel === undefined ? {} : { positiveLabel: manifest.positiveLabel }),
        serving: servingRecord(serving),
        ...trained.report,
      },
    },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Where and under which name a trained tabular model goes into the registry. */
export interface TabularChampionSpec {
  name: string;
  /** The grouping and order columns of the training rows, recorded in the manifest. */
  group?: string;
  order?: string;
  /** The ONNX graph's doc string. */
  description: string;
  /** The rows the model was trained on: given, they become the version's reference profile for drift. */
  trainingRows?: readonly Row[];
  /** false: stored as a new version only (a retraining's challenger); the champion alias stays. */
  champion?: boolean;
  provenance?: Provenance;
}

/** Stores a trained tabular model (manifest and ONNX graph) as a new version and, unless told otherwise, makes it champion. */
export async function saveTabularChampion(
  registryDir: string,
  trained: TrainedTabular,
  spec: TabularChampionSpec
): Promise<TabularManifest> {
  const { model, report } = trained;
  const regression = model.task === 'regression';
  const manifest = await saveModel<TabularManifest>(
    registryDir,
    {
      format: 1,
      name: spec.name,
      createdAt: new Date().toISOString(),
      target: model.target,
      kind: regression ? 'tabular_regressor' : 'tabular_classifier',
      labels: model.labels,
      positiveLabel: model.positiveLabel,
      inputs: {
        columns: inputColumns(model.features),
        tensor: { name: TABULAR_TENSORS.input, dimension: model.features.names.length },
      },
      outputs: regression
        ? { prediction: TABULAR_TENSORS.prediction, p10: TABULAR_TENSORS.p10, p90: TABULAR_TENSORS.p90 }
        : { probabilities: TABULAR_TENSORS.probabilities },
      features: model.features,
      hyperparameters: trained.hyperparameters,
      ...spec.provenance,
      temperature: model.temperature,
      interval: model.interval,
      trainingWindow: {
        trainRows: report.rows.train,
        testRows: report.rows.test,
        groupColumn: spec.group,
        orderColumn: spec.order,
      },
      dataHash: trained.dataHash,
      dataColumns: trained.dataColumns,
      metrics: report,
    },
    exportTabularOnnx(model, spec.description),
    (full) => {
      const rows = spec.trainingRows;
      if (!rows) return {};
      return profileFile(
        tabularProfile(full, rows, {
          numeric: model.features.numeric.map((n) => n.column),
          categorical: model.features.categorical.map((c) => c.column),
          target: regression ? undefined : model.target,
          labelOf: classLabelOf(model.labels),
        })
      );
    }
  );
  if (spec.champion !== false) {
    await setAlias(registryDir, spec.name, 'champion', manifest.version, aliasActorOf(spec.provenance));
  }
  return manifest;
}

/**
 * Trains one tabular target, exports it to ONNX, stores it in the registry as champion and writes
 * report.json. Returns the exit code: 0, or 2 with one sentence on stderr for bad input.
 */
/**
 * Model names are slugs of the target (`wear [mm]` and `wear (mm)` are both `wear-mm`; a target of
 * no letter or digit is `target`): a version of another target must not become the next version, and
 * champion, of a model that predicts something else.
 */
async function checkModelOfSameTarget(out: string, target: string): Promise<void> {
  const name = tabularModelName(target);
  if ((await listVersions(out, name).catch(() => [])).length === 0) return;
  const model = await describeModel(out, name).catch(() => undefined);
  const other = model?.versions.find((v) => v.target !== undefined && v.target !== target);
  if (!other?.target) return;
  throw new TrainInputError(
    `${printablePath(join(out, name))} holds model ${name} of the target "${printable(other.target)}" (${other.version}), ` +
      `not "${printable(target)}": its next version would replace that champion; give another --out.`
  );
}

/**
 * The champion against a new version on the new version's held-out rows of `table`: the champion's
 * model run on them, or, when it learnt from this very file (its data hash over its own columns
 * matches), the held-out figure of its own training. A clause saying why when they do not compare.
 */
async function compareWithChampion(
  out: string,
  name: string,
  championVersion: string,
  table: Table,
  trained: TrainedTabular,
  file: string
): Promise<ChampionComparison | string> {
  const stored = await loadModel<RegistryManifest>(out, name, championVersion);
  const champion = stored.manifest;
  const regression = trained.model.task === 'regression';
  if (!isTabularManifest(champion)) return `the champion ${championVersion} is not a tabular model`;
  if ((champion.kind === 'tabular_regressor') !== regression) {
    return `the champion ${championVersion} predicts ${regression ? 'classes' : 'numbers'} and the new version ${regression ? 'numbers' : 'classes'}`;
  }
  const test = trained.report.test;
  const base = {
    metric: regression ? 'RMSE' : 'macro-F1',
    lowerIsBetter: regression,
    challenger: 'rmse' in test ? test.rmse : test.macroF1,
    rows: trained.heldOut.length,
  };
  const { features } = champion;
  const columns = champion.dataColumns ?? [
    ...new Set([
      ...features.numeric.map((n) => n.column),
      ...features.categorical.map((c) => c.column),
      champion.target,
      ...(features.group ? [features.group] : []),
      ...(features.order ? [features.order.column] : []),
    ]),
  ];
  const recorded = champion.metrics.test;
  if (columns.every((c) => table.columns.includes(c)) && hashRows(table.rows, columns) === champion.dataHash) {
    return { ...base, champion: 'rmse' in recorded ? recorded.rmse : recorded.macroF1, championBasis: 'recorded' };
  }
  const missing = inputColumns(features).filter((c) => !table.columns.includes(c));
  if (missing.length > 0) {
    return `the champion ${championVersion} reads ${missing.map((c) => `"${printable(c)}"`).join(', ')}, which ${printablePath(file)} lacks`;
  }
  let matrix;
  try {
    matrix = buildFeatures(features, table.rows);
  } catch (error) {
    if (error instanceof TabularDataError) {
      return `the champion ${championVersion} cannot read ${printablePath(file)} (${printable(error.message, 200)})`;
    }
    throw error;
  }
  const model = await OnnxTabularModel.load(stored.onnx, champion);
  try {
    const outputs = await model.run(matrix);
    const rows = trained.heldOut;
    if (outputs.task === 'regression') {
      const actual = rows.map((r) => numberOf(table.rows[r][trained.model.target]) ?? NaN);
      const figures = regressionFigures(
        actual,
        rows.map((r) => outputs.prediction[r])
      );
      return { ...base, champion: figures.rmse, championBasis: 'scored' };
    }
    const predicted = rows.map((r) => champion.labels[bestClass(outputs, r)]);
    const labelOf = classLabelOf(trained.model.labels);
    const actual = rows.map((r) => labelOf(table.rows[r][trained.model.target]) ?? '');
    return {
      ...base,
      champion: evaluateClassification(champion.labels, actual, predicted).macroF1,
      championBasis: 'scored',
    };
  } finally {
    await model.close();
  }
}

export async function runTrainTabular(flags: TabularTrainFlags, io: CommandIo = processIo): Promise<number> {
  const progress = (text: string) => {
    if (!flags.quiet) io.stderr(`${text}\n`);
  };
  try {
    const began = performance.now();
    await checkModelFamily(flags.out, tabularModelName(flags.target), 'tabular');
    await checkModelOfSameTarget(flags.out, flags.target);
    const table = await readTableFile(flags.history, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    if (table.rows.length === 0) throw new TrainInputError(`${printablePath(flags.history)} has no data rows.`);
    const categorical = flags.categorical ?? [];
    const stray = categorical.filter((c) => !flags.features.includes(c));
    if (stray.length > 0) {
      throw new TrainInputError(
        `--categorical names ${stray.map((c) => `"${printable(c)}"`).join(', ')}, which --features does not list.`
      );
    }
    if (flags.features.includes(flags.target)) {
      throw new TrainInputError(`the target "${printable(flags.target)}" cannot also be a feature.`);
    }
    const optional = [flags.group, flags.order, flags.segment, flags.normalizeBy].filter(
      (c): c is string => c !== undefined
    );
    checkTableColumns(table, [flags.target, ...flags.features, ...optional], flags.history);
    const notes = uninformativeFeatures(table, flags.features, categorical, flags.history);
    progress(`train: ${flags.target} on ${plural(table.rows.length, 'row')} of ${basename(flags.history)}`);
    let trained: TrainedTabular;
    try {
      trained = trainTabularModel(
        table.rows,
        {
          target: flags.target,
          task: flags.task,
          features: flags.features,
          categorical,
          group: flags.group,
          order: flags.order,
          windows: flags.windows ?? [],
          normalizeBy: flags.normalizeBy,
          segment: flags.segment,
          positive: flags.positive,
        },
        { seed: flags.seed, onProgress: (m) => progress(`train: ${m}`), ...(flags.grid ? { grid: flags.grid } : {}) }
      );
    } catch (error) {
      if (error instanceof TabularDataError) throw tabularInputError(error, flags.history);
      throw error;
    }
    // Said even with --quiet, once the model is trained (a refusal stays one sentence): the model
    // reads fewer columns than the flags name, or fewer rows than the file holds.
    const { withoutTarget } = trained.report.rows;
    if (withoutTarget > 0) {
      notes.push(
        `${withoutTarget} of ${plural(table.rows.length, 'row')} of ${printablePath(flags.history)} ` +
          `${withoutTarget === 1 ? 'has' : 'have'} no "${printable(flags.target)}" ` +
          `(empty, NA, N/A, NaN, null or None) and ${withoutTarget === 1 ? 'was' : 'were'} not learned from.`
      );
    }
    for (const note of notes) io.stderr(`nocai train: ${note}\n`);
    const name = tabularModelName(flags.target);
    const provenance = userProvenance(`nocai train --history ${basename(flags.history)} --target ${flags.target}`);
    const manifest = await saveTabularChampion(flags.out, trained, {
      name,
      group: flags.group,
      order: flags.order,
      description: `${name}: ${flags.target} from ${plural(flags.features.length, 'column')}`,
      trainingRows: table.rows,
      champion: false,
      provenance,
    });
    const serving = await placeNewVersion(flags.out, name, manifest.version, {
      force: flags.champion,
      margin: flags.margin,
      provenance,
      compare: (champion) => compareWithChampion(flags.out, name, champion, table, trained, flags.history),
    });
    const seconds = (performance.now() - began) / 1000;
    const file = await writeTabularReport(flags.out, manifest, trained, seconds, flags.history, serving);
    progress(`train: model ${name} ${manifest.version} and ${file} written`);
    // Said even with --quiet when there was a champion to compare with: which version serves is what a person acts on.
    if (!flags.quiet || serving.why !== 'first version') io.stderr(`nocai train: ${serving.reason}.\n`);
    io.stdout(summary(manifest, trained, seconds));
    return 0;
  } catch (error) {
    if (isInputError(error)) {
      io.stderr(`nocai train: ${inputErrorMessage(error)}\n`);
      return 2;
    }
    throw error;
  }
}
