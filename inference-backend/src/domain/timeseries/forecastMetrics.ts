/**
 * The M4 competition's accuracy measures (Makridakis, Spiliotis & Assimakopoulos 2020), one
 * series at a time; a data set's figure is the mean over its series. `../shared/datasets/m4-hourly/README.md`
 * gives the formulas and M4's published figures.
 */

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { abs } = Math;

/**
 * Mean absolute difference between values `period` steps apart: the in-sample error of the
 * seasonal naive forecast, which scales MASE and MSIS (M4 uses m = 24 for hourly data).
 * NaN when the history is not longer than the period.
 */
export function seasonalScale(history: ArrayLike<number>, period: number): number {
  let sum = 0;
  for (let t = period; t < history.length; t++) sum += abs(history[t] - history[t - period]);
  return history.length > period ? sum / (history.length - period) : Number.NaN;
}

function checkLengths(actual: ArrayLike<number>, ...others: Array<ArrayLike<number>>): void {
  if (actual.length === 0) throw new RangeError('no values to score');
  for (const other of others) {
    if (other.length !== actual.length) throw new RangeError(`${other.length} forecasts for ${actual.length} values`);
  }
}

/**
 * Symmetric MAPE in percent, 0 to 200: mean of 200·|y − f| / (|y| + |f|). A step where value and
 * forecast are both 0 is a perfect forecast and counts 0 (M4's formula would divide by zero).
 */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  checkLengths(actual, forecast);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const denominator = abs(actual[i]) + abs(forecast[i]);
    if (denominator > 0) sum += (200 * abs(actual[i] - forecast[i])) / denominator;
  }
  return sum / actual.length;
}

/** Mean absolute error over `scale` (`seasonalScale` of the history): below 1 beats the in-sample seasonal naive. */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number): number {
  checkLengths(actual, forecast);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += abs(actual[i] - forecast[i]);
  return sum / actual.length / scale;
}

/** Share of the values inside their interval, bounds included. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  checkLengths(actual, lower, upper);
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) inside++;
  return inside / actual.length;
}

/**
 * Mean scaled interval score of a (1 − alpha) interval (alpha = 0.05 for M4's 95%): the width,
 * plus 2/alpha times the distance by which a value falls outside, over `scale`.
 */
export function msis(
  actual: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  scale: number,
  alpha = 0.05
): number {
  checkLengths(actual, lower, upper);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i];
    sum += upper[i] - lower[i];
    if (y < lower[i]) sum += (2 / alpha) * (lower[i] - y);
    if (y > upper[i]) sum += (2 / alpha) * (y - upper[i]);
  }
  return sum / actual.length / scale;
}
