import { mstlForecast } from '../adapters/augurs/mstl';
import { seasonalNaiveForecast } from '../domain/timeseries/forecast';
import {
  forecastM4,
  hasM4Hourly,
  loadM4Hourly,
  M4_HORIZON,
  M4_LEVEL,
  M4_SCALE_PERIOD,
  M4_SEASONS,
  M4_SUBSET_STRIDE,
  M4_TARGETS,
  scoreM4,
} from './m4Hourly';
import type { M4Scores } from './m4Hourly';
import { say } from './report';
import { DEFAULT_DATASETS_DIR } from './templateMining';

/**
 * `npm run bench:m4` and part of `npm run bench`: the forecaster on the M4 hourly dev half with
 * M4's own measures, beside the seasonal naive and augurs' MSTL run on the same series in the
 * same process. Every choice of the forecaster is made on train.csv (rolling origins,
 * forecast.ts); test.csv is only scored.
 */
/** Wall-clock and CPU seconds: on a busy machine the wall clock also counts other processes' turns. */
function timed<T>(run: () => T): { result: T; seconds: number; cpuSeconds: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(cpu);
  return { result, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

export function benchM4(datasetsDir: string = DEFAULT_DATASETS_DIR): void {
  if (!hasM4Hourly(datasetsDir)) {
    say(`forecasting (M4 hourly): skipped, no m4-hourly data at ${datasetsDir}`);
    return;
  }
  const series = loadM4Hourly(datasetsDir);
  const ours = timed(() => forecastM4(series));
  const naive = timed(() => series.map((s) => seasonalNaiveForecast(s.train, M4_SCALE_PERIOD, M4_HORIZON, M4_LEVEL)));
  const mstl = timed(() => series.map((s) => mstlForecast(s.train, M4_SEASONS, M4_HORIZON, M4_LEVEL)));

  say(
    `forecasting, M4 hourly dev half (${series.length} series, horizon ${M4_HORIZON}, 95% intervals; ` +
      `MASE and MSIS scaled by the in-sample seasonal naive, m = ${M4_SCALE_PERIOD}; one core):`
  );
  const row = (cells: readonly string[]) =>
    `  ${cells[0].padEnd(30)}${cells
      .slice(1)
      .map((c) => c.padStart(9))
      .join('')}`;
  say(row(['method', 'sMAPE', 'MASE', 'cover', 'MSIS', 'seconds', 'CPU s']));
  const line = (name: string, scores: M4Scores, time: { seconds: number; cpuSeconds: number }) =>
    say(
      row([
        name,
        scores.smape.toFixed(3),
        scores.mase.toFixed(3),
        scores.coverage.toFixed(3),
        scores.msis.toFixed(3),
        time.seconds.toFixed(1),
        time.cpuSeconds.toFixed(1),
      ])
    );
  const oursScores = scoreM4(series, ours.result.forecasts);
  line('nocai forecast', oursScores, ours);
  line('seasonal naive (m = 24)', scoreM4(series, naive.result), naive);
  line('augurs MSTL.ets([24, 168])', scoreM4(series, mstl.result), mstl);

  const t = M4_TARGETS;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  say(
    `  targets: sMAPE ≤ ${t.smape} ${met(oursScores.smape <= t.smape)}, MASE ≤ ${t.mase} ${met(oursScores.mase <= t.mase)}, ` +
      `coverage ${t.coverageMin}–${t.coverageMax} ${met(oursScores.coverage >= t.coverageMin && oursScores.coverage <= t.coverageMax)}, ` +
      `under ${t.seconds} s ${met(ours.seconds < t.seconds)} (${(ours.seconds / t.seconds).toFixed(2)}× the budget)`
  );
  const { choice } = ours.result;
  const penalties = Object.entries(choice.penalties)
    .map(([name, penalty]) => `${name} ${penalty}`)
    .join(', ');
  say(
    `  chosen on train.csv by rolling origins: mean of the best ${choice.combined} candidates per series; ridge penalties ${penalties}; ` +
      `interval half-width ${choice.intervalQuantiles[0].toFixed(2)}–${choice.intervalQuantiles[1].toFixed(2)} × each series' scale`
  );
  const uses = new Map<string, number>();
  for (const f of ours.result.forecasts) {
    for (const name of f.method.replace(/^mean\((.*)\)$/, '$1').split(', ')) uses.set(name, (uses.get(name) ?? 0) + 1);
  }
  say(
    `  candidates used (series): ${[...uses]
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ${count}`)
      .join(', ')}`
  );
  const subset = series.filter((_, i) => i % M4_SUBSET_STRIDE === 0);
  const subsetScores = scoreM4(subset, forecastM4(subset).forecasts);
  say(
    `  test-suite subset (every ${M4_SUBSET_STRIDE}th series, ${subset.length}, forecast on their own): sMAPE ${subsetScores.smape.toFixed(3)}, ` +
      `MASE ${subsetScores.mase.toFixed(3)}, coverage ${subsetScores.coverage.toFixed(3)}, MSIS ${subsetScores.msis.toFixed(3)}`
  );
}

if (require.main === module) {
  say(`NOC AI forecasting benchmark: ${new Date().toISOString()}, node ${process.version}`);
  benchM4(process.argv[2] ?? DEFAULT_DATASETS_DIR);
}
