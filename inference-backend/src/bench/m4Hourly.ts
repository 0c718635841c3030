import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLongRows } from '../commands/forecast';
import { forecastMany } from '../domain/timeseries/forecast';
import type { ForecastRun } from '../domain/timeseries/forecast';
import { assembleSeries } from '../domain/timeseries/forecastInput';
import { coverage, mase, msis, seasonalScale, smape } from '../domain/timeseries/forecastMetrics';
import { DEFAULT_DATASETS_DIR } from './templateMining';

/**
 * The M4 hourly dev half (207 real series, ../shared/datasets/m4-hourly) and M4's measures, for
 * `npm run bench:m4` and the test suite's floor. The forecaster only ever sees train.csv;
 * test.csv is scored.
 */
export const M4_HORIZON = 48;
export const M4_SEASONS = [24, 168];
/** M4 scales MASE and MSIS with the seasonal naive at m = 24 for hourly data. */
export const M4_SCALE_PERIOD = 24;
export const M4_LEVEL = 0.95;

/** Issue 10's acceptance on this half. */
export const M4_TARGETS = { smape: 11.5, mase: 0.9, coverageMin: 0.93, coverageMax: 0.97, seconds: 60 };

/** The test suite forecasts every fifth series (42 of 207) and holds them to a floor set from this bench's figure for them. */
export const M4_SUBSET_STRIDE = 5;

export interface M4Series {
  name: string;
  train: number[];
  test: number[];
}

export interface M4Scores {
  smape: number;
  mase: number;
  coverage: number;
  msis: number;
}

export function loadM4Hourly(datasetsDir: string = DEFAULT_DATASETS_DIR): M4Series[] {
  const read = (file: string) =>
    assembleSeries(readLongRows(readFileSync(join(datasetsDir, 'm4-hourly', file), 'utf8')));
  const train = read('train.csv').series;
  const test = new Map(read('test.csv').series.map((s) => [s.name, s] as const));
  return train.map((s) => {
    const future = test.get(s.name);
    // test.csv continues each series' index: t = n … n + 47.
    if (!future || future.start !== s.start + s.values.length || future.values.length !== M4_HORIZON) {
      throw new Error(`m4-hourly: test.csv does not continue series ${s.name}`);
    }
    return { name: s.name, train: s.values, test: future.values };
  });
}

export const hasM4Hourly = (datasetsDir: string = DEFAULT_DATASETS_DIR): boolean =>
  existsSync(join(datasetsDir, 'm4-hourly', 'train.csv'));

/** Mean over series of M4's measures for point forecasts and 95% intervals. */
export function scoreM4(
  series: readonly M4Series[],
  forecasts: ReadonlyArray<{ point: readonly number[]; lower: readonly number[]; upper: readonly number[] }>
): M4Scores {
  const total = { smape: 0, mase: 0, coverage: 0, msis: 0 };
  series.forEach((s, i) => {
    const f = forecasts[i];
    const scale = seasonalScale(s.train, M4_SCALE_PERIOD);
    total.smape += smape(s.test, f.point);
    total.mase += mase(s.test, f.point, scale);
    total.coverage += coverage(s.test, f.lower, f.upper);
    total.msis += msis(s.test, f.lower, f.upper, scale, 1 - M4_LEVEL);
  });
  const n = series.length;
  return { smape: total.smape / n, mase: total.mase / n, coverage: total.coverage / n, msis: total.msis / n };
}

/** The forecaster as `nocai forecast --horizon 48 --season 24,168 --level 95` runs it. */
export function forecastM4(series: readonly M4Series[]): ForecastRun {
  return forecastMany(
    series.map((s) => s.train),
    { horizon: M4_HORIZON, seasons: M4_SEASONS, level: M4_LEVEL }
  );
}
