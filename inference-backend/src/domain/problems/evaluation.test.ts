import { atThreshold, averagePrecision, leadMinutes, rocAuc, thresholdForPrecision } from './evaluation';

describe('alert figures', () => {
  it("When scored like scikit-learn's documented example, then PR-AUC and ROC-AUC match its figures", () => {
    // sklearn.metrics.average_precision_score / roc_auc_score docstring example.
    const labels = [0, 0, 1, 1];
    const scores = [0.1, 0.4, 0.35, 0.8];
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.8333333, 6);
    expect(rocAuc(scores, labels)).toBeCloseTo(0.75, 10);
  });

  it('When every row gets the same score, then the figures are those of no skill whatever the row order', () => {
    const labels = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    const scores = labels.map(() => 0.3);
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.2, 10);
    expect(rocAuc(scores, labels)).toBeCloseTo(0.5, 10);
  });

  it('When a target precision is asked for, then the lowest threshold reaching it is chosen, and a fallback is flagged', () => {
    const labels = [1, 1, 0, 1, 0, 0, 1, 0];
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
    const chosen = thresholdForPrecision(scores, labels, 0.75);
    expect(chosen).toEqual({ threshold: 0.6, met: true });
    expect(atThreshold(scores, labels, chosen.threshold)).toMatchObject({ precision: 0.75, recall: 0.75, alerts: 4 });
    expect(thresholdForPrecision([0.5, 0.5], [1, 0], 0.9).met).toBe(false);
  });

  it('When alerts precede an event within the horizon, then its lead is the time from the first of them', () => {
    const minute = 60_000;
    const times = [0, 10, 20, 30, 40, 50].map((m) => m * minute);
    const scores = [0.9, 0.1, 0.8, 0.9, 0.2, 0.9];
    // Horizon 35 min before the event at 50 min: rows at 20, 30, 40 qualify; the first alert is at 20.
    expect(leadMinutes([50 * minute], times, scores, 0.5, 35 * minute)).toEqual([30]);
    expect(leadMinutes([50 * minute], times, scores, 0.95, 35 * minute)).toEqual([]);
  });
});
