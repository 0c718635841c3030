import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  DEFAULT_INPUT_DATABASE,
  DEFAULT_OUTPUT_DATABASE,
  durationMs,
  PROBLEM_CANDIDATES,
  plural,
} from '@nocai/contract';
import type { ProblemCandidate } from '@nocai/contract';
import { FileAuditTrail } from '../adapters/audit/fileAuditTrail';
import { errnoCode, printable, printablePath } from '../adapters/files/csv';
import { parseProblemYaml, ProblemStore } from '../adapters/files/problemStore';
import { InfluxClient } from '../adapters/influx/client';
import { InfluxProblemSeries } from '../adapters/influx/problemSeries';
import type { AuditSink } from '../domain/audit/audit';
import {
  ProblemConflictError,
  ProblemDataError,
  ProblemDefinitionError,
  ProblemNotFoundError,
} from '../domain/problems/errors';
import { formatLead } from '../domain/problems/evaluation';
import type { ProblemSeriesSource } from '../domain/problems/ports';
import type { ProblemTrainingResult } from '../services/problemTraining';
import { ProblemService } from '../services/problemService';
import type { ProblemServiceDeps } from '../services/problemService';
import { columnList, positiveInteger, processIo } from './commandInput';
import type { CommandIo } from './commandInput';
import type { ProblemsPredictFileFlags, ProblemsTrainFileFlags } from './problemsFile';
import { parseWindows } from './tabularFlags';
import { withInfluxCredentials } from './influxOptions';

/**
 * `nocai problems`: predictive alert problems (issue 12) from the command line — list the
 * definitions of a folder, check a YAML file, and train a problem on its series in InfluxDB into
 * the model registry, with progress on stderr and a summary on stdout. Exit codes: 0, 2 for a
 * definition or data the user must fix (with one sentence naming the field), 1 at run time.
 */

export interface ProblemsTrainFlags {
  dir: string;
  models: string;
  stateDir: string;
  influxUrl: string;
  database: string;
  outputDatabase: string;
  token?: string;
  username?: string;
  password?: string;
  quiet?: boolean;
}

/** A refusal the user fixes in the definition, its folder or the data: exit code 2. */
function isRefusal(error: unknown): error is Error {
  return (
    error instanceof ProblemDataError ||
    error instanceof ProblemDefinitionError ||
    error instanceof ProblemNotFoundError ||
    error instanceof ProblemConflictError
  );
}

function cliActor(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid).
    return process.env.USER ?? 'unknown';
  }
}

const figure = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));

/** What a person reads after training: the winner, the validation figures against the baselines, the alert. */
export function trainingSummary(result: ProblemTrainingResult): string {
  const r = result.report;
  const v = r.validation;
  const lead = v.leadTime;
  const lines = [
    `${r.problem}: ${result.model} ${result.version} (${result.alias}), ${r.winner.candidate}: ${r.winner.spec}`,
    `  events: ${r.events.training} in training, ${r.events.validation} in validation; rows ${r.rows.training} / ${r.rows.validation}`,
    `  candidates (validation PR-AUC): ${r.candidates.map((c) => `${c.candidate} ${figure(c.validation.prAuc)}`).join(', ')}`,
    `  validation PR-AUC ${figure(v.prAuc)} (no skill ${figure(v.noSkillPrAuc)}, best single series ` +
      `${v.bestSingleSeries.feature} ${figure(v.bestSingleSeries.prAuc)}), ROC-AUC ${figure(v.rocAuc)}`,
    `  threshold ${figure(result.threshold)} (${r.threshold.policy.policy}${r.threshold.reason ? `; ${r.threshold.reason}` : ''}): ` +
      `precision ${figure(v.atThreshold.precision)}, recall ${figure(v.atThreshold.recall)}; ` +
      `${plural(lead.events, 'event', { shown: `${lead.warned}/${lead.events}` })} warned, median lead ${formatLead(lead)}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function runProblemsTrain(
  name: string,
  flags: ProblemsTrainFlags,
  io: CommandIo = processIo,
  deps: { audit?: AuditSink; source?: ProblemSeriesSource; grids?: ProblemServiceDeps['grids'] } = {}
): Promise<number> {
  try {
    const source =
      deps.source ??
      new InfluxProblemSeries(
        new InfluxClient({
          url: flags.influxUrl,
          token: flags.token,
          username: flags.username,
          password: flags.password,
        }),
        flags.database,
        flags.outputDatabase
      );
    const service = new ProblemService({
      store: new ProblemStore(flags.dir),
      source,
      registryDir: flags.models,
      audit: deps.audit ?? FileAuditTrail.inStateDir(flags.stateDir),
      ...(deps.grids ? { grids: deps.grids } : {}),
    });
    const result = await service.train(name, { actor: cliActor(), role: 'admin', from: 'cli' }, (message) => {
      if (!flags.quiet) io.stderr(`train: ${printable(message, 500)}\n`);
    });
    io.stdout(trainingSummary(result));
    return 0;
  } catch (error) {
    if (isRefusal(error)) {
      io.stderr(`nocai problems train: ${printable(error.message, Number.POSITIVE_INFINITY)}\n`);
      return 2;
    }
    throw error;
  }
}

async function runList(dir: string, io: CommandIo): Promise<number> {
  // A mistyped --dir would otherwise list nothing and succeed, as an empty folder does.
  const info = await stat(dir).catch((error: unknown) => errnoCode(error) ?? String(error));
  if (typeof info === 'string' || !info.isDirectory()) {
    const why =
      info === 'ENOENT' ? 'does not exist' : typeof info === 'string' ? `cannot be read (${info})` : 'is a file';
    io.stderr(
      `nocai problems: ${printablePath(dir)} ${why}; give the folder of problem definitions with --dir (or NOCAI_PROBLEMS_DIR).\n`
    );
    return 2;
  }
  const { problems, invalid } = await new ProblemStore(dir).list();
  for (const p of problems) {
    const d = p.definition;
    io.stdout(`${d.name}\tv${p.version}\t${d.event.kind}\thorizon ${d.horizon}\t${d.department} ${d.priority}\n`);
  }
  for (const bad of invalid) io.stderr(`nocai problems: ${printable(bad.message, 500)}\n`);
  return invalid.length > 0 ? 2 : 0;
}

async function runValidate(file: string, io: CommandIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.stderr(`nocai problems validate: cannot read ${printablePath(file)}: ${errnoCode(error) ?? String(error)}\n`);
    return 2;
  }
  try {
    const definition = parseProblemYaml(text, basename(file));
    io.stdout(`${basename(file)}: problem ${definition.name} is valid\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ProblemDefinitionError)) throw error;
    io.stderr(`nocai problems validate: ${printable(error.message, Number.POSITIVE_INFINITY)}\n`);
    return 2;
  }
}

/** `--horizon 30` (the time column's unit) or `--horizon 2h` (ISO times: milliseconds). */
function parseHorizon(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : durationMs(value.trim());
  // 0 would label nothing ahead and purge nothing: a row's label could read the validation rows.
  if (n === undefined || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(
      `--horizon is a number above 0 in the time column's unit (30) or a duration such as 2h for ISO times, not "${value}".`
    );
  }
  return n;
}

function parseCandidates(value: string): ProblemCandidate[] {
  const list = columnList(value);
  const unknown = list.find((c) => !(PROBLEM_CANDIDATES as readonly string[]).includes(c));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(`--candidates takes ${PROBLEM_CANDIDATES.join(', ')}; "${unknown}" is not one.`);
  }
  return list as ProblemCandidate[];
}

const probability = (name: string, max: number) => (value: string) => {
  const p = Number(value);
  if (!(p > 0 && p <= max))
    throw new InvalidArgumentError(`${name} is a probability above 0 and ${max < 1 ? 'below' : 'at most'} 1.`);
  return p;
};

const FILE_HELP = `
A problem on a table (CSV with a header, or JSONL): one row per entity and time, a 0/1 --label
column (the event within the horizon; also 1.0/0.0, true/false, yes/no), numeric inputs
(--features; default: every other column; empty, NA, N/A, NaN, null or None cells are missing).
--windows adds, per input, mean, min, max, std and slope over the last w rows of the same --group
in --time order (never a later row). The same AutoML as problems on InfluxDB: gradient-boosted
trees, logistic regression and a random forest, tuned by CV on the training rows (by entity with
--split and --group, rolling-origin in time otherwise, purged by --horizon), chosen on the
validation rows by PR-AUC, calibrated, thresholded for --precision (default 0.7) on validation.
--train-until cuts every --group at the same time; when the training rows hold no row labelled 1
(runs on their own clocks, engine cycles counted from 1, all outlive the cut), it is refused
(exit code 2): --split then puts whole runs in training or validation.

Example:
  nocai problems train-file --input engines.csv --label fails_30 --group unit --time cycle \\
    --windows 5,10,30 --split part --out models/engines
  nocai problems predict-file --model models/engines --input new_engines.csv > scored.csv`;

function registerFileCommands(problems: Command): void {
  problems
    .command('train-file')
    .description('train a problem on a table (no InfluxDB) and write model.onnx, manifest.json and report.json')
    .requiredOption('--input <file>', 'the table (CSV with a header, or .jsonl)')
    .requiredOption('--label <column>', '0/1: the event happens within the horizon after this row')
    .requiredOption('--out <folder>', 'where model.onnx, manifest.json and report.json go')
    .addOption(new Option('--features <columns>', 'input columns, comma-separated').argParser(columnList))
    .option('--time <column>', 'order of the rows within an entity (numbers or ISO 8601 times)')
    .option('--group <column>', 'the entity of a row (an engine, a host)')
    .addOption(new Option('--windows <rows>', 'rolling windows in rows, comma-separated').argParser(parseWindows))
    .option('--split <column>', 'a column whose cells are train or validation')
    .option('--train-until <time>', 'rows at or after this time validate (needs --time)')
    .addOption(
      new Option(
        '--horizon <n>',
        "how far the label looks ahead, in --time's unit (default: its longest run of 1s up to an event)"
      ).argParser(parseHorizon)
    )
    .option('--name <name>', 'the problem name in the report (default: the label column)')
    .addOption(
      new Option('--candidates <list>', 'gbt, logistic, random_forest (default: all)').argParser(parseCandidates)
    )
    .addOption(
      new Option('--precision <p>', 'alert threshold: the lowest reaching this precision on validation').argParser(
        probability('--precision', 1)
      )
    )
    .addOption(
      new Option('--threshold <p>', 'alert threshold: this fixed probability').argParser(
        probability('--threshold', 0.999999)
      )
    )
    .addOption(new Option('--folds <k>', 'CV folds').default(3).argParser(positiveInteger('--folds')))
    .addOption(new Option('--seed <n>', 'random seed').default(1).argParser(positiveInteger('--seed')))
    .addOption(
      new Option('--max-input-mb <n>', 'refuse larger input files').argParser(positiveInteger('--max-input-mb'))
    )
    .option('--quiet', 'no progress lines on stderr')
    .addHelpText('after', FILE_HELP)
    .action(async (flags: ProblemsTrainFileFlags) => {
      if ((flags.folds ?? 3) < 2) {
        process.stderr.write('nocai problems train-file: --folds must be at least 2.\n');
        process.exitCode = 2;
        return;
      }
      // Loaded here: the trainer and onnxruntime stay out of the other commands' start.
      const { runProblemsTrainFile } = require('./problemsFile') as typeof import('./problemsFile');
      process.exitCode = await runProblemsTrainFile(flags);
    });
  problems
    .command('predict-file')
    .description('probability and alert per row of a table, from a model of train-file')
    .requiredOption('--model <folder>', 'the --out folder of train-file')
    .requiredOption('--input <file>', 'the table (same input, time and group columns)')
    .addOption(
      new Option('--max-input-mb <n>', 'refuse larger input files').argParser(positiveInteger('--max-input-mb'))
    )
    .action(async (flags: ProblemsPredictFileFlags) => {
      const { runProblemsPredictFile } = require('./problemsFile') as typeof import('./problemsFile');
      process.exitCode = await runProblemsPredictFile(flags);
    });
}

export function registerProblems(program: Command): void {
  const problems = program.command('problems');
  registerFileCommands(problems);
  const dirOption = () =>
    new Option('--dir <folder>', 'the folder of problem definitions (<name>.yaml)')
      .env('NOCAI_PROBLEMS_DIR')
      .makeOptionMandatory();
  problems
    .command('list')
    .description('list the problems of a folder with their current version; invalid files are named on stderr')
    .addOption(dirOption())
    .action(async (flags: { dir: string }) => {
      process.exitCode = await runList(flags.dir, processIo);
    });
  problems
    .command('validate <file>')
    .description('check a problem definition (YAML) without saving it')
    .action(async (file: string) => {
      process.exitCode = await runValidate(file, processIo);
    });
  withInfluxCredentials(
    problems
      .command('train <name>')
      .description('train a problem on its series in InfluxDB and register the best model (champion, or challenger)')
      .addOption(dirOption())
      .addOption(
        new Option('--models <folder>', 'the models folder (the registry)')
          .env('NOCAI_MODELS_DIR')
          .makeOptionMandatory()
      )
      .addOption(
        new Option('--state-dir <folder>', "the backend's state folder, whose audit trail records the training")
          .env('NOCAI_STATE_DIR')
          .default('.state')
      )
      .addOption(
        new Option('--influx-url <url>', 'InfluxDB base URL').default('http://127.0.0.1:8086').env('INFLUX_URL')
      )
      .addOption(
        new Option('--database <name>', "Telegraf's database (inputs, threshold events)")
          .default(DEFAULT_INPUT_DATABASE)
          .env('INFLUX_INPUT_DB')
      )
      .addOption(
        new Option('--output-database <name>', "the backend's database (ticket and log-template events)")
          .default(DEFAULT_OUTPUT_DATABASE)
          .env('INFLUX_OUTPUT_DB')
      )
      .option('--quiet', 'no progress lines on stderr')
  )
    .addHelpText(
      'after',
      '\nReads the series of the problem from the start of its training period (minus its longest window) to the end of\n' +
        'its validation period, trains its candidates, and prints the winner against the no-skill and single-series\n' +
        'baselines. Example:\n  nocai problems train freezer-warm --dir problems --models models'
    )
    .action(async (name: string, flags: ProblemsTrainFlags) => {
      process.exitCode = await runProblemsTrain(name, flags);
    });
}
