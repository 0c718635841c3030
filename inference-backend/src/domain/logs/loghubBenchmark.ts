import { groupingAccuracy } from './groupingAccuracy';
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
 * Mines `rawLines` in order and scores the clusters against the ground-truth event ids, with
 * the system's tuned settings unless `settings` says otherwise (`{}`: the miner's defaults).
 */
export function scoreLoghubSystem(
  system: LoghubSystem,
  rawLines: readonly string[],
  truthEventIds: readonly string[],
  settings: Partial<TemplateMinerSettings> = LOGHUB_FORMATS[system].miner
): LoghubScore {
  const miner = new TemplateMiner(settings);
  const predicted = loghubContents(system, rawLines).map((content) => miner.add(content).templateId);
  return {
    system,
    accuracy: groupingAccuracy(truthEventIds, predicted),
    drain: LOGHUB_FORMATS[system].drainAccuracy,
    lines: rawLines.length,
    templates: miner.clusterCount,
    truthTemplates: new Set(truthEventIds).size,
  };
}

/**
 * The throughput workload: every system's contents mined `repetitions` times, each time by
 * fresh miners, so cluster creation is paid on every pass as on a cold start. Returns the
 * number of lines mined, to be divided by the time the caller measured.
 */
export function mineLoghubContents(
  contents: ReadonlyArray<{ system: LoghubSystem; contents: readonly string[] }>,
  repetitions: number
): number {
  let lines = 0;
  for (let r = 0; r < repetitions; r++) {
    for (const dataset of contents) {
      const miner = newLoghubMiner(dataset.system);
      for (const content of dataset.contents) miner.add(content);
      lines += dataset.contents.length;
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
