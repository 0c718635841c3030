import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_INPUT_DATABASE, DEFAULT_OUTPUT_DATABASE } from '@nocai/contract';
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
import type { ProblemSeriesSource } from '../domain/problems/ports';
import type { ProblemTrainingResult } from '../services/problemTraining';
import { ProblemService } from '../services/problemService';
import type { ProblemServiceDeps } from '../services/problemService';
import { processIo } from './commandInput';
import type { CommandIo } from './commandInput';
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
    `  threshold ${figure(result.threshold)} (${r.threshold.policy.policy}${r.threshold.met ? '' : ', target not reachable: best F1'}): ` +
      `precision ${figure(v.atThreshold.precision)}, recall ${figure(v.atThreshold.recall)}; ` +
      `${lead.warned}/${lead.events} events warned, median lead ${lead.medianMinutes === null ? 'n/a' : `${Math.round(lead.medianMinutes)} min`}`,
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

export function registerProblems(program: Command): void {
  const problems = program.command('problems');
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
