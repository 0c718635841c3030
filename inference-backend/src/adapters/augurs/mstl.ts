import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { initSync, MSTL } from '@bsull/augurs/mstl';

/**
 * Grafana's augurs MSTL (STL decomposition per season, AutoETS on the trend) from its WASM build.
 * The package is an ES module: Node 20.19+ loads it through `require`. Its WASM is read from the
 * package folder once, on first use (the package's `exports` do not list the .wasm files).
 */
let initialised = false;

function ensureInitialised(): void {
  if (initialised) return;
  const folder = dirname(require.resolve('@bsull/augurs/mstl'));
  initSync({ module: readFileSync(join(folder, 'mstl_bg.wasm')) });
  initialised = true;
}

export interface MstlForecast {
  point: number[];
  lower: number[];
  upper: number[];
}

/** `MSTL.ets(periods)` fitted on `values`, forecasting `horizon` steps with a `level` (0–1) interval. */
export function mstlForecast(
  values: readonly number[],
  periods: readonly number[],
  horizon: number,
  level: number
): MstlForecast {
  ensureInitialised();
  const model = MSTL.ets([...periods]);
  try {
    model.fit(Float64Array.from(values));
    const { point, intervals } = model.predict(horizon, level);
    if (!intervals) throw new Error('augurs MSTL returned no prediction intervals');
    return { point: [...point], lower: [...intervals.lower], upper: [...intervals.upper] };
  } finally {
    model.free();
  }
}
