#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { errnoCode, InputFileError, printable } from './adapters/files/csv';

interface CommandEntry {
  name: string;
  /** Its line in `nocai --help` and the first line of its own help. */
  description: string;
  /** Adds the command, with its options, help and action, to `program`: this loads its module. */
  register: (program: Command) => void;
}

/*
 * The commands, in the order `nocai --help` lists them. A command's module, and with it what the
 * command needs (onnxruntime, the InfluxDB client, the simulator, zod), is loaded only when the
 * command line names that command: `nocai --help` loads none, `nocai templates` only the miner.
 * `require` rather than `import()` keeps buildProgram synchronous; `typeof import` keeps the types.
 */
const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    description: 'run the inference backend: the pipeline over Telegraf data and the HTTP API',
    register: (program) => (require('./commands/serve') as typeof import('./commands/serve')).registerServe(program),
  },
  {
    name: 'simulate',
    description:
      'generate a NOC: inventory, Telegraf-shaped telemetry with injected incidents, ground truth and ticket history',
    register: (program) =>
      (require('./commands/simulate') as typeof import('./commands/simulate')).registerSimulate(program),
  },
  {
    name: 'demo',
    description:
      'run the demo: private InfluxDB (or INFLUX_URL), a simulated week triaged by the backend, then the live simulator',
    register: (program) => (require('./commands/demo') as typeof import('./commands/demo')).registerDemo(program),
  },
  {
    name: 'train',
    description:
      'train text classifiers, or a tabular target (--target), from a CSV or JSON Lines file and export to ONNX',
    register: (program) => (require('./commands/train') as typeof import('./commands/train')).registerTrain(program),
  },
  {
    name: 'setup',
    description: 'train the default models (and their training corpus) into a folder, once, for nocai serve',
    register: (program) => (require('./commands/setup') as typeof import('./commands/setup')).registerSetup(program),
  },
  {
    name: 'predict',
    description: 'predict the rows of a CSV or JSON Lines file with the models of a folder (CSV on stdout)',
    register: (program) =>
      (require('./commands/predict') as typeof import('./commands/predict')).registerPredict(program),
  },
  {
    name: 'templates',
    description: 'mine log templates: line,template_id,template for each line of a log file (CSV on stdout)',
    register: (program) =>
      (require('./commands/templates') as typeof import('./commands/templates')).registerTemplates(program),
  },
  {
    name: 'forecast',
    description: 'forecast each series of a series,t,value CSV: series,t,forecast,lower,upper on stdout',
    register: (program) =>
      (require('./commands/forecast') as typeof import('./commands/forecast')).registerForecast(program),
  },
  {
    name: 'anomalies',
    description: 'score each row of a timestamp,value CSV for anomalies: timestamp,value,anomaly_score on stdout',
    register: (program) =>
      (require('./commands/anomalies') as typeof import('./commands/anomalies')).registerAnomalies(program),
  },
  {
    name: 'labels',
    description:
      "export operators' verdicts (valid, invalid, avoided) and routing corrections with their tickets as training rows",
    register: (program) => (require('./commands/labels') as typeof import('./commands/labels')).registerLabels(program),
  },
  {
    name: 'models',
    description: 'the model registry: list, show, promote, roll back and archive versions (changes are audited)',
    register: (program) => (require('./commands/models') as typeof import('./commands/models')).registerModels(program),
  },
  {
    name: 'problems',
    description:
      'predictive alert problems: list or check their definitions, train one on its series in InfluxDB (AutoML)',
    register: (program) =>
      (require('./commands/problems') as typeof import('./commands/problems')).registerProblems(program),
  },
  {
    name: 'report',
    description:
      'write the model performance report of a time range (models, drift, alerts and verdicts) as one HTML file',
    register: (program) => (require('./commands/report') as typeof import('./commands/report')).registerReport(program),
  },
  {
    name: 'audit',
    description: 'check the audit trail of every change (verify) or list its entries (list)',
    register: (program) => (require('./commands/audit') as typeof import('./commands/audit')).registerAudit(program),
  },
  {
    name: 'tokens',
    description: 'API tokens for clients (ITSM, scripts, Grafana): create (secret shown once), list, revoke; audited',
    register: (program) => (require('./commands/tokens') as typeof import('./commands/tokens')).registerTokens(program),
  },
];

/**
 * The command that `args` (the words after `nocai`) runs or asks help for (`nocai help train`);
 * undefined when they name none. `nocai` itself takes no option with a value, so the first word
 * that is not an option is the command.
 */
function commandNamed(args: readonly string[]): string | undefined {
  const operands = args.filter((arg) => !arg.startsWith('-'));
  return operands[0] === 'help' ? operands[1] : operands[0];
}

/**
 * The `nocai` program. Given `args` (the words after `nocai`), only the command they name is
 * registered in full, the others by name and description (enough for `nocai --help` and for
 * commander's "did you mean"); without, every command is registered in full.
 * Exit codes: 0 ok, 1 runtime failure (InfluxDB unreachable, ...), 2 bad usage or configuration.
 */
export function buildProgram(args?: readonly string[]): Command {
  const program = new Command()
    .name('nocai')
    .description('NOC AI for Grafana: classify, triage and forecast from Telegraf data in InfluxDB')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const wanted = args && commandNamed(args);
  for (const entry of COMMANDS) {
    if (args === undefined || entry.name === wanted) entry.register(program);
    else program.command(entry.name);
    program.commands.find((command) => command.name() === entry.name)?.description(entry.description);
  }
  return program;
}

/**
 * Errors of bad usage or configuration (exit code 2), by name: ConfigError lives in a module that
 * only the commands that read the configuration load.
 */
const BAD_USAGE_ERRORS: ReadonlySet<string> = new Set(['ConfigError', 'InputFileError']);
/** Errors whose message says it all, even with LOG_LEVEL=debug. */
const QUIET_ERRORS: ReadonlySet<string> = new Set([...BAD_USAGE_ERRORS, 'StartupError']);

export async function runCli(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  try {
    await buildProgram(args).parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help).
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    // Messages may quote files, URLs and data: control bytes are escaped so the terminal shows text only.
    const message = printable(error instanceof Error ? error.message : String(error), Number.POSITIVE_INFINITY);
    process.stderr.write(`nocai: ${message}\n`);
    const name = error instanceof Error ? error.name : '';
    process.exitCode = error instanceof InputFileError || BAD_USAGE_ERRORS.has(name) ? 2 : 1;
    if (!QUIET_ERRORS.has(name) && process.env.LOG_LEVEL === 'debug') {
      process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    }
  }
}

/** Why standard output took no more, in words. */
function outputFailure(error: unknown): string {
  switch (errnoCode(error)) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    case 'EBADF':
      return 'it is closed';
    case 'EIO':
      return 'an input/output error';
    default:
      return errnoCode(error) ?? printable(String(error));
  }
}

/** `nocai` as a program: what `node dist/cli.js` and the `nocai` bin run. */
export function main(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // `nocai templates … | head` closes the pipe early: that is the reader's choice, not an error.
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // A full disk or a closed descriptor: one sentence and exit code 1, not a stack trace.
    process.stderr.write(`nocai: cannot write to standard output: ${outputFailure(error)}.\n`);
    process.exit(1);
  });
  // Nowhere is left to report a failing standard error; the exit code still tells.
  process.stderr.on('error', () => undefined);
  void runCli(process.argv);
}

if (require.main === module) main();
