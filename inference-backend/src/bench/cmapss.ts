import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { csvToTable, toCsvRow } from '../adapters/files/csv';
import type { Table } from '../adapters/files/csv';
import { runPredictTabular } from '../commands/predictTabular';
import { runTrainTabular } from '../commands/trainTabular';
import type { TabularTrainFlags } from '../commands/trainTabular';
import { buildFeatures } from '../domain/mlops/tabularFeatures';
import type { TabularManifest, TabularGrid } from '../domain/mlops/tabularModel';
import { loadModel } from '../adapters/registry/modelRegistry';
import { progress, say } from './report';
import { runPythonJson } from './pythonAnchor';
import { ensureBenchPython } from './textModels';

/**
 * Issue 10, tabular targets on real data: NASA C-MAPSS turbofan run-to-failure
 * (`../shared/datasets/cmapss`, FD002–FD004), remaining useful life (RUL) through the CLI as a
 * user runs it. Per subset: the NASA training file becomes a CSV (unit, cycle, 3 settings, 21
 * sensors, the operating condition, RUL); `nocai train --target RUL --group unit --order cycle
 * --windows 5,10,20,30 --normalize-by condition` chooses its model by group CV on that file only;
 * `nocai predict` runs on the test file's CSV, and the prediction at each test unit's last cycle is
 * scored against RUL_FD00x.txt, beside the figures published for the subset (the dataset's README).
 *
 * Conventions: the training target is min(RUL, 125), the usual piecewise-linear one. RMSE is given
 * against the true test RUL (the headline) and against the test RUL capped at 125 (what several
 * papers compare with; the README notes that papers differ). The PHM08 score is on the true RUL.
 * The operating condition is the rounded settings (altitude to 1, Mach to 0.01, throttle to 1):
 * six conditions in FD002/FD004, one in FD003; whether to normalise within it is the CV's choice.
 *
 * Beside it (BENCH_SKLEARN=0 to skip), scikit-learn's HistGradientBoostingRegressor (defaults) learns
 * from exactly our training features (the exported model's feature matrix) as an anchor: same
 * features, another learner. `npm run bench:cmapss [subset…]`.
 */

/** Every subset NASA published; FD001 is not in ../shared (the project is measured on it), but runs when its files are added. */
export const KNOWN_CMAPSS_SUBSETS = ['FD001', 'FD002', 'FD003', 'FD004'] as const;
export type CmapssSubset = (typeof KNOWN_CMAPSS_SUBSETS)[number];

const subsetFiles = (subset: string) => [`train_${subset}.txt`, `test_${subset}.txt`, `RUL_${subset}.txt`];

/** The subsets whose three files (train, test, RUL) are in `dataDir`, in NASA's order. */
export function availableCmapssSubsets(dataDir: string): CmapssSubset[] {
  return KNOWN_CMAPSS_SUBSETS.filter((s) => subsetFiles(s).every((f) => existsSync(join(dataDir, f))));
}

/**
 * The subsets a bench command line asks for (none: every available one), or a one-sentence error:
 * an unknown name, or a known one whose files are not in `dataDir`.
 */
export function parseCmapssSubsets(
  args: readonly string[],
  dataDir: string
): { subsets: CmapssSubset[] } | { error: string } {
  const asked = args.map((s) => s.toUpperCase());
  const unknown = asked.filter((s) => !(KNOWN_CMAPSS_SUBSETS as readonly string[]).includes(s));
  if (unknown.length > 0)
    return { error: `unknown subset ${unknown.join(', ')}; choose from ${KNOWN_CMAPSS_SUBSETS.join(', ')}` };
  const available = availableCmapssSubsets(dataDir);
  const absent = asked.filter((s) => !(available as string[]).includes(s));
  if (absent.length > 0)
    return {
      error: `${absent.join(', ')} needs ${subsetFiles(absent[0]).join(', ')} in ${dataDir} (NASA's files, as the other subsets)`,
    };
  return { subsets: asked.length > 0 ? (asked as CmapssSubset[]) : available };
}
export const RUL_CAP = 125;
export const CMAPSS_WINDOWS = [5, 10, 20, 30];
export const SENSORS = Array.from({ length: 21 }, (_, i) => `s${i + 1}`);
export const SETTINGS = ['setting1', 'setting2', 'setting3'];
const COLUMNS = ['unit', 'cycle', ...SETTINGS, ...SENSORS];
export const CMAPSS_FEATURES = ['cycle', ...SETTINGS, ...SENSORS];

/** The README's table: test RMSE at each test unit's last cycle, per method. */
export const PUBLISHED_RMSE: ReadonlyArray<{ method: string; rmse: Partial<Record<CmapssSubset, number>> }> = [
  { method: 'SVR (as cited in the FFVE comparison)', rmse: { FD002: 42.0, FD003: 21.05, FD004: 45.35 } },
  { method: 'CNN, Babu et al. 2016', rmse: { FD002: 30.29, FD003: 19.82, FD004: 29.16 } },
  { method: 'Deep LSTM, Zheng et al. 2017', rmse: { FD002: 24.49, FD003: 16.18, FD004: 28.17 } },
  { method: 'DCNN, Li, Ding & Sun 2018', rmse: { FD002: 22.36, FD003: 12.64, FD004: 23.31 } },
  { method: 'AGCNN, Liu et al. 2020', rmse: { FD002: 19.43, FD003: 13.39, FD004: 21.5 } },
  { method: 'MS-DCNN, Li, Zhao, Zhang & Zio 2020', rmse: { FD002: 19.35, FD003: 11.67, FD004: 22.22 } },
  { method: 'STAR transformer, Fan et al. 2024', rmse: { FD002: 13.47, FD003: 10.71, FD004: 15.87 } },
];

const REPO_ROOT = resolve(__dirname, '../../..');
/** The shared datasets sit beside the repository: <repo>/../shared/datasets. */
export const DEFAULT_CMAPSS_DIR = resolve(REPO_ROOT, '../shared/datasets/cmapss');
const PYTHON_SCRIPT = resolve(__dirname, '../../src/bench/python/tabular_baseline.py');

/** Rounded settings: the operating condition of a cycle. */
function conditionOf(settings: readonly number[]): string {
  return [Math.round(settings[0]), Math.round(settings[1] * 100) / 100, Math.round(settings[2])]
    .map((v) => String(v + 0))
    .join('/');
}

/** A NASA file (space separated, no header) as rows of named cells, with the operating condition. */
export function readCmapss(file: string): Array<Record<string, string>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const cells = line.trim().split(/\s+/);
      if (cells.length !== COLUMNS.length)
        throw new Error(`${file}: a line has ${cells.length} values, not ${COLUMNS.length}`);
      const row: Record<string, string> = Object.fromEntries(COLUMNS.map((c, i) => [c, cells[i]]));
      row.condition = conditionOf(SETTINGS.map((s) => Number(row[s])));
      return row;
    });
}

/** Training rows with RUL = min(last cycle of the unit − cycle, 125). */
export function withCappedRul(rows: Array<Record<string, string>>): Array<Record<string, string>> {
  const last = new Map<string, number>();
  for (const row of rows) last.set(row.unit, Math.max(last.get(row.unit) ?? 0, Number(row.cycle)));
  return rows.map((row) => ({ ...row, RUL: String(Math.min(RUL_CAP, (last.get(row.unit) ?? 0) - Number(row.cycle))) }));
}

export function writeCsv(file: string, rows: ReadonlyArray<Record<string, string>>, columns: readonly string[]): void {
  writeFileSync(
    file,
    `${[toCsvRow(columns), ...rows.map((r) => toCsvRow(columns.map((c) => r[c] ?? '')))].join('\n')}\n`
  );
}

export interface LastCycleScore {
  units: number;
  /** Against the true test RUL. */
  rmse: number;
  /** Against min(true RUL, 125). */
  rmseCapped: number;
  /** PHM08: Σ exp(−d/13) − 1 for d < 0, exp(d/10) − 1 for d ≥ 0, d = predicted − true. */
  score: number;
  /** Share of units whose capped true RUL lies within [P10, P90]. */
  intervalCoverage: number;
  /**
   * RMSE against the true RUL of a perfect prediction of min(RUL, 125): no model trained on the
   * capped target can do better on the true RUL. A published figure below it was measured
   * against capped test RULs.
   */
  cappedOracleRmse: number;
}

/** Scores `nocai predict`'s output (one line per test row) at each unit's last cycle. */
export function scoreLastCycles(predicted: Table, trueRul: readonly number[]): LastCycleScore {
  const last = new Map<number, Record<string, string>>();
  for (const row of predicted.rows) {
    const unit = Number(row.unit);
    const seen = last.get(unit);
    if (!seen || Number(row.cycle) > Number(seen.cycle)) last.set(unit, row);
  }
  let squares = 0;
  let squaresCapped = 0;
  let score = 0;
  let covered = 0;
  let oracle = 0;
  for (const [unit, row] of last) {
    const truth = trueRul[unit - 1];
    const prediction = Number(row.predicted_RUL);
    const d = prediction - truth;
    squares += d * d;
    squaresCapped += (prediction - Math.min(RUL_CAP, truth)) ** 2;
    score += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
    oracle += (Math.min(RUL_CAP, truth) - truth) ** 2;
    const capped = Math.min(RUL_CAP, truth);
    if (capped >= Number(row.RUL_p10) && capped <= Number(row.RUL_p90)) covered++;
  }
  const n = last.size;
  return {
    units: n,
    rmse: Math.sqrt(squares / n),
    rmseCapped: Math.sqrt(squaresCapped / n),
    score,
    intervalCoverage: covered / n,
    cappedOracleRmse: Math.sqrt(oracle / n),
  };
}

export interface CmapssRun {
  subset: CmapssSubset;
  score: LastCycleScore;
  trainSeconds: number;
  predictSeconds: number;
  chosen: string;
  cvRmse: number;
  candidates: number;
  features: number;
  heldOutRmse: number;
  registry: string;
  trainCsv: string;
  testCsv: string;
  /** What `nocai predict` printed for the test file. */
  predicted: Table;
}

/**
 * Train on train_<subset> and predict test_<subset> through the CLI functions, in `workDir`.
 * `features`, `windows` and `grid` default to the bench's; the test suite bounds them.
 */
export async function runCmapss(
  subset: CmapssSubset,
  dataDir: string,
  workDir: string,
  options: { features?: string[]; windows?: number[]; grid?: TabularGrid; normalize?: boolean; quiet?: boolean } = {}
): Promise<CmapssRun> {
  const trainCsv = join(workDir, `train_${subset}.csv`);
  const testCsv = join(workDir, `test_${subset}.csv`);
  writeCsv(trainCsv, withCappedRul(readCmapss(join(dataDir, `train_${subset}.txt`))), [...COLUMNS, 'condition', 'RUL']);
  writeCsv(testCsv, readCmapss(join(dataDir, `test_${subset}.txt`)), [...COLUMNS, 'condition']);
  const trueRul = readFileSync(join(dataDir, `RUL_${subset}.txt`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
  const registry = join(workDir, `models_${subset}`);
  const flags: TabularTrainFlags = {
    history: trainCsv,
    target: 'RUL',
    task: 'regression',
    features: options.features ?? CMAPSS_FEATURES,
    group: 'unit',
    order: 'cycle',
    windows: options.windows ?? CMAPSS_WINDOWS,
    normalizeBy: options.normalize === false ? undefined : 'condition',
    segment: 'condition',
    out: registry,
    seed: 1,
    quiet: options.quiet,
    grid: options.grid,
  };
  const sink = {
    stdout: (text: string) => void (options.quiet ? undefined : progress(`${subset}: ${text.trim()}`)),
    stderr: (text: string) => void (options.quiet ? undefined : progress(`${subset}: ${text.trim()}`)),
  };
  let began = performance.now();
  const trained = await runTrainTabular(flags, sink);
  if (trained !== 0) throw new Error(`nocai train exited with ${trained} on ${subset}`);
  const trainSeconds = (performance.now() - began) / 1000;
  let printed = '';
  began = performance.now();
  const predicted = await runPredictTabular(
    { model: registry, input: testCsv },
    { stdout: (text) => void (printed += text), stderr: sink.stderr }
  );
  if (predicted !== 0) throw new Error(`nocai predict exited with ${predicted} on ${subset}`);
  const predictSeconds = (performance.now() - began) / 1000;
  const { manifest } = await loadModel<TabularManifest>(registry, 'rul', 'champion');
  const report = manifest.metrics;
  const chosen = report.crossValidation.candidates.find(
    (c) => JSON.stringify(c.hyperparameters) === JSON.stringify(report.crossValidation.chosen)
  );
  const table = csvToTable(printed);
  return {
    subset,
    score: scoreLastCycles(table, trueRul),
    trainSeconds,
    predictSeconds,
    chosen: report.crossValidation.chosenDescription,
    cvRmse: -(chosen?.mean ?? NaN),
    candidates: report.crossValidation.candidates.length,
    features: report.features.count,
    heldOutRmse: 'rmse' in report.test ? report.test.rmse : NaN,
    registry,
    trainCsv,
    testCsv,
    predicted: table,
  };
}

interface SklearnAnchor {
  rmse: number;
  rmseCapped: number;
  fitSeconds: number;
}

/** Our exported model's feature matrix, written as float32 for scikit-learn, then its HGB scored the same way. */
async function sklearnAnchor(
  python: string,
  run: CmapssRun,
  workDir: string,
  trueRul: readonly number[]
): Promise<SklearnAnchor> {
  const { manifest } = await loadModel<TabularManifest>(run.registry, 'rul', 'champion');
  const train = csvToTable(readFileSync(run.trainCsv, 'utf8'));
  const test = csvToTable(readFileSync(run.testCsv, 'utf8'));
  const write = (name: string, values: Float32Array | Float64Array) => {
    const file = join(workDir, name);
    writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    return file;
  };
  const xTrain = buildFeatures(manifest.features, train.rows);
  const xTest = buildFeatures(manifest.features, test.rows);
  // Each test unit's last row, in unit order.
  const lastRow = new Map<number, number>();
  test.rows.forEach((row, i) => lastRow.set(Number(row.unit), i));
  const units = [...lastRow.keys()].sort((a, b) => a - b);
  const args = [
    PYTHON_SCRIPT,
    '--features',
    String(xTrain.featureCount),
    '--x-train',
    write('x_train.f32', xTrain.values),
    '--y-train',
    write(
      'y_train.f64',
      Float64Array.from(train.rows, (r) => Number(r.RUL))
    ),
    '--x-test',
    write('x_test.f32', xTest.values),
    '--test-rows',
    write(
      'test_rows.f64',
      Float64Array.from(units, (u) => lastRow.get(u) ?? 0)
    ),
    '--y-test',
    write(
      'y_test.f64',
      Float64Array.from(units, (u) => trueRul[u - 1])
    ),
    '--cap',
    String(RUL_CAP),
  ];
  return runPythonJson<SklearnAnchor>(python, args);
}

const f2 = (n: number) => n.toFixed(2);

/** Runs the subsets and prints their lines; skipped with a line when the data set is absent. */
export async function benchCmapss(
  subsets?: readonly CmapssSubset[],
  dataDir = DEFAULT_CMAPSS_DIR
): Promise<CmapssRun[]> {
  subsets ??= availableCmapssSubsets(dataDir);
  if (subsets.length === 0) {
    say(`C-MAPSS: skipped, no data at ${dataDir}`);
    return [];
  }
  const workDir = mkdtempSync(join(tmpdir(), 'nocai-bench-cmapss-'));
  const withSklearn = process.env.BENCH_SKLEARN !== '0';
  const runs: CmapssRun[] = [];
  const anchors = new Map<CmapssSubset, SklearnAnchor>();
  try {
    for (const subset of subsets) {
      const dir = mkdtempSync(join(workDir, `${subset}-`));
      const run = await runCmapss(subset, dataDir, dir);
      runs.push(run);
      const s = run.score;
      say(
        `C-MAPSS ${subset}: RMSE at each test unit's last cycle ${f2(s.rmse)} (true RUL; ${f2(s.rmseCapped)} against RUL capped at ${RUL_CAP}), ` +
          `PHM08 score ${s.score.toFixed(0)}, ${s.units} units, P10–P90 holds ${(100 * s.intervalCoverage).toFixed(0)}% of capped RULs ` +
          `(a perfect min(RUL, ${RUL_CAP}) would score ${f2(s.cappedOracleRmse)} against the true RUL); ` +
          `chosen by group CV on the training file: ${run.chosen} (CV RMSE ${f2(run.cvRmse)} over ${run.candidates} candidates, ` +
          `${run.features} features; held-out training units ${f2(run.heldOutRmse)}); nocai train ${run.trainSeconds.toFixed(0)} s, ` +
          `nocai predict ${run.predictSeconds.toFixed(1)} s`
      );
      if (withSklearn) {
        const trueRul = readFileSync(join(dataDir, `RUL_${subset}.txt`), 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map(Number);
        const anchor = await sklearnAnchor(ensureBenchPython(), run, dir, trueRul);
        anchors.set(subset, anchor);
        say(
          `C-MAPSS ${subset}: scikit-learn HistGradientBoostingRegressor (defaults) on the same ${run.features} features: ` +
            `RMSE ${f2(anchor.rmse)} (capped ${f2(anchor.rmseCapped)}), fit ${anchor.fitSeconds.toFixed(1)} s`
        );
      }
    }
    const columns = runs.map((r) => r.subset);
    say(
      `C-MAPSS test RMSE at the last cycle of each test unit (published figures from ../shared/datasets/cmapss/README.md):`
    );
    say(`  ${'method'.padEnd(44)}${columns.map((c) => c.padStart(9)).join('')}`);
    for (const row of PUBLISHED_RMSE)
      say(
        `  ${row.method.padEnd(44)}${columns.map((c) => (row.rmse[c] === undefined ? '–' : f2(row.rmse[c])).padStart(9)).join('')}`
      );
    say(`  ${'nocai (true test RUL)'.padEnd(44)}${runs.map((r) => f2(r.score.rmse).padStart(9)).join('')}`);
    say(
      `  ${`nocai (test RUL capped at ${RUL_CAP})`.padEnd(44)}${runs.map((r) => f2(r.score.rmseCapped).padStart(9)).join('')}`
    );
    say(
      `  ${`perfect min(RUL, ${RUL_CAP}), true RUL`.padEnd(44)}${runs.map((r) => f2(r.score.cappedOracleRmse).padStart(9)).join('')}` +
        '  (a published figure below it was measured against capped test RULs)'
    );
    if (anchors.size > 0) {
      say(
        `  ${'scikit-learn HGB on our features (true RUL)'.padEnd(44)}${columns.map((c) => f2(anchors.get(c)?.rmse ?? NaN).padStart(9)).join('')}`
      );
    }
    return runs;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  say(`NOC AI C-MAPSS benchmark: ${new Date().toISOString()}, node ${process.version}`);
  const parsed = parseCmapssSubsets(process.argv.slice(2), DEFAULT_CMAPSS_DIR);
  if ('error' in parsed) {
    process.stderr.write(`bench: ${parsed.error}\n`);
    process.exitCode = 2;
  } else {
    benchCmapss(parsed.subsets).catch((error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
