import { coverage, mase, msis, seasonalScale, smape } from './forecastMetrics';

describe('M4 forecast measures', () => {
  it('When forecasts miss by 10 and 20, then sMAPE is the mean of 200·|y − f| / (|y| + |f|)', () => {
    // 200·10/210 = 9.5238…, 200·20/380 = 10.5263…
    expect(smape([100, 200], [110, 180])).toBeCloseTo((2000 / 210 + 4000 / 380) / 2, 10);
  });

  it('When value and forecast are both 0, then that step counts as a perfect forecast, not NaN', () => {
    expect(smape([0, 10], [0, 10])).toBe(0);
    expect(smape([0, 10], [0, 30])).toBeCloseTo((200 * (20 / 40)) / 2, 10);
  });

  it('When the history changes by 2, 3 and 4 across a season of 2, then the seasonal scale is 3', () => {
    expect(seasonalScale([1, 2, 3, 5, 7], 2)).toBe(3);
    expect(seasonalScale([1, 2], 2)).toBeNaN();
  });

  it('When the absolute errors are 1 and 2 on a scale of 2, then MASE is 0.75', () => {
    expect(mase([10, 12], [11, 10], 2)).toBe(0.75);
  });

  it('When one value of three falls below its interval, then coverage is 2/3 and MSIS adds 40 times the miss', () => {
    const actual = [1, 5, 10];
    const lower = [0, 6, 9];
    const upper = [2, 7, 11];
    expect(coverage(actual, lower, upper)).toBeCloseTo(2 / 3, 12);
    // widths 2 + 1 + 2, plus (2 / 0.05)·(6 − 5) = 40 → 45 / 3 steps / scale 2
    expect(msis(actual, lower, upper, 2)).toBeCloseTo(7.5, 12);
    // A bound equal to the value is inside.
    expect(coverage([3], [3], [3])).toBe(1);
  });

  it('When forecasts and values differ in length, then the measures refuse instead of scoring part of them', () => {
    expect(() => smape([1, 2], [1])).toThrow(RangeError);
    expect(() => coverage([], [], [])).toThrow(RangeError);
  });
});
