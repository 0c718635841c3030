import { Option } from 'commander';
import type { Command } from 'commander';
import { DEFAULT_MAX_CELL_CHARS, printablePath, readTableFile, toCsvRow } from '../adapters/files/csv';
import { OnnxClassifier } from '../adapters/onnx/onnxClassifier';
import { listModels, loadModel, readAliases } from '../adapters/registry/modelRegistry';
import {
  checkCellLengths,
  checkColumns,
  columnList,
  inputErrorMessage,
  isInputError,
  TrainInputError,
  withInputLimits,
} from './train';
import type { CommandIo } from './train';

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

/** Every model in `dir` at its champion, or its newest version when it has none. */
export async function loadClassifiers(dir: string): Promise<OnnxClassifier[]> {
  const names = await listModels(dir);
  if (names.length === 0)
    throw new TrainInputError(
      `${printablePath(dir)} holds no models (train some with nocai train --out ${printablePath(dir)}).`
    );
  const classifiers: OnnxClassifier[] = [];
  for (const name of names) {
    const alias = (await readAliases(dir, name)).champion ? 'champion' : 'latest';
    const stored = await loadModel(dir, name, alias);
    classifiers.push(await OnnxClassifier.load(stored.onnx, stored.manifest));
  }
  return classifiers;
}

/**
 * `nocai predict`: the input's rows in order, each followed by `<model>` and
 * `<model>_confidence` for every model (prefixed `predicted_` where the input already has
 * such a column, e.g. when predicting on the history itself).
 */
export async function runPredict(flags: PredictFlags, io: CommandIo): Promise<number> {
  try {
    const table = await readTableFile(flags.input, { maxInputMb: flags.maxInputMb, limitHint: '--max-input-mb' });
    checkColumns(table, [...flags.text, ...(flags.id ? [flags.id] : [])], flags.input);
    // Checked before the models are loaded: the text is what the featurizer would blow up on.
    checkCellLengths(table, flags.text, flags.maxCellChars ?? DEFAULT_MAX_CELL_CHARS, flags.input);
    const classifiers = await loadClassifiers(flags.model);
    const contextColumns = [...new Set(classifiers.flatMap((c) => c.manifest.inputs.contextColumns))];
    const absentContext = contextColumns.filter((c) => !table.columns.includes(c));
    if (absentContext.length > 0) {
      io.stderr(
        `nocai predict: ${printablePath(flags.input)} lacks context column(s) ${absentContext.join(', ')}; ` +
          'predicting without them\n'
      );
    }
    const kept = flags.id ? [flags.id] : table.columns;
    const outputName = (name: string) => (table.columns.includes(name) ? `predicted_${name}` : name);
    const header = [
      ...kept,
      ...classifiers.flatMap((c) => [outputName(c.manifest.name), `${outputName(c.manifest.name)}_confidence`]),
    ];
    // Probabilities straight from onnxruntime, argmax here: no per-row objects for a file of a million rows.
    const predictions = await Promise.all(
      classifiers.map(async (classifier) => {
        const labels = classifier.manifest.labels;
        const rows = await classifier.probabilities(
          table.rows.map((row) => ({
            // The user names the text columns of this file; they may differ from the training file's.
            text: flags.text.map((c) => row[c] ?? '').join(' '),
            context: classifier.inputOf(row).context,
          }))
        );
        return rows.map((p) => {
          let best = 0;
          for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
          return { label: labels[best], confidence: p[best] };
        });
      })
    );
    const lines = [toCsvRow(header)];
    table.rows.forEach((row, i) => {
      const values: string[] = kept.map((c) => row[c] ?? '');
      for (const p of predictions) values.push(p[i].label, p[i].confidence.toFixed(4));
      lines.push(toCsvRow(values));
    });
    io.stdout(`${lines.join('\n')}\n`);
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
      .description('classify the rows of a CSV or JSON Lines file with the models of a folder (CSV on stdout)')
      .requiredOption('--model <dir>', 'folder written by nocai train --out')
      .requiredOption('--input <file>', 'rows to classify: .csv with a header row, or .jsonl')
      .addOption(
        new Option('--text <columns>', 'text column(s), comma-separated').argParser(columnList).makeOptionMandatory()
      )
      .option('--id <column>', 'repeat only this input column (default: all of them)')
  )
    .addHelpText(
      'after',
      '\nExample:\n  nocai predict --model models/ --input new-tickets.csv --text title,description > routed.csv'
    )
    .action(async (_options: unknown, command: Command) => {
      process.exitCode = await runPredict(command.opts<PredictFlags>(), {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    });
}
