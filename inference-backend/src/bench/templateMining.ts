import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluateLoghub, loadLoghubLogs, measureLoghubThroughput } from '../adapters/files/loghub';
import { LOG_HEADER_VERSION } from '../domain/logs/logHeader';
import { leaveOneOut } from '../domain/logs/loghubCv';
import type { MinerChoice } from '../domain/logs/loghubCv';
import { DRAIN_MEAN_ACCURACY, LOGHUB_FORMATS, LOGHUB_SYSTEMS } from '../domain/logs/loghubFormats';
import type { LoghubSystem } from '../domain/logs/loghubFormats';
import { DEFAULT_TEMPLATE_MINER_SETTINGS } from '../domain/logs/templateMiner';
import { fmt, ratio, say } from './report';

/**
 * The template-mining part of `npm run bench`, and all of `npm run bench:loghub`: throughput
 * of the no-`--format` path, and grouping accuracy on the Loghub-2k systems by
 * leave-one-system-out cross-validation (loghubCv.ts) beside Drain's published figures.
 */
const MINING_LINES_PER_SECOND_TARGET = 200_000;
/** Issue 9's acceptance: the held-out mean, raw lines, no `--format`. */
const LOSO_MEAN_TARGET = 0.95;

/** The shared datasets sit beside the repository: <repo>/../shared/datasets. */
export const DEFAULT_DATASETS_DIR = resolve(__dirname, '../../../../shared/datasets');

export function benchTemplateMining(datasetsDir: string = DEFAULT_DATASETS_DIR): void {
  if (!existsSync(join(datasetsDir, 'loghub'))) {
    say(`template mining: skipped, no loghub data at ${datasetsDir}`);
    return;
  }
  measureLoghubThroughput(datasetsDir, 2);
  const mining = measureLoghubThroughput(datasetsDir, 10);
  say(
    `template mining (loghub, 8 systems, raw lines: header detection + masking + mining, one core): ` +
      `${fmt(mining.linesPerSecond)} lines/s, ${ratio(mining.linesPerSecond, MINING_LINES_PER_SECOND_TARGET)}; ` +
      `${fmt(mining.linesPerCpuSecond)} lines per CPU second`
  );
  reportLeaveOneSystemOut(datasetsDir);
}

function describeChoice(choice: MinerChoice): string {
  const constants = Math.max(choice.maxVariantConstants, choice.maxVariantWords);
  return `depth ${choice.depth}, threshold ${choice.similarityThreshold}, variant words ${choice.maxVariantWords}, constants ${constants}`;
}

function sameChoice(a: MinerChoice, b: MinerChoice): boolean {
  return (
    a.depth === b.depth &&
    a.similarityThreshold === b.similarityThreshold &&
    a.maxVariantWords === b.maxVariantWords &&
    a.maxVariantConstants === b.maxVariantConstants
  );
}

function reportLeaveOneSystemOut(datasetsDir: string): void {
  const started = performance.now();
  const report = leaveOneOut(loadLoghubLogs(datasetsDir));
  // The same defaults with each system's layout given: what header detection costs, if anything.
  const withFormat = new Map(
    evaluateLoghub(datasetsDir, { settings: {} }).map((score) => [score.system, score.accuracy] as const)
  );
  const seconds = (performance.now() - started) / 1000;

  say(
    `template grouping accuracy, loghub-2k, leave-one-system-out (raw lines, no --format, header detection ` +
      `v${LOG_HEADER_VERSION}; ${report.candidates} candidate settings scored per system, the best mean on the ` +
      `other seven measured on the eighth; ${seconds.toFixed(1)} s):`
  );
  const row = (cells: readonly string[]): string =>
    `  ${cells[0].padEnd(10)}${cells
      .slice(1, 5)
      .map((cell) => cell.padStart(11))
      .join('')}  ${cells[5] ?? ''}`;
  say(row(['system', 'held-out', 'in-sample', '--format', 'Drain', 'chosen on the other seven']));
  for (const fold of report.folds) {
    const system = fold.name as LoghubSystem;
    say(
      row([
        system,
        fold.heldOutAccuracy.toFixed(4),
        fold.inSampleAccuracy.toFixed(4),
        (withFormat.get(system) ?? Number.NaN).toFixed(4),
        LOGHUB_FORMATS[system].drainAccuracy.toFixed(4),
        describeChoice(fold.chosen),
      ])
    );
  }
  const formatMean =
    LOGHUB_SYSTEMS.reduce((sum, system) => sum + (withFormat.get(system) ?? 0), 0) / LOGHUB_SYSTEMS.length;
  say(
    row([
      'mean',
      report.heldOutMean.toFixed(4),
      report.inSampleMean.toFixed(4),
      formatMean.toFixed(4),
      DRAIN_MEAN_ACCURACY.toFixed(4),
      `held-out mean target ≥ ${LOSO_MEAN_TARGET}: ${report.heldOutMean >= LOSO_MEAN_TARGET ? 'met' : 'NOT met'}`,
    ])
  );
  const isDefault = sameChoice(report.chosenOnAll, DEFAULT_TEMPLATE_MINER_SETTINGS);
  say(
    `  chosen on all eight: ${describeChoice(report.chosenOnAll)}; ` +
      (isDefault
        ? 'the miner defaults (in-sample column)'
        : 'NOT the miner defaults: update DEFAULT_TEMPLATE_MINER_SETTINGS')
  );
  say(
    '  held-out: settings chosen without the system; in-sample: the defaults; --format: the defaults with the ' +
      "system's layout given instead of detected; Drain: logparser's published figure (loghubFormats.ts)"
  );
}

if (require.main === module) {
  say(`NOC AI template-mining benchmark: ${new Date().toISOString()}, node ${process.version}`);
  benchTemplateMining(process.argv[2] ?? DEFAULT_DATASETS_DIR);
}
