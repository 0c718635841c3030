import { groupingAccuracy } from './groupingAccuracy';
import { splitLogHeader } from './logHeader';
import { TemplateMiner } from './templateMiner';
import type { TemplateMinerSettings } from './templateMiner';

/**
 * How the template miner's defaults are chosen, and how well that choice generalises:
 * leave-one-system-out cross-validation over labelled log sets (the Loghub-2k systems). For
 * each held-out system, every candidate setting is scored on the other systems, the one with
 * the best mean grouping accuracy is kept, and only then is it measured on the held-out
 * system. The mean of those held-out figures is the honest one: nothing about a system
 * influenced the setting it was measured with. The product's defaults come from the same
 * choice made on all systems (the in-sample figure).
 *
 * Lines go in raw, as a user without `--format` gives them: header detection (logHeader.ts)
 * finds each message, so the figures include its mistakes.
 */
export type MinerChoice = Pick<
  TemplateMinerSettings,
  'depth' | 'similarityThreshold' | 'maxVariantWords' | 'maxVariantConstants'
>;

export interface MinerGridAxes {
  depths: readonly number[];
  thresholds: readonly number[];
  variantWords: readonly number[];
  /** 0 means "as variantWords"; values not above variantWords would repeat a candidate and are skipped. */
  variantConstants: readonly number[];
}

/** Drain's published range of depths and thresholds, and enumerations from none (Drain) to eight words. */
export const MINER_GRID_AXES: MinerGridAxes = {
  depths: [3, 4, 5, 6],
  thresholds: [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
  variantWords: [0, 2, 3, 4, 5, 6, 8],
  variantConstants: [0, 4, 6, 8, 12, 16],
};

/**
 * Every candidate, simplest first: fewest variant words (0 is plain Drain), then fewest
 * upper-case constants, then the shallowest tree, then the lowest threshold. Ties in mean
 * accuracy go to the earlier candidate, so a setting is only made more elaborate when the
 * training systems reward it. This order was fixed before any fold was run.
 */
export function minerChoiceGrid(axes: MinerGridAxes = MINER_GRID_AXES): MinerChoice[] {
  const grid: MinerChoice[] = [];
  for (const maxVariantWords of axes.variantWords) {
    for (const maxVariantConstants of axes.variantConstants) {
      if (maxVariantConstants !== 0 && maxVariantConstants <= maxVariantWords) continue;
      for (const depth of axes.depths) {
        for (const similarityThreshold of axes.thresholds) {
          grid.push({ depth, similarityThreshold, maxVariantWords, maxVariantConstants });
        }
      }
    }
  }
  return grid;
}

export interface LabelledLog {
  name: string;
  /** Raw lines, headers included. */
  lines: readonly string[];
  /** Ground-truth event of each line; only equality matters. */
  truth: readonly string[];
}

/** Template id of each raw line, mined after header detection, as a batch parser reports them. */
export function groupRawLines(lines: readonly string[], settings: Partial<TemplateMinerSettings> = {}): string[] {
  return groupMessages(
    lines.map((line) => splitLogHeader(line).message),
    settings
  );
}

function groupMessages(messages: readonly string[], settings: Partial<TemplateMinerSettings>): string[] {
  return new TemplateMiner(settings).addAll(messages).map((mined) => mined.templateId);
}

/** Grouping accuracy of every candidate on every log: `scores[log][candidate]`. */
export function scoreGrid(logs: readonly LabelledLog[], grid: readonly MinerChoice[]): number[][] {
  const masker = new TemplateMiner();
  return logs.map((log) => {
    // Header detection and masking do not depend on the candidate: once per log.
    const tokenized = log.lines.map((line) => masker.tokenize(splitLogHeader(line).message));
    return grid.map((choice) => {
      const predicted = new TemplateMiner(choice).addAllTokenized(tokenized).map((mined) => mined.templateId);
      return groupingAccuracy(log.truth, predicted);
    });
  });
}

export interface Choice {
  /** Index into the grid. */
  index: number;
  settings: MinerChoice;
  /** Mean accuracy of the choice over the logs it was chosen on. */
  trainingMean: number;
}

/** The candidate with the best mean accuracy over `logIndices`; ties go to the earlier one. */
export function chooseOn(
  scores: readonly number[][],
  logIndices: readonly number[],
  grid: readonly MinerChoice[]
): Choice {
  if (logIndices.length === 0) throw new RangeError('cannot choose settings on no logs');
  let best = -1;
  let bestMean = -Infinity;
  for (let c = 0; c < grid.length; c++) {
    let sum = 0;
    for (const i of logIndices) sum += scores[i][c];
    const mean = sum / logIndices.length;
    // A tolerance, so that sums of the same accuracies in another order still tie.
    if (mean > bestMean + 1e-12) {
      best = c;
      bestMean = mean;
    }
  }
  return { index: best, settings: grid[best], trainingMean: bestMean };
}

export interface HeldOutResult {
  name: string;
  /** Chosen on every other log. */
  chosen: MinerChoice;
  /** The chosen setting's mean over the other logs. */
  trainingMean: number;
  /** The chosen setting's accuracy on this log: the leave-one-out figure. */
  heldOutAccuracy: number;
  /** The accuracy of the setting chosen on all logs (the defaults): the in-sample figure. */
  inSampleAccuracy: number;
}

export interface LeaveOneOutReport {
  folds: HeldOutResult[];
  /** Mean of the held-out accuracies: the headline. */
  heldOutMean: number;
  /** The setting chosen on all logs, and its mean over them. */
  chosenOnAll: MinerChoice;
  inSampleMean: number;
  /** Candidates tried per fold. */
  candidates: number;
}

/** Leave-one-log-out cross-validation of the miner's settings over `logs` (at least two). */
export function leaveOneOut(
  logs: readonly LabelledLog[],
  grid: readonly MinerChoice[] = minerChoiceGrid()
): LeaveOneOutReport {
  if (logs.length < 2) throw new RangeError('leave-one-out needs at least two logs');
  const scores = scoreGrid(logs, grid);
  const all = logs.map((_, i) => i);
  const onAll = chooseOn(scores, all, grid);
  const folds = logs.map((log, heldOut): HeldOutResult => {
    const choice = chooseOn(
      scores,
      all.filter((i) => i !== heldOut),
      grid
    );
    return {
      name: log.name,
      chosen: choice.settings,
      trainingMean: choice.trainingMean,
      heldOutAccuracy: scores[heldOut][choice.index],
      inSampleAccuracy: scores[heldOut][onAll.index],
    };
  });
  return {
    folds,
    heldOutMean: mean(folds.map((fold) => fold.heldOutAccuracy)),
    chosenOnAll: onAll.settings,
    inSampleMean: onAll.trainingMean,
    candidates: grid.length,
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}
