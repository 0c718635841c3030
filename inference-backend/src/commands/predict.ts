import { Option } from 'commander';
import type { Command } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  csvField,
  DEFAULT_MAX_CELL_CHARS,
  printable,
  printablePath,
  readTableFile,
  toCsvRow,
} from '../adapters/files/csv';
import type { Table } from '../adapters/files/csv';
import { OnnxClassifier, TEXT_CLASSIFIER_KIND, textClassifierManifestProblem } from '../adapters/onnx/onnxClassifier';
import {
  ALIASES_FILE,
  DamagedModelError,
  listModels,
  listVersions,
  loadModel,
  MANIFEST_FILE,
  MODEL_FILE,
  ModelNotFoundError,
  readAliasesFile,
} from '../adapters/registry/modelRegistry';
import type { StoredModel } from '../adapters/registry/modelRegistry';
import type { ModelManifest, RegistryManifest } from '../domain/mlops/manifest';
import {
  checkCellLengths,
  checkColumns,
  columnList,
  inputErrorMessage,
  isInputError,
  TrainInputError,
  withInputLimits,
} from './commandInput';
import type { CommandIo } from './commandInput';
import { runTabularPredictCommand } from './tabularFlags';

export interface PredictFlags {
  model: string;
  input: string;
  text: string[];
  /** Only this column of the input is repeated in the output; all of them when absent. */
  id?: string;
  /** Largest input file read, in MB; DEFAULT_MAX_INPUT_MB when absent. */
  maxInputMb?: number;
  /** Longest cell in a column the models read; DEFAULT_MAX_CELL_CHARS when absent. */
  maxCellChars?: number;
}

/** Subfolders looked into when `--model` holds no models itself: enough for a folder of training runs. */
const MAX_FOLDERS_SEARCHED = 100;

export const listed = (names: readonly string[]) =>
  names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/**
 * Why `dir` holds no models, as the sentence the user reads: not there, a file, one model's
 * folder or one version of it (given instead of the folder written by `nocai train --out`), or a
 * folder of several model folders (training runs side by side).
 */
export async function noModelsMessage(dir: string): Promise<string> {
  const shown = printablePath(dir);
  const info = await stat(dir).catch(() => undefined);
  if (!info) return `no such folder ${shown}.`;
  if (!info.isDirectory()) return `${shown} is a file, not a folder of models written by nocai train --out.`;
  const parent = dirname(dir);
  if (
    await stat(join(dir, MANIFEST_FILE)).then(
      () => true,
      () => false
    )
  ) {
    return (
      `${shown} is one version of model ${printable(basename(parent))}; ` +
      `give the folder that holds the models: --model ${printablePath(dirname(parent))}.`
    );
  }
  if ((await listVersions(parent, basename(dir)).catch(() => [])).length > 0) {
    return `${shown} is the folder of model ${printable(basename(dir))}; give the folder that holds it: --model ${printablePath(parent)}.`;
  }
  const folders: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.filter((e) => e.isDirectory()).slice(0, MAX_FOLDERS_SEARCHED)) {
    if ((await listModels(join(dir, entry.name))).length > 0) folders.push(printable(entry.name));
  }
  if (folders.length > 0) {
    return (
      `${shown} holds no models itself, but its folder${folders.length > 1 ? 's' : ''} ${listed(folders)} ` +
      `${folders.length > 1 ? 'each hold' : 'holds'} some; give one of them: --model ${printablePath(join(dir, folders[0]))}.`
    );
  }
  return `${shown} holds no models (train some with nocai train --out ${shown}).`;
}

/**
 * Model `name` of `dir` at its champion, or its newest version when it has none; `undefined`
 * for a model of another kind (a tabular or MTTR model next to the text classifiers). A damaged
 * model is a `TrainInputError` naming the file: predict never guesses around it.
 */
async function loadClassifier(
  dir: string,
  name: string,
  skip: (note: string) => void
): Promise<OnnxClassifier | undefined> {
  const modelDir = join(dir, name);
  const unusable = (what: string) =>
    new TrainInputError(`${printablePath(what)}, so model ${printable(name)} cannot be used.`);
  const versions = await listVersions(dir, name);
  let champion: string | undefined;
  try {
    champion = (await readAliasesFile(dir, name)).champion;
  } catch (error) {
    if (error instanceof DamagedModelError) throw unusable(error.message);
    throw error;
  }
  if (champion !== undefined && !versions.includes(champion)) {
    throw new TrainInputError(
      `${printablePath(join(modelDir, ALIASES_FILE))} names ${printable(champion)} as the champion, ` +
        `but ${printablePath(modelDir)} has no such version.`
    );
  }
  const version = champion ?? versions[versions.length - 1];
  let stored: StoredModel<RegistryManifest>;
  try {
    stored = await loadModel<RegistryManifest>(dir, name, version);
  } catch (error) {
    if (error instanceof DamagedModelError) throw unusable(error.message);
    // The manifest is written last: without one, the training run never finished.
    if (error instanceof ModelNotFoundError) throw unusable(`${join(modelDir, version)} has no ${MANIFEST_FILE}`);
    throw error;
  }
  const kind: unknown = stored.manifest.kind;
  if (typeof kind === 'string' && kind !== TEXT_CLASSIFIER_KIND) {
    skip(`skipping model ${printable(name)} (${printable(kind)}): predict runs text classifiers only`);
    return undefined;
  }
  const problem = textClassifierManifestProblem(stored.manifest);
  if (problem) throw unusable(`${join(stored.dir, MANIFEST_FILE)} ${problem}`);
  const manifest = stored.manifest as ModelManifest;
  try {
    return await OnnxClassifier.load(stored.onnx, manifest);
  } catch (error) {
    // onnxruntime's protobuf parser, or a featurizer of another nocai version.
    const reason = printable(error instanceof Error ? error.message : String(error));
    throw unusable(`${join(stored.dir, MODEL_FILE)} cannot be loaded (${reason})`);
  }
}

/** Every text classifier in `dir` at its champion, or its newest version when it has none. */
export async function loadClassifiers(
  dir: string,
  skip: (note: string) => void = () => undefined
): Promise<OnnxClassifier[]> {
  const names = await listModels(dir);
  if (names.length === 0) throw new TrainInputError(await noModelsMessage(dir));
  const classifiers: OnnxClassifier[] = [];
  for (const name of names) {
    const classifier = await loadClassifier(dir, name, skip);
    if (classifier) classifiers.push(classifier);
  }
  if (classifiers.length === 0) {
    throw new TrainInputError(
      `${printablePath(dir)} holds no text classifier (${listed(names.map((n) => printable(n)))} ` +
        `${names.length > 1 ? 'are models' : 'is a model'} of another kind).`
    );
  }
  return classifiers;
}

/**
 * The CSV `nocai predict` writes for `table`: the input's rows in order, each followed by
 * `<model>` and `<model>_confidence` for every model (prefixed `predicted_` where the input
 * already has such a column, e.g. when predicting on the history itself). The models are loaded
 * by the caller, so that the bench can time loading and predicting apart.
 */
export async function predictTable(
  table: Table,
  classifiers: readonly OnnxClassifier[],
  flags: Pick<PredictFlags, 'text' | 'id'>
): Promise<string> {
  const kept = flags.id ? [flags.id] : table.columns;
  const outputName = (name: string) => (table.columns.includes(name) ? `predicted_${name}` : name);
  const header = [
    ...kept,
    ...classifiers.flatMap((c) => [outputName(c.manifest.name), `${outputName(c.manifest.name)}_confidence`]),
  ];
  // Probabilities straight from onnxruntime as one matrix, argmax here: no per-row objects for a file of a million rows.
  // One empty context for every row: an object less per row (context is read, never written).
  const noContext: Readonly<Record<string, string>> = {};
  const inputs = table.rows.map((row) => ({
    // The user names the text columns of this file; they may differ from the training file's.
    text: flags.text.length === 1 ? (row[flags.text[0]] ?? '') : flags.text.map((c) => row[c] ?? '').join(' '),
    context: noContext,
  }));
  const predictions: Array<{ labels: readonly string[]; best: Int32Array; confidence: Float32Array }> = [];
  for (const classifier of classifiers) {
    const labels = classifier.manifest.labels;
    const hasContext = classifier.manifest.inputs.contextColumns.length > 0;
    const P = await classifier.probabilityMatrix(
      hasContext ? inputs.map((input, i) => ({ ...input, context: classifier.inputOf(table.rows[i]).context })) : inputs
    );
    const C = labels.length;
    const best = new Int32Array(table.rows.length);
    const confidence = new Float32Array(table.rows.length);
    for (let r = 0; r < table.rows.length; r++) {
      let k = 0;
      for (let j = 1; j < C; j++) if (P[r * C + j] > P[r * C + k]) k = j;
      best[r] = k;
      confidence[r] = P[r * C + k];
    }
    predictions.push({ labels, best, confidence });
  }
  // Each label's field once, not a regex test per row; the input's own cells still go through csvField.
  const labelFields = predictions.map((p) => p.labels.map((label) => csvField(label)));
  const lines: string[] = new Array<string>(table.rows.length + 1);
  lines[0] = toCsvRow(header);
  for (let i = 0; i < table.rows.length; i++) {
    const row = table.rows[i];
    let line = kept.length > 0 ? csvField(row[kept[0]] ?? '') : '';
    for (let c = 1; c < kept.length; c++) line += `,${csvField(row[kept[c]] ?? '')}`;
    for (let m = 0; m < predictions.length; m++) {
      const p = predictions[m];
      const fields = `${labelFields[m][p.best[i]]},${confidenceText(p.confidence[i])}`;
      line = kept.length > 0 || m > 0 ? `${line},${fields}` : fields;
    }
    lines[i + 1] = line;
  }
  return `${lines.join('\n')}\n`;
}

/** `x.toFixed(4)` for the 10,001 values it can print for a probability, each made when first met. */
const FIXED_4: Array<string | undefined> = new Array<string | undefined>(10_001).fill(undefined);

/**
 * A confidence as predict writes it: `x.toFixed(4)` as a CSV field, the same characters without
 * a toFixed call per row. For a float32 `x` (a probability from the graph), x × 10^4 is exact in
 * a double (24 + 14 significant bits), so Math.round picks the integer toFixed picks: the nearest,
 * and the larger on a tie (x = 0.03125 prints 0.0313). Checked against toFixed(4) for every
 * float32 in [0, 1] once (issue 9); the tests keep the ties and their neighbours.
 */
export function confidenceText(x: number): string {
  if (x >= 0 && x <= 1 && Math.fround(x) === x) {
    const n = Math.round(x * 10_000);
    return (FIXED_4[n] ??= (n / 10_000).toFixed(4));
  }
  return csvField(x.toFixed(4));
}

/** `nocai predict`: the input file through every text classifier of the model folder (see predictTable). */
export async function runPredict(flags: PredictFlags, io: CommandIo): Promise<number> {
  try {
    const table = await readTableFile(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    checkColumns(table, [...flags.text, ...(flags.id ? [flags.id] : [])], flags.input);
    // Checked before the models are loaded: the text is what the featurizer would blow up on.
    checkCellLengths(table, flags.text, flags.maxCellChars ?? DEFAULT_MAX_CELL_CHARS, flags.input);
    const classifiers = await loadClassifiers(flags.model, (note) => io.stderr(`nocai predict: ${note}\n`));
    const contextColumns = [...new Set(classifiers.flatMap((c) => c.manifest.inputs.contextColumns))];
    const absentContext = contextColumns.filter((c) => !table.columns.includes(c));
    if (absentContext.length > 0) {
      io.stderr(
        `nocai predict: ${printablePath(flags.input)} lacks the context ` +
          `${absentContext.length === 1 ? 'column' : 'columns'} ${absentContext.join(', ')}; ` +
          `predicting without ${absentContext.length === 1 ? 'it' : 'them'}\n`
      );
    }
    io.stdout(await predictTable(table, classifiers, flags));
    await Promise.all(classifiers.map((c) => c.close()));
    return 0;
  } catch (error) {
    if (isInputError(error)) {
      io.stderr(`nocai predict: ${inputErrorMessage(error)}\n`);
      return 2;
    }
    throw error;
  }
}

export function registerPredict(program: Command): void {
  withInputLimits(
    program
      .command('predict')
      .requiredOption('--model <dir>', 'folder written by nocai train --out')
      .requiredOption('--input <file>', 'rows to classify: .csv with a header row, or .jsonl')
      .addOption(
        new Option(
          '--text <columns>',
          'text column(s), comma-separated (text models; without it, the tabular models)'
        ).argParser(columnList)
      )
      .option('--id <column>', 'repeat only this input column (default: all of them)')
  )
    .addHelpText(
      'after',
      '\nExample:\n  nocai predict --model models/ --input new-tickets.csv --text title,description > routed.csv'
    )
    .action(async (_options: unknown, command: Command) => {
      const { text, ...flags } = command.opts<Omit<PredictFlags, 'text'> & { text?: string[] }>();
      // Text classifiers with --text; the folder's tabular models (issue 10) without.
      process.exitCode =
        text === undefined
          ? await runTabularPredictCommand(flags)
          : await runPredict(
              { ...flags, text },
              {
                stdout: (out) => process.stdout.write(out),
                stderr: (out) => process.stderr.write(out),
              }
            );
    });
}
