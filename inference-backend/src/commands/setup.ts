import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { plural } from '@nocai/contract';
import type { PointSink } from '../domain/series';
import { loadMaintenanceHorizonH } from '../config';
import { generateInventory, runBackfill } from '../simulator';
import { REMAINING_LIFE_CAP_H } from '../simulator/maintenanceHistory';
import { hasDefaultModels, trainDefaultModelSet } from './defaultModels';
import { describeProgress, openTruthFiles, recordLabelledLines, writeSimulationFiles } from './simulate';

/** Days of simulated syslog the line classifiers are trained on (the demo trains on its backfill, 7 days). */
const LINE_CORPUS_DAYS = 7;

interface SetupFlags {
  dir: string;
  seed: number;
  force: boolean;
  /** Hours ahead the failure model warns; absent: NOCAI_MAINTENANCE_HORIZON_H, else 24. */
  maintenanceHorizon?: number;
}

/**
 * What `nocai serve` needs before its first start, prepared once: the default models trained
 * from a simulated training corpus (a year of ticket history, labelled lines) into
 * `<dir>/models`, with the corpus kept in `<dir>/training`. Idempotent: with every champion
 * present (the failure model of the maintenance horizon included) it does nothing, so the compose
 * stack runs it at every start.
 */
export async function runSetup(flags: SetupFlags, say: (text: string) => void): Promise<void> {
  const dir = resolve(flags.dir);
  const modelsDir = join(dir, 'models');
  const horizonH = flags.maintenanceHorizon ?? loadMaintenanceHorizonH();
  if (!flags.force && (await hasDefaultModels(modelsDir, horizonH))) {
    say(`the default models are in ${modelsDir}: nothing to do (--force retrains them)`);
    return;
  }
  const trainingDir = join(dir, 'training');
  say(`writing the training corpus (simulated inventory and a year of ticket history) to ${trainingDir}…`);
  const inventory = generateInventory({ seed: flags.seed, sites: 4 });
  const endMs = Date.now();
  const files = await writeSimulationFiles(trainingDir, { seed: flags.seed, inventory }, endMs, 365);
  say(plural(files.tickets, 'historical ticket', { shown: files.tickets.toLocaleString('en-US') }));
  // The line classifiers learn from a week of simulated syslog with its true labels; the points
  // themselves are not needed here, only the labelled lines recorded on the way.
  const discard: PointSink = {
    write: async () => undefined,
    flush: async () => undefined,
    close: async () => undefined,
  };
  const recording = await recordLabelledLines(trainingDir, inventory, discard, await openTruthFiles(trainingDir));
  const lines = await runBackfill(
    { seed: flags.seed, inventory, days: LINE_CORPUS_DAYS, endUs: endMs * 1000, truth: recording.truth },
    recording.sink,
    (p) => say(describeProgress(p).trim())
  );
  await recording.truth.close();
  say(plural(lines.syslogLines, 'labelled syslog line', { shown: lines.syslogLines.toLocaleString('en-US') }));
  await trainDefaultModelSet(trainingDir, modelsDir, say, horizonH);
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
    .option(
      '--maintenance-horizon <hours>',
      'hours ahead the PLC failure model warns (default: NOCAI_MAINTENANCE_HORIZON_H, else 24); serve with the same NOCAI_MAINTENANCE_HORIZON_H',
      (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > REMAINING_LIFE_CAP_H) {
          throw new InvalidArgumentError(
            `--maintenance-horizon must be a whole number of hours from 1 to ${REMAINING_LIFE_CAP_H}.`
          );
        }
        return n;
      }
    )
    .action((flags: SetupFlags) => runSetup(flags, (text) => process.stderr.write(`setup: ${text}\n`)));
}
