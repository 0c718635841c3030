/** The retraining's promotion gate and training-set choices (see `services/retraining.ts`). */
export interface RetrainingOptions {
  /** The challenger's primary metric must beat the champion's by at least this. */
  margin: number;
  /** No segment may lose more than this (on its accuracy) against the champion. */
  maxSegmentLoss: number;
  /** A segment with fewer holdout rows is reported but not gated on. */
  minSegmentRows: number;
  /** Fewer holdout rows than this: no decision, the reason recorded. */
  minHoldoutRows: number;
  /** The newest share of labelled rows (by opening time) held out as the fresh slice. */
  holdoutFraction: number;
  /**
   * Candidate half-lives (days) of the recency weight of training rows (Infinity: no decay); the
   * retraining chooses one by validation on the newest labels of its own training part, so that
   * a reorganisation the operators' corrections show can outweigh older history.
   */
  halfLivesDays: readonly number[];
  /** A class with fewer training rows than this (history and labels together) cannot be learnt: no challenger, the reason recorded. */
  minClassRows: number;
  /**
   * Run-to-failure models (the PLC failure model): fewer failures than this recorded before the
   * fresh slice (or none in it) and there is nothing to learn or judge: no challenger, the reason recorded.
   */
  minFailures: number;
}

export const DEFAULT_RETRAINING_OPTIONS: RetrainingOptions = {
  margin: 0.01,
  maxSegmentLoss: 0.05,
  minSegmentRows: 10,
  minHoldoutRows: 30,
  holdoutFraction: 0.3,
  halfLivesDays: [Number.POSITIVE_INFINITY, 60, 14],
  minClassRows: 3,
  minFailures: 3,
};

/**
 * How much better `challenger` does than `champion` on one figure, as the gate compares it with
 * `margin`: the difference for a score (accuracy, macro-F1 points), the error saved relative to
 * the champion's for an error (MAE, RMSE), so that one margin suits seconds and cycles alike.
 */
export function primaryGain(champion: number, challenger: number, lowerIsBetter: boolean): number {
  return lowerIsBetter ? (champion - challenger) / Math.max(champion, 1e-9) : challenger - champion;
}
