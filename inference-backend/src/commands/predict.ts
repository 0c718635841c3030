import { Option } from 'commander';
import type { Command } from 'commander';
import { access } from 'node:fs/promises';
import { readTableFile, toCsvRow } from '../adapters/files/csv';
import { OnnxClassifier } from '../adapters/onnx/onnxClassifier';
import { listModels, loadModel, readAliases } from '../adapters/registry/modelRegistry';
import { columnList, TrainInputError } from './train';
import type { CommandIo } from './train';

export interface PredictFlags {
  model: string;
  input: string;
  text: string[];
  /** Only this column of the input is repeated in the output; all of them when absent. */
  id?: string;
}

/** Every model in `dir` at its champion, or its newest version when it has none. */
export async function loadClassifiers(dir: string): Promise<OnnxClassifier[]> {
  const names = await listModels(dir);
  if (names.length === 0)
    throw new TrainInputError(`${dir} holds no models (train some with nocai train --out ${dir}).`);
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
    try {
      await access(flags.input);
    } catch {
      throw new TrainInputError(`cannot read ${flags.input}: no such file.`);
    }
    const table = await readTableFile(flags.input);
    const classifiers = await loadClassifiers(flags.model);
    const contextColumns = [...new Set(classifiers.flatMap((c) => c.manifest.inputs.contextColumns))];
    const missing = [...flags.text, ...(flags.id ? [flags.id] : [])].filter((c) => !table.columns.includes(c));
    if (missing.length > 0) {
      throw new TrainInputError(
        `${flags.input} has no column ${missing.map((c) => `"${c}"`).join(', ')}; its columns are ${table.columns.join(', ')}.`
      );
    }
    const absentContext = contextColumns.filter((c) => !table.columns.includes(c));
    if (absentContext.length > 0) {
      io.stderr(
        `nocai predict: ${flags.input} lacks context column(s) ${absentContext.join(', ')}; predicting without them\n`
      );
    }
    const kept = flags.id ? [flags.id] : table.columns;
    const outputName = (name: string) => (table.columns.includes(name) ? `predicted_${name}` : name);
    const header = [
      ...kept,
      ...classifiers.flatMap((c) => [outputName(c.manifest.name), `${outputName(c.manifest.name)}_confidence`]),
    ];
    const predictions = await Promise.all(
      classifiers.map((classifier) =>
        classifier.predict(
          table.rows.map((row) => ({
            // The user names the text columns of this file; they may differ from the training file's.
            text: flags.text.map((c) => row[c] ?? '').join(' '),
            context: classifier.inputOf(row).context,
          }))
        )
      )
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
    if (error instanceof TrainInputError) {
      io.stderr(`nocai predict: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify the rows of a CSV or JSON Lines file with the models of a folder (CSV on stdout)')
    .requiredOption('--model <dir>', 'folder written by nocai train --out')
    .requiredOption('--input <file>', 'rows to classify: .csv with a header row, or .jsonl')
    .addOption(
      new Option('--text <columns>', 'text column(s), comma-separated').argParser(columnList).makeOptionMandatory()
    )
    .option('--id <column>', 'repeat only this input column (default: all of them)')
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
