/**
 * The local candidates of the forecaster: simple seasonal rules, each a function of one series'
 * history. `forecast.ts` scores them (and the ridge models) at rolling origins and keeps, per
 * series, the ones that did best.
 */

export interface LocalMethod {
  name: string;
  /** Shortest history the rule can use. */
  minLength: number;
  /** Forecast of y[end], …, y[end + horizon − 1] from y[0], …, y[end − 1]. */
  forecast(y: ArrayLike<number>, end: number, horizon: number): Float64Array;
}

/** The value one season back, repeated: y[t + h] = y[t + h − p·k] for the smallest k ≥ 1 that reaches the past. */
export function seasonalNaive(period: number): LocalMethod {
  return {
    name: period === 1 ? 'naive' : `seasonal-naive-${period}`,
    minLength: period,
    forecast: (y, end, horizon) => Float64Array.from({ length: horizon }, (_, h) => y[end - period + (h % period)]),
  };
}

/** Mean of the same position in the last `cycles` seasons: the seasonal naive with its noise averaged out. */
export function seasonalMean(period: number, cycles: number): LocalMethod {
  return {
    name: `seasonal-mean-${period}x${cycles}`,
    minLength: period * cycles,
    forecast: (y, end, horizon) =>
      Float64Array.from({ length: horizon }, (_, h) => {
        let sum = 0;
        for (let c = 1; c <= cycles; c++) sum += y[end - c * period + (h % period)];
        return sum / cycles;
      }),
  };
}

/** Median of the same position in the last `cycles` seasons: robust to one odd day. */
export function seasonalMedian(period: number, cycles: number): LocalMethod {
  return {
    name: `seasonal-median-${period}x${cycles}`,
    minLength: period * cycles,
    forecast: (y, end, horizon) => {
      const out = new Float64Array(horizon);
      const column = new Float64Array(cycles);
      for (let h = 0; h < Math.min(horizon, period); h++) {
        for (let c = 1; c <= cycles; c++) column[c - 1] = y[end - c * period + h];
        column.sort();
        const middle = cycles >> 1;
        out[h] = cycles % 2 === 1 ? column[middle] : (column[middle - 1] + column[middle]) / 2;
      }
      for (let h = period; h < horizon; h++) out[h] = out[h % period];
      return out;
    },
  };
}

/**
 * The seasonal naive plus the change between the last two seasons' means for every season
 * ahead: follows a level that keeps rising or falling.
 */
export function seasonalNaiveWithDrift(period: number): LocalMethod {
  return {
    name: `seasonal-drift-${period}`,
    minLength: 2 * period,
    forecast: (y, end, horizon) => {
      let last = 0;
      let previous = 0;
      for (let i = 0; i < period; i++) {
        last += y[end - period + i];
        previous += y[end - 2 * period + i];
      }
      const drift = (last - previous) / period;
      return Float64Array.from(
        { length: horizon },
        (_, h) => y[end - period + (h % period)] + drift * (Math.floor(h / period) + 1)
      );
    },
  };
}
