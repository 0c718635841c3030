import { printable, printablePath, readTableFile, toCsvRow } from '../adapters/files/csv';
import { bestClass, OnnxTabularModel } from '../adapters/onnx/tabularModel';
import type { TabularOutputs } from '../adapters/onnx/tabularModel';
import { listModels, loadModel, readAliases } from '../adapters/registry/modelRegistry';
import type { RegistryManifest } from '../domain/mlops/manifest';
import { buildFeatures, inputColumns, TabularDataError } from '../domain/mlops/tabularFeatures';
import { IMPORTED_KIND } from '../domain/mlops/importedModel';
import { isTabularManifest, positiveLabelIndex } from '../domain/mlops/tabularModel';
import type { TabularManifest } from '../domain/mlops/tabularModel';
import { inputErrorMessage, isInputError, processIo, TrainInputError } from './commandInput';
import type { CommandIo } from './commandInput';
import { checkTableColumns, tabularInputError } from './trainTabular';
import { listed, noModelsMessage } from './predict';

export interface TabularPredictFlags {
  model: string;
  input: string;
  /** Only this column of the input is repeated in the output; all of them when absent. */
  id?: string;
  maxInputMb?: number;
}

/**
 * Every tabular model in `dir` at its champion, or its newest version when it has none; the
 * others' names and kinds go to `others`, for the sentence when there is no tabular one.
 */
export async function loadTabularModels(
  dir: string,
  others: Array<{ name: string; kind: unknown }> = []
): Promise<OnnxTabularModel[]> {
  const models: OnnxTabularModel[] = [];
  for (const name of await listModels(dir)) {
    const alias = (await readAliases(dir, name)).champion ? 'champion' : 'latest';
    const stored = await loadModel<RegistryManifest>(dir, name, alias);
    if (isTabularManifest(stored.manifest)) models.push(await OnnxTabularModel.load(stored.onnx, stored.manifest));
    else others.push({ name, kind: stored.manifest.kind });
  }
  return models;
}

/** Why a folder of models has no tabular one, saying where its imported models are answered. */
function noTabularModelsMessage(dir: string, others: ReadonlyArray<{ name: string; kind: unknown }>): string {
  const shown = printablePath(dir);
  const names = listed(others.map((m) => printable(m.name)));
  if (others.every((m) => m.kind === IMPORTED_KIND)) {
    return (
      `${shown} holds imported models only (${names}), which nocai predict does not run: ` +
      'nocai serve answers them at POST /api/predict/:name.'
    );
  }
  return (
    `${shown} holds no tabular models (${names} ${others.length > 1 ? 'are models' : 'is a model'} of another kind); ` +
    `train one with nocai train --target COLUMN --out ${shown}, or give --text for text models.`
  );
}

/** Numbers as people read them: 7 significant digits, no float32 noise (87.12346, not 87.12345886230469). */
const number = (value: number) => String(Number(value.toPrecision(7)));

/** The columns one model adds, named after its target. */
function outputColumns(manifest: TabularManifest): string[] {
  const target = manifest.target;
  const predicted = `predicted_${target}`;
  if (manifest.kind === 'tabular_regressor') return [predicted, `${target}_p10`, `${target}_p90`];
  return [predicted, manifest.labels.length === 2 ? `${target}_probability` : `${target}_confidence`];
}

function outputCells(manifest: TabularManifest, outputs: TabularOutputs, row: number): string[] {
  if (outputs.task === 'regression') {
    return [number(outputs.prediction[row]), number(outputs.p10[row]), number(outputs.p90[row])];
  }
  const K = outputs.classes;
  const p = outputs.probabilities.subarray(row * K, (row + 1) * K);
  const best = bestClass(outputs, row);
  const shown = K === 2 ? p[positiveLabelIndex(manifest)] : p[best];
  return [manifest.labels[best], shown.toFixed(4)];
}

/**
 * `nocai predict` for tabular models: the input's rows in order, each followed by
 * `predicted_<target>` and, for a number, `<target>_p10` and `<target>_p90`; for two classes,
 * `<target>_probability` (of the manifest's `positiveLabel`, named on stderr); for more,
 * `<target>_confidence`. Windows are computed from the rows given, per group in order.
 */
export async function runPredictTabular(flags: TabularPredictFlags, io: CommandIo = processIo): Promise<number> {
  let models: OnnxTabularModel[] = [];
  try {
    const others: Array<{ name: string; kind: unknown }> = [];
    models = await loadTabularModels(flags.model, others);
    // No models at all (no such folder, a file, one model's folder given): said as predict on text says it.
    if (models.length === 0 && others.length === 0) throw new TrainInputError(await noModelsMessage(flags.model));
    if (models.length === 0) throw new TrainInputError(noTabularModelsMessage(flags.model, others));
    const table = await readTableFile(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    checkTableColumns(
      table,
      // From the features, not the manifest's list: models trained before listed columns they had dropped.
      [...models.flatMap((m) => inputColumns(m.manifest.features)), ...(flags.id ? [flags.id] : [])],
      flags.input
    );
    const results: TabularOutputs[] = [];
    for (const model of models) {
      let matrix;
      try {
        matrix = buildFeatures(model.manifest.features, table.rows);
      } catch (error) {
        if (error instanceof TabularDataError) throw tabularInputError(error, flags.input);
        throw error;
      }
      results.push(await model.run(matrix));
    }
    // Which class a probability is of is not in the CSV: said once per model, where a person reads it.
    for (const { manifest } of models) {
      if (manifest.kind !== 'tabular_classifier' || manifest.labels.length !== 2) continue;
      const label = manifest.labels[positiveLabelIndex(manifest)];
      io.stderr(
        `nocai predict: ${printable(manifest.target)}_probability is the probability that ${printable(manifest.target)} is "${printable(label)}".\n`
      );
    }
    const kept = flags.id ? [flags.id] : table.columns;
    const header = [...kept, ...models.flatMap((m) => outputColumns(m.manifest))];
    const lines = [toCsvRow(header)];
    table.rows.forEach((row, i) => {
      const cells = kept.map((c) => row[c] ?? '');
      models.forEach((m, k) => cells.push(...outputCells(m.manifest, results[k], i)));
      lines.push(toCsvRow(cells));
    });
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (error) {
    if (isInputError(error)) {
      io.stderr(`nocai predict: ${inputErrorMessage(error)}\n`);
      return 2;
    }
    throw error;
  } finally {
    await Promise.all(models.map((m) => m.close()));
  }
}
