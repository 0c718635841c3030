import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ProblemCandidate } from '@nocai/contract';
import { csvToTable, toCsvRow } from '../adapters/files/csv';
import { runProblemsPredictFile, runProblemsTrainFile } from '../commands/problemsFile';
import type { ProblemsTrainFileFlags } from '../commands/problemsFile';
import type { ProblemReport, ProblemTrainOptions } from '../domain/problems/automl';
import { featureNames } from '../domain/problems/dataset';
import { alertFigures, alertRepeat, averagePrecision, rocAuc } from '../domain/problems/evaluation';
import type { AlertFigures, AlertRows } from '../domain/problems/evaluation';
import { tableRows } from '../domain/problems/table';
import type { TableEntity, TableProblemSpec } from '../domain/problems/table';
import { DEFAULT_CMAPSS_DIR, readCmapss, SENSORS } from './cmapss';
import { availableCmapssSubsets, parseCmapssSubsets, type CmapssSubset } from './cmapss';
import { progress, say } from './report';
import { runPythonJson } from './pythonAnchor';
import { ensureBenchPython } from './textModels';

/**
 * Issue 12, predictive alert problems on real data: NASA C-MAPSS (`../shared/datasets/cmapss`) as
 * the binary problem "the engine fails within 30 cycles", through `nocai problems train-file` and
 * `predict-file` as a user runs them, beside scikit-learn on exactly the same rows and features.
 *
 * - Label per row: RUL ≤ 30, with RUL = last cycle − cycle on the training file (every engine runs
 *   to failure) and RUL_FD00x[unit] + last test cycle − cycle on the test file.
 * - Split, fixed here before any test figure was seen: the training file's engines whose id is a
 *   multiple of 5 validate (model choice, threshold), the others train (CV by engine inside them);
 *   the test part is the dataset's test file with its RUL labels, used for figures only.
 * - Inputs: the sensors, z-scored per operating condition (rounded settings) with means and
 *   deviations of the training engines only; sensors constant there are dropped. Features: each
 *   sensor's value and, over the last 5, 15 and 30 cycles of the same engine, mean, min, max, std
 *   and slope (the problems' `rowFeatures`: an engine's earlier rows only, no look-ahead).
 *
 * FD003 (one condition, two fault modes: the closest to FD001, on which the project is measured and
 * which is not in ../shared) is the C-MAPSS problem: the bench writes its feature CSV once and both
 * our CLI and scikit-learn read it. FD002 (six conditions, 260 engines) is the second tabular file:
 * its raw CSV (normalised sensors, labels) goes through the CLI with --windows, as a user with a
 * raw file would run it, and scikit-learn reads the features the CLI's own code builds from it. It
 * was preferred to a NAB series as "anomaly window within h": the 17 NAB series hold 30 windows in
 * all, too few events for a PR-AUC that says anything, while FD002 has 260 failures.
 *
 * scikit-learn's GradientBoostingClassifier and HistGradientBoostingClassifier keep their defaults
 * and fit on the training engines (the rows our final model is fitted on). `npm run bench:problems
 * [FD001 FD002 FD003 FD004]` (by default FD003, FD002 and, once its files are added, FD001); needs `.venv-bench` (made on first use) for the anchors.
 */

export const FAILURE_WITHIN_CYCLES = 30;
export const PROBLEM_WINDOWS = [5, 15, 30];
export const LABEL = 'fails_30';
/** The training file's validation engines: every fifth id, a rule fixed before any test figure. */
export const isValidationEngine = (unit: number) => unit % 5 === 0;

const PYTHON_SCRIPT = resolve(__dirname, '../../src/bench/python/problem_baseline.py');
const ID_COLUMNS = ['unit', 'cycle', 'part'];

type Part = 'train' | 'validation' | 'test';

/** Engines of one file with their normalised sensors, labels and parts. */
interface EngineTable {
  entities: TableEntity[];
  parts: Part[];
  units: number[];
  cycles: number[];
}

export interface CmapssProblemData {
  sensors: string[];
  train: EngineTable;
  test: EngineTable;
  /** Each test engine's cycle of failure (its last cycle + its RUL), by unit id. */
  testFailureCycles: Map<number, number>;
}

export interface CmapssProblemOptions {
  /** Only the first this many engines of the training file (the test suite bounds its cost). */
  trainEngines?: number;
  /** Only the first this many engines of the test file. */
  testEngines?: number;
  /** Only these sensors (before the constant ones are dropped). */
  sensors?: string[];
}

const lastCycles = (rows: ReadonlyArray<Record<string, string>>) => {
  const last = new Map<string, number>();
  for (const r of rows) last.set(r.unit, Math.max(last.get(r.unit) ?? 0, Number(r.cycle)));
  return last;
};

/**
 * The subset's engines as tables: labels, parts and sensors normalised per operating condition
 * with the statistics of the training engines (the validation engines and the test file never
 * enter them).
 */
export function cmapssProblemData(
  subset: CmapssSubset,
  dataDir: string,
  options: CmapssProblemOptions = {}
): CmapssProblemData {
  let trainRows = readCmapss(join(dataDir, `train_${subset}.txt`));
  if (options.trainEngines !== undefined) {
    const limit = options.trainEngines;
    trainRows = trainRows.filter((r) => Number(r.unit) <= limit);
  }
  const testLimit = options.testEngines ?? Number.POSITIVE_INFINITY;
  const testRows = readCmapss(join(dataDir, `test_${subset}.txt`)).filter((r) => Number(r.unit) <= testLimit);
  const testRul = readFileSync(join(dataDir, `RUL_${subset}.txt`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
  const candidates = options.sensors ?? SENSORS;
  const fitting = trainRows.filter((r) => !isValidationEngine(Number(r.unit)));
  // Per condition and sensor: mean and standard deviation over the training engines.
  const stats = new Map<string, { n: number; sum: number[]; sumSq: number[] }>();
  for (const r of fitting) {
    const s = stats.get(r.condition) ?? { n: 0, sum: candidates.map(() => 0), sumSq: candidates.map(() => 0) };
    s.n++;
    candidates.forEach((c, i) => {
      const x = Number(r[c]);
      s.sum[i] += x;
      s.sumSq[i] += x * x;
    });
    stats.set(r.condition, s);
  }
  const normalised = (r: Record<string, string>, i: number) => {
    const s = stats.get(r.condition);
    if (!s) return NaN;
    const mean = s.sum[i] / s.n;
    const sd = Math.sqrt(Math.max(0, s.sumSq[i] / s.n - mean * mean));
    // A sensor constant within a condition says nothing there beyond the condition itself.
    return sd > 1e-9 * Math.max(1, Math.abs(mean)) ? (Number(r[candidates[i]]) - mean) / sd : 0;
  };
  const spread = candidates.map((_, i) => {
    let sum = 0;
    let sumSq = 0;
    for (const r of fitting) {
      const z = normalised(r, i);
      sum += z;
      sumSq += z * z;
    }
    return Math.sqrt(Math.max(0, sumSq / fitting.length - (sum / fitting.length) ** 2));
  });
  const kept = candidates.map((_, i) => i).filter((i) => spread[i] > 1e-6);
  const table = (
    rows: ReadonlyArray<Record<string, string>>,
    rul: (r: Record<string, string>) => number,
    part: (unit: number) => Part
  ): EngineTable => {
    const byUnit = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const members = byUnit.get(r.unit);
      if (members) members.push(i);
      else byUnit.set(r.unit, [i]);
    });
    const entities: TableEntity[] = [];
    for (const [unit, members] of byUnit) {
      const order = members.sort((a, b) => Number(rows[a].cycle) - Number(rows[b].cycle));
      entities.push({
        entity: unit,
        rows: order,
        // As the raw CSV carries them (float32 text), so features built from either file agree.
        values: kept.map((i) => Float64Array.from(order, (k) => Math.fround(normalised(rows[k], i)))),
        labels: Uint8Array.from(order, (k) => (rul(rows[k]) <= FAILURE_WITHIN_CYCLES ? 1 : 0)),
        times: Float64Array.from(order, (k) => Number(rows[k].cycle)),
      });
    }
    return {
      entities,
      parts: rows.map((r) => part(Number(r.unit))),
      units: rows.map((r) => Number(r.unit)),
      cycles: rows.map((r) => Number(r.cycle)),
    };
  };
  const trainLast = lastCycles(trainRows);
  const testLast = lastCycles(testRows);
  return {
    sensors: kept.map((i) => candidates[i]),
    train: table(
      trainRows,
      (r) => (trainLast.get(r.unit) ?? 0) - Number(r.cycle),
      (unit) => (isValidationEngine(unit) ? 'validation' : 'train')
    ),
    test: table(
      testRows,
      (r) => testRul[Number(r.unit) - 1] + (testLast.get(r.unit) ?? 0) - Number(r.cycle),
      () => 'test'
    ),
    testFailureCycles: new Map([...testLast].map(([unit, last]) => [Number(unit), last + testRul[Number(unit) - 1]])),
  };
}

/** A float32 as text that reads back to the same float32 (its double's shortest form: fast, if long). */
const float32Text = (x: number) => String(Math.fround(x));

/** Writes lines to `file` in chunks (the feature files run to a hundred MB). */
function writeLines(file: string, header: string, lines: (emit: (line: string) => void) => void): void {
  const fd = openSync(file, 'w');
  let buffer = `${header}\n`;
  try {
    lines((line) => {
      buffer += `${line}\n`;
      if (buffer.length > 1 << 20) {
        writeSync(fd, buffer);
        buffer = '';
      }
    });
    writeSync(fd, buffer);
  } finally {
    closeSync(fd);
  }
}

const specOf = (sensors: string[], windows: number[]): TableProblemSpec => ({
  label: LABEL,
  features: sensors,
  time: 'cycle',
  group: 'unit',
  windows,
});

/** unit, cycle, part, label and every feature: the file both our CLI and scikit-learn read. */
export function writeFeatureCsv(file: string, table: EngineTable, sensors: string[], windows: number[]): number {
  const spec = specOf(sensors, windows);
  const names = featureNames({ variables: sensors, windowSteps: windows });
  const { rows, tableRow } = tableRows(table.entities, spec);
  const F = rows.matrix.featureCount;
  writeLines(file, toCsvRow([...ID_COLUMNS, LABEL, ...names]), (emit) => {
    for (let i = 0; i < rows.matrix.rowCount; i++) {
      const r = tableRow[i];
      const values = Array.from(rows.matrix.values.subarray(i * F, (i + 1) * F), float32Text);
      emit(toCsvRow([table.units[r], table.cycles[r], table.parts[r], rows.labels[i], ...values]));
    }
  });
  return names.length;
}

/** unit, cycle, part, label and the normalised sensors: a raw file for `train-file --windows`. */
export function writeRawCsv(file: string, table: EngineTable, sensors: string[]): void {
  const cells: string[][] = table.units.map((u, r) => [
    String(u),
    String(table.cycles[r]),
    table.parts[r],
    '',
    ...sensors.map(() => ''),
  ]);
  for (const e of table.entities) {
    e.rows.forEach((r, k) => {
      cells[r][3] = String(e.labels[k]);
      e.values.forEach((v, s) => (cells[r][4 + s] = float32Text(v[k])));
    });
  }
  writeLines(file, toCsvRow([...ID_COLUMNS, LABEL, ...sensors]), (emit) => cells.forEach((c) => emit(toCsvRow(c))));
}

export interface ProblemFigures {
  prAuc: number;
  rocAuc: number;
  rows: number;
}

export interface CmapssProblemRun {
  subset: CmapssSubset;
  mode: 'feature CSV' | 'raw CSV with --windows';
  report: ProblemReport;
  test: ProblemFigures & {
    positives: number;
    precisionAtThreshold: number;
    recallAtThreshold: number;
    /** The alerts the threshold raises on the test engines, judged like tickets (`alertFigures`). */
    alerts: AlertFigures;
  };
  trainSeconds: number;
  features: number;
  sensors: string[];
  trainCsv: string;
  /** The feature CSVs scikit-learn reads. */
  sklearnTrainCsv: string;
  sklearnTestCsv: string;
}

/**
 * The scored test rows as the alerts see them: per engine in cycle order, its failure an event when
 * the horizon before it holds a row of the file (the file stops earlier on most engines). The
 * event starts one cycle after the failure's row, as train-file counts it on the training engines.
 */
function testAlertRows(scored: ReadonlyArray<Record<string, string>>, failureCycles: Map<number, number>): AlertRows {
  const units = [...new Set(scored.map((r) => Number(r.unit)))];
  const index = new Map(units.map((u, i) => [u, i]));
  const last = new Map<number, number>();
  for (const r of scored) last.set(Number(r.unit), Math.max(last.get(Number(r.unit)) ?? 0, Number(r.cycle)));
  const onsets = units.map((u) => {
    const onset = (failureCycles.get(u) ?? NaN) + 1;
    return onset - FAILURE_WITHIN_CYCLES <= (last.get(u) ?? -Infinity) ? [onset] : [];
  });
  return {
    timesMs: scored.map((r) => Number(r.cycle)),
    entityOf: scored.map((r) => index.get(Number(r.unit)) ?? -1),
    labels: scored.map((r) => Number(r[LABEL])),
    onsetTimesMs: onsets,
    stepMs: 1,
    horizonMs: FAILURE_WITHIN_CYCLES,
    repeat: alertRepeat({ size: 1 }, FAILURE_WITHIN_CYCLES, 1),
  };
}

/**
 * One subset through `nocai problems train-file` (validation engines choose, CV by engine) and
 * `predict-file` on the test engines, in `workDir`.
 */
export async function runCmapssProblem(
  subset: CmapssSubset,
  dataDir: string,
  workDir: string,
  options: CmapssProblemOptions & {
    mode?: CmapssProblemRun['mode'];
    windows?: number[];
    candidates?: ProblemCandidate[];
    grids?: ProblemTrainOptions['grids'];
    quiet?: boolean;
  } = {}
): Promise<CmapssProblemRun> {
  const mode = options.mode ?? 'feature CSV';
  const windows = options.windows ?? PROBLEM_WINDOWS;
  const data = cmapssProblemData(subset, dataDir, options);
  const featureTrain = join(workDir, `features_train_${subset}.csv`);
  const featureTest = join(workDir, `features_test_${subset}.csv`);
  const features = writeFeatureCsv(featureTrain, data.train, data.sensors, windows);
  writeFeatureCsv(featureTest, data.test, data.sensors, windows);
  let trainCsv = featureTrain;
  let testCsv = featureTest;
  const flags: ProblemsTrainFileFlags = {
    input: featureTrain,
    label: LABEL,
    group: 'unit',
    time: 'cycle',
    split: 'part',
    horizon: FAILURE_WITHIN_CYCLES,
    name: `cmapss-${subset.toLowerCase()}-fails-within-${FAILURE_WITHIN_CYCLES}`,
    out: join(workDir, `model_${subset}`),
    quiet: options.quiet,
    ...(options.candidates ? { candidates: options.candidates } : {}),
  };
  if (mode === 'raw CSV with --windows') {
    trainCsv = join(workDir, `raw_train_${subset}.csv`);
    testCsv = join(workDir, `raw_test_${subset}.csv`);
    writeRawCsv(trainCsv, data.train, data.sensors);
    writeRawCsv(testCsv, data.test, data.sensors);
    Object.assign(flags, { input: trainCsv, features: data.sensors, windows });
  } else {
    // The feature CSV's inputs are every column but unit, cycle, part and the label.
    Object.assign(flags, { features: undefined });
  }
  const sink = {
    stdout: (text: string) => void (options.quiet ? undefined : progress(`${subset}: ${text.trim()}`)),
    stderr: (text: string) => void (options.quiet ? undefined : progress(`${subset}: ${text.trim()}`)),
  };
  const began = performance.now();
  const code = await runProblemsTrainFile(flags, sink, options.grids ? { grids: options.grids } : {});
  if (code !== 0) throw new Error(`nocai problems train-file exited with ${code} on ${subset}`);
  const trainSeconds = (performance.now() - began) / 1000;
  const report = JSON.parse(readFileSync(join(flags.out, 'report.json'), 'utf8')) as ProblemReport;
  const manifest = JSON.parse(readFileSync(join(flags.out, 'manifest.json'), 'utf8')) as { threshold: number };
  let printed = '';
  const predicted = await runProblemsPredictFile(
    { model: flags.out, input: testCsv },
    { stdout: (text) => void (printed += text), stderr: sink.stderr }
  );
  if (predicted !== 0) throw new Error(`nocai problems predict-file exited with ${predicted} on ${subset}`);
  const scored = csvToTable(printed).rows;
  const p = scored.map((r) => Number(r.probability));
  const y = scored.map((r) => Number(r[LABEL]));
  const alerts = p.map((v) => v >= manifest.threshold);
  const tp = alerts.filter((a, i) => a && y[i] === 1).length;
  const positives = y.filter((v) => v === 1).length;
  const testAlerts = alertFigures(p, testAlertRows(scored, data.testFailureCycles), manifest.threshold);
  return {
    subset,
    mode,
    report,
    test: {
      prAuc: averagePrecision(p, y),
      rocAuc: rocAuc(p, y),
      rows: scored.length,
      positives,
      precisionAtThreshold: tp / Math.max(1, alerts.filter(Boolean).length),
      recallAtThreshold: tp / Math.max(1, positives),
      alerts: testAlerts,
    },
    trainSeconds,
    features,
    sensors: data.sensors,
    trainCsv,
    sklearnTrainCsv: featureTrain,
    sklearnTestCsv: featureTest,
  };
}

interface SklearnFigures {
  fitSeconds: number;
  validation: ProblemFigures;
  test: ProblemFigures;
}

interface SklearnAnchor {
  features: number;
  fitRows: number;
  gbc?: SklearnFigures;
  hgb?: SklearnFigures;
}

/** scikit-learn on the same feature CSVs; started in the background so it runs while ours does. */
export function sklearnProblemAnchor(
  python: string,
  trainCsv: string,
  testCsv: string,
  models = 'gbc,hgb'
): Promise<SklearnAnchor> {
  const args = [
    PYTHON_SCRIPT,
    '--train',
    trainCsv,
    '--test',
    testCsv,
    '--label',
    LABEL,
    '--id-columns',
    ID_COLUMNS.join(','),
    '--models',
    models,
  ];
  return runPythonJson<SklearnAnchor>('nice', [python, ...args]);
}

const f3 = (n: number) => n.toFixed(3);
const ratioTo = (ours: number, theirs: number | undefined) =>
  theirs === undefined || theirs <= 0 ? 'n/a' : `${(ours / theirs).toFixed(2)}×`;

export interface BenchProblemSubset {
  subset: CmapssSubset;
  mode: CmapssProblemRun['mode'];
  windows?: number[];
  candidates?: ProblemCandidate[];
}

/**
 * FD002 has twice FD003's rows: two windows, and GBT and logistic regression only (`--candidates`),
 * keep the bench within minutes on two busy cores; the random forest re-bins the features for every
 * tree and would take half an hour here. Every candidate keeps its default grid.
 */
export const BENCH_PROBLEM_SUBSETS: readonly BenchProblemSubset[] = [
  { subset: 'FD003', mode: 'feature CSV' },
  {
    subset: 'FD002',
    mode: 'raw CSV with --windows',
    windows: [10, 30],
    candidates: ['gbt', 'logistic'],
  },
];

/** Each subset's run and its anchor, printed; skipped with a line when the data set is absent. */
export async function benchProblems(
  subsets?: readonly BenchProblemSubset[],
  dataDir = DEFAULT_CMAPSS_DIR
): Promise<CmapssProblemRun[]> {
  subsets ??= defaultProblemSubsets(dataDir);
  if (subsets.length === 0) {
    say(`C-MAPSS problems: skipped, no data at ${dataDir}`);
    return [];
  }
  const workDir = mkdtempSync(join(tmpdir(), 'nocai-bench-problems-'));
  const runs: CmapssProblemRun[] = [];
  try {
    const python = ensureBenchPython();
    for (const { subset, mode, windows, candidates } of subsets) {
      const dir = mkdtempSync(join(workDir, `${subset}-`));
      const run = await runCmapssProblem(subset, dataDir, dir, { mode, windows, candidates });
      runs.push(run);
      progress(`${subset}: scikit-learn on the same feature CSVs`);
      const anchor = await sklearnProblemAnchor(python, run.sklearnTrainCsv, run.sklearnTestCsv);
      const r = run.report;
      const v = r.validation;
      say(
        `C-MAPSS ${subset} "fails within ${FAILURE_WITHIN_CYCLES} cycles" (${run.mode}; ${run.sensors.length} sensors, ${run.features} features; ` +
          `engines id%5=0 validate): nocai problems train-file ${run.trainSeconds.toFixed(0)} s, winner ${r.winner.candidate} (${r.winner.spec}), ` +
          `${r.cv.folds}-fold ${r.cv.kind} CV; rows ${r.rows.training} training / ${r.rows.validation} validation / ${run.test.rows} test ` +
          `(${r.rows.positiveTraining} / ${r.rows.positiveValidation} / ${run.test.positives} positive)`
      );
      say(
        `  candidates on validation (PR-AUC): ${r.candidates.map((c) => `${c.candidate} ${f3(c.validation.prAuc)}`).join(', ')}; ` +
          `no skill ${f3(v.noSkillPrAuc)}, best single input ${v.bestSingleSeries.feature} ${f3(v.bestSingleSeries.prAuc)}`
      );
      say(
        `  threshold ${f3(r.threshold.probability)} (${r.threshold.policy.policy}${r.threshold.met ? '' : ', target not met'}): ` +
          `validation precision ${f3(v.atThreshold.precision)} recall ${f3(v.atThreshold.recall)}; ` +
          `test precision ${f3(run.test.precisionAtThreshold)} recall ${f3(run.test.recallAtThreshold)}`
      );
      const a = run.test.alerts;
      say(
        `  as alerts on the test engines (one per crossing, again every ${FAILURE_WITHIN_CYCLES} cycles while high): ` +
          `${a.warned} of ${a.events} failures within reach warned, median lead ${a.medianLead ?? 'n/a'} cycles; ` +
          `${a.truePositives} of ${a.alerts} alerts right (${f3(a.precision)})`
      );
      if (anchor.fitRows !== r.rows.training || anchor.features !== run.features) {
        throw new Error(
          `scikit-learn read ${anchor.fitRows} training rows and ${anchor.features} features, ours ${r.rows.training} and ${run.features}`
        );
      }
      say(
        `  ${'PR-AUC (ROC-AUC)'.padEnd(44)}${'validation'.padStart(18)}${'test'.padStart(18)}${'train s'.padStart(9)}${'test PR-AUC ours/theirs'.padStart(26)}`
      );
      const line = (name: string, validation: ProblemFigures, test: ProblemFigures, seconds: number, ratio: string) =>
        say(
          `  ${name.padEnd(44)}${`${f3(validation.prAuc)} (${f3(validation.rocAuc)})`.padStart(18)}` +
            `${`${f3(test.prAuc)} (${f3(test.rocAuc)})`.padStart(18)}${seconds.toFixed(0).padStart(9)}${ratio.padStart(26)}`
        );
      line(
        'nocai problems train-file (whole AutoML)',
        { prAuc: v.prAuc, rocAuc: v.rocAuc, rows: r.rows.validation },
        run.test,
        run.trainSeconds,
        ''
      );
      if (anchor.gbc)
        line(
          'scikit-learn GradientBoostingClassifier',
          anchor.gbc.validation,
          anchor.gbc.test,
          anchor.gbc.fitSeconds,
          ratioTo(run.test.prAuc, anchor.gbc.test.prAuc)
        );
      if (anchor.hgb)
        line(
          'scikit-learn HistGradientBoostingClassifier',
          anchor.hgb.validation,
          anchor.hgb.test,
          anchor.hgb.fitSeconds,
          ratioTo(run.test.prAuc, anchor.hgb.test.prAuc)
        );
    }
    return runs;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** A subset run as the default list runs it: FD004 as FD002 (six conditions), FD001 as FD003 (one). */
function asDefaultRuns(subset: CmapssSubset): BenchProblemSubset {
  return (
    BENCH_PROBLEM_SUBSETS.find((s) => s.subset === subset) ?? {
      ...BENCH_PROBLEM_SUBSETS[subset === 'FD001' ? 0 : 1],
      subset,
    }
  );
}

/** The default list's subsets whose files are present, and FD001 when its files are added. */
function defaultProblemSubsets(dataDir: string): BenchProblemSubset[] {
  const available = availableCmapssSubsets(dataDir);
  return [
    ...(available.includes('FD001') ? [asDefaultRuns('FD001')] : []),
    ...BENCH_PROBLEM_SUBSETS.filter((s) => available.includes(s.subset)),
  ];
}

if (require.main === module) {
  say(`NOC AI problems benchmark: ${new Date().toISOString()}, node ${process.version}`);
  const parsed = process.argv.length > 2 ? parseCmapssSubsets(process.argv.slice(2), DEFAULT_CMAPSS_DIR) : undefined;
  if (parsed && 'error' in parsed) {
    process.stderr.write(`bench: ${parsed.error}\n`);
    process.exitCode = 2;
  } else {
    benchProblems(parsed?.subsets.map(asDefaultRuns)).catch((error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
