#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerServe } from './commands/serve';
import { registerSimulate } from './commands/simulate';
import { registerDemo } from './commands/demo';
import { registerPredict } from './commands/predict';
import { registerTemplates } from './commands/templates';
import { registerLabels } from './commands/labels';
import { registerTrain } from './commands/train';
import { registerSetup } from './commands/setup';
import { InputFileError, printable } from './adapters/files/csv';
import { ConfigError } from './config';
import { StartupError } from './main';

/** Exit codes: 0 ok, 1 runtime failure (InfluxDB unreachable, ...), 2 bad usage or configuration. */
export function buildProgram(): Command {
  const program = new Command()
    .name('nocai')
    .description('NOC AI for Grafana: classify, triage and forecast from Telegraf data in InfluxDB')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerServe(program);
  registerSimulate(program);
  registerDemo(program);
  registerTrain(program);
  registerSetup(program);
  registerPredict(program);
  registerTemplates(program);
  registerLabels(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help).
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    // Messages may quote files, URLs and data: control bytes are escaped so the terminal shows text only.
    const message = printable(error instanceof Error ? error.message : String(error), Number.POSITIVE_INFINITY);
    process.stderr.write(`nocai: ${message}\n`);
    const badUsage = error instanceof ConfigError || error instanceof InputFileError;
    process.exitCode = badUsage ? 2 : 1;
    if (!badUsage && !(error instanceof StartupError) && process.env.LOG_LEVEL === 'debug') {
      process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    }
  }
}

if (require.main === module) {
  // `nocai templates … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  void runCli(process.argv);
}
