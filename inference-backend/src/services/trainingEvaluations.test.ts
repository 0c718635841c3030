import { heldOutFigures } from './trainingEvaluations';

describe('heldOutFigures', () => {
  it("When a text classifier's manifest is read, then its test accuracy and macro-F1 are the held-out figures", () => {
    const metrics = {
      target: 'department',
      train: { rows: 900, accuracy: 0.99, macroF1: 0.98 },
      test: { rows: 120, accuracy: 0.91, macroF1: 0.87, perClass: [], confusion: { labels: [], matrix: [] } },
    };
    expect(heldOutFigures(metrics)).toEqual({ rows: 120, accuracy: 0.91, f1: 0.87, maeSeconds: undefined });
  });

  it("When the MTTR trees' manifest is read, then the holdout's MAE in seconds is the figure", () => {
    expect(heldOutFigures({ holdout: { rows: 40, maeSeconds: 5400, p90Coverage: 0.9 } })).toEqual({
      rows: 40,
      accuracy: undefined,
      f1: undefined,
      maeSeconds: 5400,
    });
  });

  it('When a manifest has no held-out accuracy, F1 or MAE in seconds (an import, a regression in cycles), then there is nothing to write', () => {
    expect(heldOutFigures({ referenceRows: 50, maxAbsDiff: 0 })).toBeUndefined();
    expect(heldOutFigures({ test: { rows: 30, rmse: 21.8, mae: 15.2 } })).toBeUndefined();
    expect(heldOutFigures(undefined)).toBeUndefined();
  });
});
