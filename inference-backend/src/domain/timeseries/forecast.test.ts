import { seededRandom } from '../mlops/gbt';
import { forecast, forecastMany, normalQuantile, seasonalNaiveForecast } from './forecast';
import { coverage, seasonalScale } from './forecastMetrics';

const DAY = 24;

function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A daily cycle around `level` with gaussian noise of sd `noise`: history then `horizon` future values. */
function dailyCycle(seed: number, length: number, horizon: number, noise: number, trendPerStep = 0) {
  const next = gaussian(seed);
  const phase = seed % DAY;
  const values = Array.from(
    { length: length + horizon },
    (_, t) => 100 + trendPerStep * t + 20 * Math.sin((2 * Math.PI * (t + phase)) / DAY) + noise * next()
  );
  return { history: values.slice(0, length), future: values.slice(length) };
}

const meanAbsoluteError = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

describe('forecastMany', () => {
  it('When 30 noisy daily cycles are forecast, then the points beat the seasonal naive and about 95% of new values fall inside', () => {
    const horizon = 48;
    const data = Array.from({ length: 30 }, (_, i) => dailyCycle(i + 1, 30 * DAY, horizon, 2));
    const run = forecastMany(
      data.map((d) => d.history),
      { horizon, seasons: [DAY], level: 0.95 }
    );

    let ours = 0;
    let naive = 0;
    let inside = 0;
    run.forecasts.forEach((f, i) => {
      const { history, future } = data[i];
      expect(f.point).toHaveLength(horizon);
      ours += meanAbsoluteError(future, f.point);
      naive += meanAbsoluteError(future, seasonalNaiveForecast(history, DAY, horizon, 0.95).point);
      inside += coverage(future, f.lower, f.upper);
    });
    // The seasonal naive carries one day's noise (sd 2·√2, MAE ≈ 2.26); averaging days removes most of it.
    expect(ours / 30).toBeLessThan(0.8 * (naive / 30));
    expect(inside / 30).toBeGreaterThan(0.9);
    expect(inside / 30).toBeLessThan(0.99);
    expect(run.choice.validatedSeries).toBe(30);
  });

  it('When the level keeps rising, then the forecast rises with it instead of repeating the last day', () => {
    const horizon = 48;
    const data = Array.from({ length: 10 }, (_, i) => dailyCycle(100 + i, 20 * DAY, horizon, 0.5, 0.5));
    const run = forecastMany(
      data.map((d) => d.history),
      { horizon, seasons: [DAY], level: 0.9 }
    );
    run.forecasts.forEach((f, i) => {
      const lastDay = data[i].history.slice(-DAY);
      // The second day ahead lies 24–47 steps past the last day: about 12 to 24 higher.
      const secondDay = f.point.slice(DAY);
      expect(secondDay.reduce((a, b) => a + b, 0) / DAY).toBeGreaterThan(lastDay.reduce((a, b) => a + b, 0) / DAY + 15);
      expect(meanAbsoluteError(data[i].future, f.point)).toBeLessThan(3);
    });
  });

  it('When every value is the same, then the forecast is that value with a zero-width interval', () => {
    const f = forecast(new Array(400).fill(7.5), { horizon: 30, seasons: [DAY], level: 0.95 });
    expect(f.point).toEqual(new Array(30).fill(7.5));
    expect(f.lower).toEqual(f.point);
    expect(f.upper).toEqual(f.point);
  });

  it('When a series is too short for two validation origins, then it gets the seasonal naive and says so', () => {
    const { history } = dailyCycle(5, 60, 0, 1);
    const f = forecast(history, { horizon: 48, seasons: [DAY, 168], level: 0.95 });
    expect(f.method).toBe('seasonal-naive-24 (history too short to validate)');
    expect(f.point.slice(0, DAY)).toEqual(history.slice(-DAY));
    f.point.forEach((p, h) => {
      expect(f.lower[h]).toBeLessThan(p);
      expect(f.upper[h]).toBeGreaterThan(p);
    });
    // Three values are enough, with the naive.
    expect(forecast([1, 2, 4], { horizon: 2, seasons: [DAY], level: 0.95 }).method).toBe(
      'naive (history too short to validate)'
    );
  });

  it('When a series never goes below zero, then neither do its forecasts and lower bounds', () => {
    const random = seededRandom(9);
    // Sparse counts: mostly 0, a few events in working hours.
    const counts = Array.from({ length: 24 * 40 }, (_, t) =>
      t % DAY > 8 && t % DAY < 18 && random() < 0.3 ? Math.floor(random() * 5) : 0
    );
    const f = forecast(counts, { horizon: 48, seasons: [DAY, 168], level: 0.95 });
    expect(Math.min(...f.point, ...f.lower)).toBeGreaterThanOrEqual(0);
    f.point.forEach((p, h) => expect(f.upper[h]).toBeGreaterThanOrEqual(p));
  });

  it('When no seasons are given, then a random walk is still forecast with growing intervals', () => {
    const next = gaussian(3);
    const walk: number[] = [];
    for (let t = 0, v = 50; t < 500; t++) walk.push((v += next()));
    const f = forecast(walk, { horizon: 20, seasons: [], level: 0.8 });
    expect(f.point.every(Number.isFinite)).toBe(true);
    expect(Math.abs(f.point[0] - walk[walk.length - 1])).toBeLessThan(3);
    expect(f.upper[19] - f.lower[19]).toBeGreaterThan(f.upper[0] - f.lower[0]);
  });

  it('When the options or a series cannot be used, then it throws a RangeError that says which', () => {
    const y = [1, 2, 3, 4, 5];
    expect(() => forecast(y, { horizon: 0, seasons: [], level: 0.95 })).toThrow(/horizon/);
    expect(() => forecast(y, { horizon: 2.5, seasons: [], level: 0.95 })).toThrow(/horizon/);
    expect(() => forecast(y, { horizon: 2, seasons: [], level: 95 })).toThrow(/level/);
    expect(() => forecast(y, { horizon: 2, seasons: [1], level: 0.95 })).toThrow(/season/);
    expect(() => forecast([1, 2], { horizon: 2, seasons: [], level: 0.95 })).toThrow(/at least 3/);
    expect(() => forecast([1, Number.NaN, 3, 4], { horizon: 2, seasons: [], level: 0.95 })).toThrow(/finite/);
  });
});

describe('seasonalNaiveForecast', () => {
  it('When the seasonal differences are ±2, then the 95% interval is ±1.96·2·√(seasons ahead)', () => {
    const y = [0, 10, 2, 8, 0, 10, 2, 8];
    // differences over a season of 2: +2, −2, +2, −2, +2, −2 → root mean square 2
    expect(seasonalScale(y, 2)).toBe(2);
    const f = seasonalNaiveForecast(y, 2, 4, 0.95);
    expect(f.point).toEqual([2, 8, 2, 8]);
    const z = normalQuantile(0.975);
    expect(z).toBeCloseTo(1.959964, 6);
    [2 * z, 2 * z, 2 * z * Math.SQRT2, 2 * z * Math.SQRT2].forEach((half, h) => {
      expect(f.upper[h] - f.point[h]).toBeCloseTo(half, 9);
      expect(f.point[h] - f.lower[h]).toBeCloseTo(half, 9);
    });
  });
});
