import { seasonalNaiveForecast } from '../domain/timeseries/forecast';
import {
  forecastM4,
  hasM4Hourly,
  loadM4Hourly,
  M4_HORIZON,
  M4_LEVEL,
  M4_SCALE_PERIOD,
  M4_SUBSET_STRIDE,
  scoreM4,
} from './m4Hourly';

const describeWithData = hasM4Hourly() ? describe : describe.skip;

/**
 * `npm run bench:m4` printed for this subset (every 5th series, 42, forecast on their own):
 * sMAPE 10.210, MASE 0.815, coverage 0.955, MSIS 7.314. The floor is about 5% looser, so a
 * change that costs accuracy fails here before it reaches the bench.
 */
const FLOOR = { smape: 10.8, mase: 0.86, msis: 7.7, coverageMin: 0.92, coverageMax: 0.98 };

describeWithData('forecasting the M4 hourly dev half', () => {
  it('When every 5th series is forecast from train.csv, then test.csv scores within the floor and beat the seasonal naive', () => {
    const subset = loadM4Hourly().filter((_, i) => i % M4_SUBSET_STRIDE === 0);
    expect(subset).toHaveLength(42);
    const ours = scoreM4(subset, forecastM4(subset).forecasts);
    const naive = scoreM4(
      subset,
      subset.map((s) => seasonalNaiveForecast(s.train, M4_SCALE_PERIOD, M4_HORIZON, M4_LEVEL))
    );
    expect(ours.smape).toBeLessThan(FLOOR.smape);
    expect(ours.mase).toBeLessThan(FLOOR.mase);
    expect(ours.msis).toBeLessThan(FLOOR.msis);
    expect(ours.coverage).toBeGreaterThan(FLOOR.coverageMin);
    expect(ours.coverage).toBeLessThan(FLOOR.coverageMax);
    expect(ours.smape).toBeLessThan(0.85 * naive.smape);
    expect(ours.mase).toBeLessThan(0.85 * naive.mase);
  });
});
