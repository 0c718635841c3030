import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { MAX_WINDOW } from '../domain/mlops/tabularFeatures';
import type { TabularTask } from '../domain/mlops/tabularModel';
import { columnList, processIo } from './commandInput';
import type { CommandIo } from './commandInput';
import type { TabularTrainFlags } from './trainTabular';
import type { TabularPredictFlags } from './predictTabular';

/**
 * The flags of tabular targets (issue 10) on `nocai train` and the dispatch of `nocai train` and
 * `nocai predict` to them. Kept apart from the trainer so that registering the commands loads
 * neither the trainer nor onnxruntime.
 */

export const TASKS: readonly TabularTask[] = ['regression', 'classification'];

export function parseTask(value: string): TabularTask {
  const task = TASKS.find((t) => t === value);
  if (!task) throw new InvalidArgumentError(`--task is regression or classification, not "${value}".`);
  return task;
}

/** `--windows 5,10,20`: whole numbers of rows from 2 to MAX_WINDOW. */
export function parseWindows(value: string): number[] {
  const windows = value.split(',').map((w) => w.trim());
  const bad = windows.find((w) => !/^\d+$/.test(w) || Number(w) < 2 || Number(w) > MAX_WINDOW);
  if (bad !== undefined) {
    throw new InvalidArgumentError(
      `--windows takes whole numbers of rows from 2 to ${MAX_WINDOW}, comma-separated; "${bad}" is not one.`
    );
  }
  return [...new Set(windows.map(Number))].sort((a, b) => a - b);
}

/** What commander hands over for the tabular flags (all optional: they share `nocai train`). */
export interface TabularTrainOptionValues {
  target?: string;
  task?: TabularTask;
  features?: string[];
  categorical?: string[];
  group?: string;
  order?: string;
  windows?: number[];
  normalizeBy?: string;
  segment?: string;
  positive?: string;
}

const TABULAR_HELP = `
Tabular target (--target instead of --text): one model per run, named after the target column.
--features lists the input columns (numeric, or categorical: one-hot of the 50 most frequent
levels; names may contain spaces and brackets, not commas). With --group and --order, --windows
adds for every numeric feature the mean, std, min, max and slope of the last w rows of the group
up to and including the row. 3-fold cross-validation (group folds with --group, time-ordered with
--order alone) chooses between gradient-boosted trees and a linear baseline (ridge or logistic
regression), and whether to z-score the numeric features within each level of --normalize-by.
Classes get calibrated probabilities; numbers get a P10–P90 interval (split-conformal offsets of
out-of-fold residuals). OUT/report.json has held-out figures, per level of --segment too.
With two classes, predict writes <target>_probability: the probability of --positive, by
default of 1, true or yes against 0, false or no, else of the rarer class; train says which.
A class target of more than 50 distinct values is refused before training (exit code 2).
A --features column empty in every row is refused (exit code 2); one holding a single value is
left out of the model, and predict does not ask for it. Too few rows to cross-validate and hold
out (6 training rows besides the 20% held out; 3 rows of each of 2 classes) are refused. Rows
with no target (empty, NA, N/A, NaN, null, None) are not learned from and are counted on stderr.

Example:
  nocai train --history train.csv --target RUL --features "cycle,s2,s3,s4" --group unit \\
    --order cycle --windows 5,10,20 --out models/
  nocai predict --model models/ --input test.csv > predicted.csv`;

/** Adds the tabular flags to `nocai train`. */
export function addTabularTrainOptions(command: Command): Command {
  return command
    .option('--target <column>', 'train a tabular model that predicts this column (instead of --text)')
    .addOption(new Option('--task <task>', 'regression or classification (default: inferred)').argParser(parseTask))
    .addOption(new Option('--features <columns>', 'input columns of --target, comma-separated').argParser(columnList))
    .addOption(
      new Option('--categorical <columns>', 'features read as categories even if they hold numbers').argParser(
        columnList
      )
    )
    .option('--group <column>', 'rows of one entity (an engine, a device): windows and CV folds per group')
    .option('--order <column>', 'order of the rows within a group (numbers or ISO 8601 times)')
    .addOption(
      new Option('--windows <rows>', 'rolling windows in rows, comma-separated (e.g. 5,10,20)').argParser(parseWindows)
    )
    .option('--normalize-by <column>', 'let the CV z-score numeric features within each level of this column')
    .option('--segment <column>', 'held-out figures per level of this column in report.json')
    .option(
      '--positive <class>',
      'two classes: the one whose probability predict writes (default: yes/1/true, else the rarer)'
    )
    .addHelpText('after', TABULAR_HELP);
}

/** The flags of `nocai train` that text and tabular targets share. */
interface SharedTrainOptions {
  history: string;
  out: string;
  seed: number;
  quiet?: boolean;
  maxInputMb?: number;
  champion?: boolean;
  margin?: number;
}

/** Text-model flags that make no sense with --target. */
const TEXT_ONLY = ['text', 'label', 'department', 'priority', 'context', 'time'] as const;
/** Tabular flags that need --target. */
const TABULAR_ONLY = [
  'task',
  'features',
  'categorical',
  'group',
  'order',
  'windows',
  'normalizeBy',
  'segment',
  'positive',
] as const;
/** Whether any flag of a tabular target is given (they make no sense for text models). */
export function tabularFlagsGiven(options: TabularTrainOptionValues): boolean {
  return TABULAR_ONLY.some((key) => options[key] !== undefined);
}
const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * `nocai train --target …`: checks that the flags belong together and runs the tabular trainer.
 * Returns the exit code.
 */
export async function runTabularTrainCommand(
  options: TabularTrainOptionValues & SharedTrainOptions & Partial<Record<(typeof TEXT_ONLY)[number], unknown>>,
  io: CommandIo = processIo
): Promise<number> {
  const fail = (sentence: string) => {
    io.stderr(`nocai train: ${sentence}\n`);
    return 2;
  };
  const { target, features } = options;
  if (target === undefined) {
    const stray = TABULAR_ONLY.filter((key) => options[key] !== undefined).map(flagName);
    return fail(
      stray.length > 0
        ? `${stray.join(', ')} ${stray.length > 1 ? 'need' : 'needs'} --target COLUMN.`
        : 'give --text COLUMNS for text models, or --target COLUMN and --features COLUMNS for a tabular one.'
    );
  }
  const mixed = TEXT_ONLY.filter((key) => options[key] !== undefined).map(flagName);
  if (mixed.length > 0) {
    const verb = mixed.length > 1 ? 'belong' : 'belongs';
    return fail(
      `--target trains a tabular model; ${mixed.join(', ')} ${verb} to text models: train them in another run.`
    );
  }
  if (features === undefined) return fail('--target needs --features COLUMNS: the columns to predict it from.');
  if (options.windows && !options.order && !options.group) {
    return fail(
      '--windows needs --order (and --group when rows come from several entities): windows follow the rows in order.'
    );
  }
  const flags: TabularTrainFlags = { ...options, target, features };
  const { runTrainTabular } = require('./trainTabular') as typeof import('./trainTabular');
  return runTrainTabular(flags, io);
}

/** `nocai predict` without --text: the tabular models of the folder. */
export async function runTabularPredictCommand(flags: TabularPredictFlags, io: CommandIo = processIo): Promise<number> {
  const { runPredictTabular } = require('./predictTabular') as typeof import('./predictTabular');
  return runPredictTabular(flags, io);
}
