/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { csvToTable, toCsvRow } from '../adapters/files/csv';
import { seededRandom } from '../domain/mlops/gbt';
import { averagePrecision } from '../domain/problems/evaluation';
import { captureIo } from './capturedIo';
import { registerProblems } from './problems';
import { runProblemsPredictFile, runProblemsTrainFile } from './problemsFile';
import type { ProblemsTrainFileFlags } from './problemsFile';

// Small grids keep the test quick; the bench runs the default ones.
const GRIDS = {
  gbt: [{ kind: 'gbt' as const, maxDepth: 3, nTrees: 40, learningRate: 0.1, minSamplesLeaf: 10 }],
  logistic: [{ kind: 'logistic' as const, C: 1 }],
  random_forest: [
    { kind: 'random_forest' as const, maxDepth: 4, nTrees: 10, minSamplesLeaf: 10, featureFraction: 0.5 },
  ],
};

/**
 * Machines that run until they fail: `wear` climbs over the last 25 cycles of each life, `noise`
 * is noise. `fails_10` is 1 on the last 10 cycles (failure within 10 cycles). Every fifth machine
 * validates. A steep climb (`wearPerCycle` 1) separates the last cycles so well that logistic
 * regression's probabilities saturate: many validation rows lie within float32's last steps
 * below 1, where the served graph's probabilities and float64 ones round apart.
 */
function machines(count: number, wearPerCycle = 0.2): string {
  const random = seededRandom(7);
  const lines = [toCsvRow(['machine', 'cycle', 'wear', 'noise', 'fails_10', 'part'])];
  for (let m = 1; m <= count; m++) {
    const life = 80 + Math.floor(random() * 60);
    for (let c = 1; c <= life; c++) {
      const left = life - c;
      const wear = (left < 25 ? (25 - left) * wearPerCycle : 0) + random();
      lines.push(
        toCsvRow([m, c, wear.toFixed(4), random().toFixed(4), left < 10 ? 1 : 0, m % 5 === 0 ? 'validation' : 'train'])
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('nocai problems train-file and predict-file', () => {
  let dir: string;
  let input: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-problems-file-'));
    input = join(dir, 'machines.csv');
    writeFileSync(input, machines(40));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const flags = (overrides: Partial<ProblemsTrainFileFlags> = {}): ProblemsTrainFileFlags => ({
    input,
    label: 'fails_10',
    features: ['wear', 'noise'],
    time: 'cycle',
    group: 'machine',
    windows: [5, 10],
    split: 'part',
    out: join(dir, 'model'),
    quiet: true,
    ...overrides,
  });

  it('When a table holds a precursor, then the model beats no skill on the validation machines and predict-file scores them as the report says', async () => {
    const train = captureIo();
    const code = await runProblemsTrainFile(flags(), train, { grids: GRIDS });
    expect(train.err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'model', 'report.json'), 'utf8'));
    expect(report.cv.kind).toBe('group k-fold by entity');
    expect(report.candidates.map((c: { candidate: string }) => c.candidate)).toEqual([
      'gbt',
      'logistic',
      'random_forest',
    ]);
    // 2 inputs × (last + 2 windows × 5 statistics).
    expect(report.features.count).toBe(22);
    expect(report.validation.prAuc).toBeGreaterThan(0.7);
    expect(report.validation.prAuc).toBeGreaterThan(3 * report.validation.noSkillPrAuc);
    expect(report.validation.atThreshold.precision).toBeGreaterThan(0);
    expect(train.out).toMatch(/validation PR-AUC 0\.\d{3}/);
    // No --horizon: the label's reach (its last 10 cycles) is the horizon, and the alerts warn of the
    // validation machines' failures instead of falling back to 0.5 for want of a horizon.
    const manifest = JSON.parse(readFileSync(join(dir, 'model', 'manifest.json'), 'utf8'));
    expect(manifest.split.horizon).toBe(10);
    expect(report.threshold.met).toBe(true);
    expect(report.threshold.alerts.events).toBe(8);
    expect(report.threshold.alerts.warned).toBeGreaterThanOrEqual(7);
    expect(train.out).toMatch(/ [78]\/8 runs warned, median lead \d+ cycle units/);
    // The summary counts alerts as the threshold was chosen on (one per crossing), rows apart.
    const chosen = report.threshold.alerts;
    expect(train.out).toContain(`: ${chosen.truePositives} of ${chosen.alerts} validation alerts right, `);
    expect(train.out).toContain(`(${report.validation.atThreshold.alerts} rows)`);

    // The validation machines through predict-file: the exported graph and the rebuilt windows.
    const validation = join(dir, 'validation.csv');
    const table = csvToTable(readFileSync(input, 'utf8'));
    const kept = table.rows.filter((r) => r.part === 'validation');
    writeFileSync(
      validation,
      `${[toCsvRow(table.columns), ...kept.map((r) => toCsvRow(table.columns.map((c) => r[c])))].join('\n')}\n`
    );
    const predict = captureIo();
    expect(await runProblemsPredictFile({ model: join(dir, 'model'), input: validation }, predict)).toBe(0);
    const scored = csvToTable(predict.out);
    expect(scored.columns.slice(-2)).toEqual(['probability', 'alert']);
    expect(scored.rows).toHaveLength(kept.length);
    const p = scored.rows.map((r) => Number(r.probability));
    const y = scored.rows.map((r) => Number(r.fails_10));
    expect(averagePrecision(p, y)).toBeCloseTo(report.validation.prAuc, 3);
    const alerts = scored.rows.filter((r) => r.alert === '1').length;
    expect(alerts).toBe(report.validation.atThreshold.alerts);
  });

  it('When the validation probabilities saturate, then predict-file raises on the validation rows exactly the alerts the report counts', async () => {
    const steep = join(dir, 'steep.csv');
    writeFileSync(steep, machines(40, 1));
    const validation = join(dir, 'steep-validation.csv');
    const table = csvToTable(readFileSync(steep, 'utf8'));
    const kept = table.rows.filter((r) => r.part === 'validation');
    writeFileSync(
      validation,
      `${[toCsvRow(table.columns), ...kept.map((r) => toCsvRow(table.columns.map((c) => r[c])))].join('\n')}\n`
    );

    /** Trains with `policy`, predicts the validation rows, and checks the alerts against the report. */
    const trainAndCompare = async (out: string, policy: Partial<ProblemsTrainFileFlags>) => {
      const train = captureIo();
      const code = await runProblemsTrainFile(
        flags({ input: steep, out, horizon: 10, candidates: ['logistic'], ...policy }),
        train,
        { grids: GRIDS }
      );
      expect(train.err).toBe('');
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.threshold).toBe(report.threshold.probability);
      const predict = captureIo();
      expect(await runProblemsPredictFile({ model: out, input: validation }, predict)).toBe(0);
      const scored = csvToTable(predict.out).rows;
      expect(scored).toHaveLength(report.rows.validation);
      const alerted = scored.filter((r) => r.alert === '1');
      // The alerts a user sees are the ones the report counts, and the right ones among them too.
      expect(alerted.length).toBe(report.validation.atThreshold.alerts);
      expect(alerted.filter((r) => r.fails_10 === '1').length).toBe(report.validation.atThreshold.truePositives);
      // Per machine, the alerts' precision and recall are what the report's segments say.
      for (const segment of report.validation.segments as Array<{
        entity: string;
        precision: number;
        recall: number;
      }>) {
        const rows = scored.filter((r) => r.machine === segment.entity);
        const hits = rows.filter((r) => r.alert === '1');
        const right = hits.filter((r) => r.fails_10 === '1').length;
        const positives = rows.filter((r) => r.fails_10 === '1').length;
        expect(hits.length > 0 ? right / hits.length : 0).toBeCloseTo(segment.precision, 12);
        expect(positives > 0 ? right / positives : 0).toBeCloseTo(segment.recall, 12);
      }
      return { report, scored };
    };

    // The threshold the precision policy picks among the served probabilities.
    const chosen = await trainAndCompare(join(dir, 'steep'), { precision: 0.7 });
    // Saturated: many rows lie within float32's last few steps below 1 ...
    const saturated = chosen.scored
      .map((r) => Number(r.probability))
      .filter((p) => p > 1 - 1e-6)
      .sort((a, b) => a - b);
    expect(saturated.length).toBeGreaterThan(20);
    // ... and a threshold among them splits them as the served model does.
    const fixed = await trainAndCompare(join(dir, 'steep-fixed'), {
      threshold: saturated[Math.floor(saturated.length / 2)],
    });
    expect(fixed.report.threshold.probability).toBeGreaterThan(1 - 1e-6);
    expect(fixed.report.validation.atThreshold.alerts).toBeGreaterThan(0);
    expect(fixed.report.validation.atThreshold.alerts).toBeLessThan(saturated.length);
  });

  it('When the rows are cut by time, then the CV is rolling-origin and the validation rows come after the cut', async () => {
    const one = join(dir, 'one.csv');
    const table = csvToTable(readFileSync(input, 'utf8'));
    // The machines one after another on one clock: a single entity, cut at a time.
    let clock = 0;
    const lines = [toCsvRow(['t', 'wear', 'noise', 'fails_10'])];
    for (const r of table.rows) lines.push(toCsvRow([++clock, r.wear, r.noise, r.fails_10]));
    writeFileSync(one, `${lines.join('\n')}\n`);
    const run = captureIo();
    const code = await runProblemsTrainFile(
      flags({
        input: one,
        group: undefined,
        split: undefined,
        time: 't',
        trainUntil: String(Math.round(clock * 0.75)),
        horizon: 10,
        out: join(dir, 'one'),
      }),
      run,
      { grids: GRIDS }
    );
    expect(run.err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'one', 'report.json'), 'utf8'));
    expect(report.cv.kind).toBe('rolling-origin, purged by the horizon');
    expect(report.rows.validation).toBe(clock - Math.round(clock * 0.75) + 1);
    expect(report.validation.prAuc).toBeGreaterThan(3 * report.validation.noSkillPrAuc);
    // The time column counts steps, not minutes: the alerts' lead is in its unit, within the horizon of 10.
    expect(report.validation.leadTime.unit).toBe('t units');
    expect(report.validation.leadTime.warned).toBeGreaterThan(0);
    expect(report.validation.leadTime.median).toBeGreaterThan(0);
    expect(report.validation.leadTime.max).toBeLessThanOrEqual(10);
    expect(run.out).toMatch(/runs warned, median lead \d+(\.\d+)? t units/);
  });

  it('When runs on their own clocks are cut by --train-until before any of them ends, then train-file points to --split and exits with 2', async () => {
    // The machines live 80 to 139 cycles, each counting from 1: a cut at cycle 50 trains on cycles up
    // to 40, before the last 10 of any machine, so on no row labelled 1.
    const table = csvToTable(readFileSync(input, 'utf8'));
    const lives = new Map<string, number>();
    for (const r of table.rows) lives.set(r.machine, Number(r.cycle));
    const cut = 50;
    const trainingRows = table.rows.filter((r) => Number(r.cycle) + 10 <= cut);
    expect(trainingRows.some((r) => r.fails_10 === '1')).toBe(false);
    expect([...lives.values()].every((life) => life + 10 > cut)).toBe(true);
    const refused = captureIo();
    const out = join(dir, `cut-${cut}`);
    const refusedCode = await runProblemsTrainFile(
      flags({ split: undefined, windows: undefined, trainUntil: String(cut), out }),
      refused,
      { grids: GRIDS }
    );
    expect(refused.err).toBe(
      `nocai problems train-file: ${input}: no run ends in its event within the training part ` +
        `(none of the ${trainingRows.length} rows whose label looks no further than --train-until ${cut} is labelled 1), ` +
        'so the model would learn no failure; give --split COLUMN to put whole runs in training or validation ' +
        '(all the rows of a "machine" in one part), or a later --train-until.\n'
    );
    expect(refusedCode).toBe(2);
    expect(refused.out).toBe('');
    expect(existsSync(out)).toBe(false);

    // A cut after which runs have ended trains as before.
    const late = 130;
    expect([...lives.values()].filter((life) => life + 10 <= late).length).toBeGreaterThan(3);
    const run = captureIo();
    const code = await runProblemsTrainFile(
      flags({ split: undefined, windows: undefined, trainUntil: String(late), out: join(dir, 'cut-late') }),
      run,
      { grids: GRIDS }
    );
    expect(run.err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'cut-late', 'report.json'), 'utf8'));
    expect(report.events.training).toBeGreaterThan(0);
  });

  /**
   * Engines on their own clocks, each failing after its last cycle: `fails_5` is 1 on its last 5
   * cycles, `wear` climbs over them. With --train-until 42 a training row's label must end by
   * cycle 42, so training holds the rows up to cycle 37: all of the runs of the engines living 20
   * to 32 cycles, the first row labelled 1 of the one living 41 (ending one step before the cut),
   * none of the one living 42 (ending at the cut), which validates with the longer lives.
   */
  const engines = (name: string) => {
    const random = seededRandom(11);
    const lines = [toCsvRow(['unit', 'cycle', 'wear', 'fails_5'])];
    [20, 24, 28, 32, 41, 42, 50, 60, 70].forEach((life, unit) => {
      for (let c = 1; c <= life; c++) {
        const left = life - c;
        lines.push(toCsvRow([unit + 1, c, ((left < 5 ? 5 - left : 0) + random()).toFixed(4), left < 5 ? 1 : 0]));
      }
    });
    const file = join(dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const engineFlags = (file: string, trainUntil: number, out: string) =>
    flags({
      input: file,
      label: 'fails_5',
      features: ['wear'],
      group: 'unit',
      split: undefined,
      windows: undefined,
      trainUntil: String(trainUntil),
      out,
    });

  it('When a run ends one step before the --train-until cut, then the training part counts it as the rows it trained on', async () => {
    const file = engines('engines.csv');
    const run = captureIo();
    const out = join(dir, 'engines');
    expect(await runProblemsTrainFile(engineFlags(file, 42, out), run, { grids: GRIDS })).toBe(0);
    expect(run.err).toBe('');
    const table = csvToTable(readFileSync(file, 'utf8'));
    const labelled = (r: Record<string, string>) => r.fails_5 === '1';
    const training = table.rows.filter((r) => Number(r.cycle) + 5 <= 42);
    const validation = table.rows.filter((r) => Number(r.cycle) >= 42);
    const runsIn = (rows: Record<string, string>[]) => new Set(rows.filter(labelled).map((r) => r.unit)).size;
    // Units 1-5 train (unit 5, living 41, by its cycle 37 alone); units 6-9 validate (unit 6 by its cycle 42 alone).
    expect(runsIn(training)).toBe(5);
    expect(runsIn(validation)).toBe(4);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.events).toEqual({ training: 5, validation: 4 });
    expect(run.out).toContain(
      `  rows ${training.length} training (${training.filter(labelled).length} positive, 5 runs) / ` +
        `${validation.length} validation (${validation.filter(labelled).length} positive, 4 runs); `
    );
  });

  it('When --train-until leaves a part without rows, then train-file names the cuts that would not and exits with 2', async () => {
    const file = engines('engines-cut.csv');
    for (const [cut, training, validation] of [
      // 367 rows in all; at 71 the last 4 cycles of the engine living 70 look past the cut.
      [0, 0, 367],
      [71, 363, 0],
    ]) {
      const run = captureIo();
      expect(await runProblemsTrainFile(engineFlags(file, cut, join(dir, 'cut-empty')), run, { grids: GRIDS })).toBe(2);
      expect(run.err).toBe(
        `nocai problems train-file: ${file}: --train-until ${cut} leaves ${training} training rows and ${validation} validation rows; ` +
          "the times run from 1 to 70 and a training row's label looks 5 ahead, so give a cut from 6 to 70.\n"
      );
    }
  });

  it('When a part holds too few rows labelled 1, then the advice fits --train-until or --split', async () => {
    // A cut at 24 trains on cycles up to 19: 4 rows labelled 1 of the engine living 20, under 2 per fold.
    const cut = captureIo();
    expect(
      await runProblemsTrainFile(engineFlags(engines('engines-early.csv'), 24, join(dir, 'early')), cut, {
        grids: GRIDS,
      })
    ).toBe(2);
    expect(cut.err).toBe(
      'nocai problems train-file: only 4 training rows and 36 validation rows precede an event within the horizon ' +
        '(5, as labelled in the file); give a later --train-until (training needs 2 rows labelled 1 per CV fold, ' +
        '6 with 3 folds) or fewer --folds.\n'
    );
    const zeroed = (part: string, name: string) =>
      rewritten(name, (column, cell, _row, cells) => (column === 'fails_10' && cells.part === part ? '0' : cell));
    const trainingShort = captureIo();
    expect(await runProblemsTrainFile(flags({ input: zeroed('train', 'no-train.csv') }), trainingShort)).toBe(2);
    expect(trainingShort.err).toMatch(
      /^nocai problems train-file: only 0 training rows and \d+ validation rows precede an event within the horizon \(10, as labelled in the file\); mark more runs that end in the event "train" in the split column "part" \(training needs 2 rows labelled 1 per CV fold, 6 with 3 folds\), or give fewer --folds\.\n$/
    );
    const validationShort = captureIo();
    expect(
      await runProblemsTrainFile(flags({ input: zeroed('validation', 'no-validation.csv') }), validationShort)
    ).toBe(2);
    expect(validationShort.err).toMatch(
      /^nocai problems train-file: only \d+ training rows and 0 validation rows precede an event within the horizon \(10, as labelled in the file\); mark some runs that end in the event "validation" in the split column "part"\.\n$/
    );
  });

  const badTable = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  /** The machines' table with every cell passed through `change(column, cell, row index, row)`. */
  const rewritten = (
    name: string,
    change: (column: string, cell: string, row: number, cells: Record<string, string>) => string
  ) => {
    const table = csvToTable(readFileSync(input, 'utf8'));
    const lines = [toCsvRow(table.columns)];
    table.rows.forEach((r, i) => lines.push(toCsvRow(table.columns.map((c) => change(c, r[c], i, r)))));
    return badTable(name, `${lines.join('\n')}\n`);
  };

  it('When labels are spelled 1.0/0.0, true/false or yes/no and inputs hold n/a, NaN or null, then train-file reads them as 0/1 and missing values', async () => {
    const spellings: Record<string, string[]> = { '1': ['1', '1.0', 'TRUE', 'Yes'], '0': ['0', '0.0', 'false', 'no'] };
    const missing = ['', 'n/a', 'NaN', 'NULL'];
    const file = rewritten('spelled.csv', (column, cell, row, cells) => {
      if (column === 'fails_10') return spellings[cell][row % 4];
      // Never a machine's first cycle: a missing value there has nothing to carry forward.
      if (column === 'noise' && row % 7 === 3 && cells.cycle !== '1') return missing[row % 4];
      return cell;
    });
    const reportOf = async (file: string, out: string) => {
      const run = captureIo();
      expect(await runProblemsTrainFile(flags({ input: file, out }), run, { grids: GRIDS })).toBe(0);
      expect(run.err).toBe('');
      return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    };
    const report = await reportOf(file, join(dir, 'spelled'));
    // The same rows and events as the file spelled 0/1 (missing inputs carried forward, so no row lost).
    const plain = await reportOf(input, join(dir, 'plain'));
    expect(report.rows).toEqual(plain.rows);
    expect(report.events).toEqual(plain.events);
    expect(report.validation.prAuc).toBeGreaterThan(3 * report.validation.noSkillPrAuc);
  });

  it.each([
    [
      'a label that is not 0/1',
      () =>
        flags({ input: badTable('maybe.csv', 'machine,cycle,wear,noise,fails_10,part\n1,1,0.1,0.2,maybe,train\n') }),
      /row 1 has "maybe" in the label column "fails_10", which must be 0 or 1/,
    ],
    ['a column the file lacks', () => flags({ features: ['wear', 'vibration'] }), /has no column "vibration"/],
    [
      'no way to pick validation rows',
      () => flags({ split: undefined }),
      /give either --split COLUMN .* or --train-until/,
    ],
    [
      '--train-until without --time',
      () => flags({ split: undefined, time: undefined, trainUntil: '50' }),
      /--train-until needs --time/,
    ],
    [
      'an input that is not a number',
      () => flags({ input: badTable('text.csv', 'machine,cycle,wear,noise,fails_10,part\n1,1,high,0.2,0,train\n') }),
      /row 1 has "high" in the input column "wear", which is not a number/,
    ],
    [
      'a split cell that is neither train nor validation',
      () => flags({ input: badTable('split.csv', 'machine,cycle,wear,noise,fails_10,part\n1,1,0.1,0.2,0,test\n') }),
      /row 1 has "test" in the split column "part", which must be train or validation/,
    ],
    [
      'an event that never happens in training',
      () => {
        const table = csvToTable(readFileSync(input, 'utf8'));
        const lines = [toCsvRow(table.columns)];
        for (const r of table.rows)
          lines.push(toCsvRow(table.columns.map((c) => (c === 'fails_10' && r.part === 'train' ? '0' : r[c]))));
        return flags({ input: badTable('never.csv', `${lines.join('\n')}\n`) });
      },
      /only 0 training rows .* precede an event/,
    ],
    [
      'an input column empty in every row',
      () => flags({ input: rewritten('empty.csv', (c, cell) => (c === 'noise' ? '' : cell)) }),
      /the input column "noise" is empty in every row; leave it out of --features or fill it in\.\n$/,
    ],
    [
      'a label that is 1 in every row',
      () => flags({ input: rewritten('always.csv', (c, cell) => (c === 'fails_10' ? '1' : cell)) }),
      /the label column "fails_10" is 1 in every row, so there is nothing to tell apart: the model needs rows of both 1 .* and 0\.\n$/,
    ],
    [
      'a label that is 0 in every row',
      () => flags({ input: rewritten('never-at-all.csv', (c, cell) => (c === 'fails_10' ? 'no' : cell)) }),
      /the label column "fails_10" is 0 in every row, so there is nothing to tell apart/,
    ],
  ])('When given %s, then train-file says so in one sentence and exits with 2', async (_, make, message) => {
    const run = captureIo();
    expect(await runProblemsTrainFile(make(), run, { grids: GRIDS })).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.err.trim().split('\n')).toHaveLength(1);
    expect(run.out).toBe('');
  });

  it.each(['0', '-3'])('When --horizon is %s, then commander refuses it before reading the file', async (horizon) => {
    let stderr = '';
    const program = new Command()
      .exitOverride()
      .configureOutput({ writeErr: (t) => (stderr += t), writeOut: () => undefined });
    registerProblems(program);
    const args = ['problems', 'train-file', '--input', input, '--label', 'fails_10', '--split', 'part'];
    await expect(
      program.parseAsync([...args, '--horizon', horizon, '--out', join(dir, 'horizon')], { from: 'user' })
    ).rejects.toBeInstanceOf(CommanderError);
    expect(stderr).toContain(
      `--horizon is a number above 0 in the time column's unit (30) or a duration such as 2h for ISO times, not "${horizon}".`
    );
    expect(existsSync(join(dir, 'horizon'))).toBe(false);
  });

  it('When predict-file is pointed at a folder without a train-file model, then it says so and exits with 2', async () => {
    const run = captureIo();
    expect(await runProblemsPredictFile({ model: dir, input }, run)).toBe(2);
    expect(run.err).toMatch(/holds no manifest\.json/);
  });
});
