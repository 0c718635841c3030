import { groupingAccuracy } from './groupingAccuracy';
import { splitLogHeader } from './logHeader';
import { DRAIN_MEAN_ACCURACY, extractContents, LOGHUB_FORMATS } from './loghubFormats';
import type { LoghubSystem } from './loghubFormats';
import { TemplateMiner } from './templateMiner';
import type { TemplateMinerSettings } from './templateMiner';

export interface LoghubScore {
  system: LoghubSystem;
  accuracy: number;
  /** Drain's published accuracy on the same system. */
  drain: number;
  lines: number;
  /** Clusters we found, next to the ground truth's template count. */
  templates: number;
  truthTemplates: number;
}

/**
 * Header parsing strips what logparser strips; a line that does not fit the layout is mined
 * whole rather than dropped, so predictions stay aligned with the ground truth.
 */
export function loghubContents(system: LoghubSystem, rawLines: readonly string[]): string[] {
  return extractContents(rawLines, LOGHUB_FORMATS[system].logFormat).map((content, i) => content ?? rawLines[i]);
}

export function newLoghubMiner(system: LoghubSystem): TemplateMiner {
  return new TemplateMiner(LOGHUB_FORMATS[system].miner);
}

/**
 * Mines `rawLines` in order and scores each line's final template against the ground-truth
 * event ids. With the system's layout and tuned settings by default (`--format`); `{ format:
 * false }` mines raw lines after header detection, with the miner's defaults unless `settings`
 * says otherwise: what a user who does not know the layout gets.
 */
export function scoreLoghubSystem(
  system: LoghubSystem,
  rawLines: readonly string[],
  truthEventIds: readonly string[],
  options: { format?: boolean; settings?: Partial<TemplateMinerSettings> } = {}
): LoghubScore {
  const { format = true } = options;
  const settings = options.settings ?? (format ? LOGHUB_FORMATS[system].miner : {});
  const messages = format ? loghubContents(system, rawLines) : rawLines.map((line) => splitLogHeader(line).message);
  const predicted = new TemplateMiner(settings).addAll(messages).map((mined) => mined.templateId);
  return {
    system,
    accuracy: groupingAccuracy(truthEventIds, predicted),
    drain: LOGHUB_FORMATS[system].drainAccuracy,
    lines: rawLines.length,
    templates: new Set(predicted).size,
    truthTemplates: new Set(truthEventIds).size,
  };
}

/**
 * The throughput workload, as `nocai templates` runs without `--format`: every system's raw
 * lines through header detection and a fresh miner with the defaults, `repetitions` times, so
 * cluster creation is paid on every pass as on a cold start. Returns the number of lines
 * mined, to be divided by the time the caller measured.
 */
export function mineLoghubRawLines(
  datasets: ReadonlyArray<{ rawLines: readonly string[] }>,
  repetitions: number
): number {
  let lines = 0;
  for (let r = 0; r < repetitions; r++) {
    for (const { rawLines } of datasets) {
      new TemplateMiner().addAll(rawLines.map((line) => splitLogHeader(line).message));
      lines += rawLines.length;
    }
  }
  return lines;
}

export interface LoghubSummary {
  meanAccuracy: number;
  drainMeanAccuracy: number;
  /** Systems where we score at least Drain's published accuracy. */
  systemsAtLeastDrain: LoghubSystem[];
}

export function summarizeLoghub(scores: readonly LoghubScore[]): LoghubSummary {
  return {
    meanAccuracy: scores.reduce((sum, score) => sum + score.accuracy, 0) / Math.max(1, scores.length),
    drainMeanAccuracy: DRAIN_MEAN_ACCURACY,
    systemsAtLeastDrain: scores.filter((score) => score.accuracy >= score.drain).map((score) => score.system),
  };
}
