import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { PointSink } from '../domain/series';
import { generateInventory, runBackfill } from '../simulator';
import { hasDefaultModels, trainDefaultModelSet } from './defaultModels';
import { describeProgress, openTruthFiles, recordLabelledLines, writeSimulationFiles } from './simulate';

/** Days of simulated syslog the line classifiers are trained on (the demo trains on its backfill, 7 days). */
const LINE_CORPUS_DAYS = 7;

interface SetupFlags {
  dir: string;
  seed: number;
  force: boolean;
}

/**
 * What `nocai serve` needs before its first start, prepared once: the default models trained
 * from a simulated training corpus (a year of ticket history, labelled lines) into
 * `<dir>/models`, with the corpus kept in `<dir>/training`. Idempotent: with every champion
 * present it does nothing, so the compose stack runs it at every start.
 */
export async function runSetup(flags: SetupFlags, say: (text: string) => void): Promise<void> {
  const dir = resolve(flags.dir);
  const modelsDir = join(dir, 'models');
  if (!flags.force && (await hasDefaultModels(modelsDir))) {
    say(`the default models are in ${modelsDir}: nothing to do (--force retrains them)`);
    return;
  }
  const trainingDir = join(dir, 'training');
  say(`writing the training corpus (simulated inventory and a year of ticket history) to ${trainingDir}…`);
  const inventory = generateInventory({ seed: flags.seed, sites: 4 });
  const endMs = Date.now();
  const files = await writeSimulationFiles(trainingDir, { seed: flags.seed, inventory }, endMs, 365);
  say(`${files.tickets.toLocaleString('en-US')} historical tickets`);
  // The line classifiers learn from a week of simulated syslog with its true labels; the points
  // themselves are not needed here, only the labelled lines recorded on the way.
  const discard: PointSink = { write: async () => undefined, flush: async () => undefined, close: async () => undefined };
  const recording = await recordLabelledLines(trainingDir, inventory, discard, await openTruthFiles(trainingDir));
  const lines = await runBackfill(
    { seed: flags.seed, inventory, days: LINE_CORPUS_DAYS, endUs: endMs * 1000, truth: recording.truth },
    recording.sink,
    (p) => say(describeProgress(p).trim())
  );
  await recording.truth.close();
  say(`${lines.syslogLines.toLocaleString('en-US')} labelled syslog lines`);
  await trainDefaultModelSet(trainingDir, modelsDir, say);
  say(`done: set NOCAI_MODELS_DIR=${modelsDir} for nocai serve`);
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .requiredOption('--dir <path>', 'state folder: models go to <dir>/models, the corpus to <dir>/training')
    .option(
      '--seed <n>',
      'simulator seed of the training corpus',
      (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--seed must be an integer ≥ 0.');
        return n;
      },
      42
    )
    .option('--force', 'retrain even when every champion is present', false)
    .action((flags: SetupFlags) => runSetup(flags, (text) => process.stderr.write(`setup: ${text}\n`)));
}
