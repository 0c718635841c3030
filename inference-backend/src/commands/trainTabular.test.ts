/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvToTable, toCsvRow } from '../adapters/files/csv';
import { exportTabularOnnx, OnnxTabularModel } from '../adapters/onnx/tabularModel';
import { listModels, listVersions, loadModel, readAliases } from '../adapters/registry/modelRegistry';
import { loadProfile } from '../adapters/registry/profileStore';
import { buildProgram } from '../cli';
import { seededRandom } from '../domain/mlops/gbt';
import { buildFeatures } from '../domain/mlops/tabularFeatures';
import type { Row } from '../domain/mlops/tabularFeatures';
import {
  positiveLabelIndex,
  positiveLabelOf,
  predictClassification,
  predictRegression,
  tabularModelName,
  trainTabularModel,
} from '../domain/mlops/tabularModel';
import type {
  RegressionFigures,
  TabularGrid,
  TabularManifest,
  TabularModel,
  TabularTrainRequest,
} from '../domain/mlops/tabularModel';
import { runModels } from './models';
import { captureIo } from './capturedIo';
import { runPredictTabular } from './predictTabular';
import { osUserName } from './provenance';
import { runTrain } from './train';
import { runTrainTabular } from './trainTabular';
import type { TabularTrainFlags } from './trainTabular';

/** Small candidate sets: the behaviour under test is the same, the fits are a few seconds. */
const SMALL_GRID: TabularGrid = {
  gbt: { maxDepth: [3], nTrees: [40, 80], learningRate: 0.1, minSamplesLeaf: 10, subsample: 0.8, featureFraction: 1 },
  linear: [0.1, 1],
};
const GBT_ONLY: TabularGrid = { ...SMALL_GRID, linear: [] };
const LINEAR_ONLY: TabularGrid = { ...SMALL_GRID, gbt: { ...SMALL_GRID.gbt, maxDepth: [] } };

const COLUMNS = ['unit id', 't', 'load [kW]', 'temp (C)', 'site', 'wear [mm]', 'failed', 'mode'];

/**
 * Machines that wear with their recent load (a rolling mean over 4 steps), with heat and with the
 * site; `failed` is whether the wear passed a threshold; `mode` is a three-way class of the load.
 */
function machines(seed: number, units: number, steps = 25): Row[] {
  const random = seededRandom(seed);
  const rows: Row[] = [];
  for (let u = 0; u < units; u++) {
    const site = ['north', 'south', 'east'][u % 3];
    const loads: number[] = [];
    for (let t = 0; t < steps; t++) {
      const load = 5 + 4 * Math.sin((t + u) / 3) + random() * 2;
      loads.push(load);
      const recent = loads.slice(-4);
      const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
      const temp = 20 + random() * 10;
      const wear = 2 * mean + 0.3 * temp + (site === 'south' ? 5 : 0) + (random() - 0.5) * 2;
      rows.push({
        'unit id': `M-${u}`,
        t: String(t),
        'load [kW]': load.toFixed(3),
        'temp (C)': temp.toFixed(2),
        site,
        'wear [mm]': wear.toFixed(3),
        failed: wear > 22 ? 'yes' : 'no',
        mode: load < 4 ? 'idle' : load < 7 ? 'normal' : 'peak',
      });
    }
  }
  return rows;
}

const toCsv = (rows: readonly Row[], columns = COLUMNS) =>
  `${[toCsvRow(columns), ...rows.map((r) => toCsvRow(columns.map((c) => r[c] ?? '')))].join('\n')}\n`;

const FEATURES = ['load [kW]', 'temp (C)', 'site'];

/** `nocai train` of the machines' wear per machine with rolling windows, quietly, with `overrides`. */
const wearFlags = (history: string, out: string, overrides: Partial<TabularTrainFlags> = {}): TabularTrainFlags => ({
  history,
  target: 'wear [mm]',
  features: FEATURES,
  group: 'unit id',
  order: 't',
  windows: [4, 8],
  segment: 'site',
  out,
  seed: 1,
  quiet: true,
  grid: SMALL_GRID,
  ...overrides,
});
const relativeError = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('nocai train --target and nocai predict on a table', () => {
  let dir: string;
  let history: string;
  let fresh: string;
  const flags = (overrides: Partial<TabularTrainFlags>) => wearFlags(history, join(dir, 'models'), overrides);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-tabular-'));
    history = join(dir, 'machines.csv');
    fresh = join(dir, 'fresh.csv');
    await writeFile(history, toCsv(machines(1, 60)));
    // Other machines, without the answers: what predict is for.
    await writeFile(
      fresh,
      toCsv(
        machines(2, 30),
        COLUMNS.filter((c) => !['wear [mm]', 'failed', 'mode'].includes(c))
      )
    );
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('When a number is trained per machine with rolling windows, then predict adds the prediction and its P10–P90 interval to every row', async () => {
    const train = captureIo();
    expect(await runTrainTabular(flags({ out: join(dir, 'wear') }), train)).toBe(0);
    expect(train.out).toMatch(/^wear-mm v1 \(regression, inferred\): .*held-out RMSE/);
    // Who made the version and why, as nocai models show prints them.
    const shown = captureIo();
    expect(await runModels({ action: 'show', dir: join(dir, 'wear'), name: 'wear-mm', version: 'v1' }, shown)).toBe(0);
    expect(shown.out).toContain(` by user:${osUserName()}\n`);
    expect(shown.out).toMatch(/reason: nocai train --history \S+\.csv --target wear \[mm\]\n/);
    const model = captureIo();
    expect(await runModels({ action: 'show', dir: join(dir, 'wear'), name: 'wear-mm' }, model)).toBe(0);
    expect(model.out).toContain(
      `champion - -> v1 by ${osUserName()} (wear-mm v1 is the champion: the first version of wear-mm)\n`
    );
    expect(model.out).not.toContain('unattributed');
    const report = JSON.parse(await readFile(join(dir, 'wear', 'report.json'), 'utf8'));
    const target = report.targets['wear-mm'];
    expect(target.crossValidation.kind).toBe('group');
    expect(
      target.crossValidation.candidates.map(
        (c: { hyperparameters: { learner: { kind: string } } }) => c.hyperparameters.learner.kind
      )
    ).toEqual(expect.arrayContaining(['gbt', 'linear']));
    expect(target.segments.test.map((s: { segment: string }) => s.segment).sort()).toEqual(['east', 'north', 'south']);
    expect(target.features.names).toContain('load [kW] mean(4)');

    const out = captureIo();
    expect(await runPredictTabular({ model: join(dir, 'wear'), input: fresh }, out)).toBe(0);

    const table = csvToTable(out.out);
    expect(table.columns.slice(-3)).toEqual(['predicted_wear [mm]', 'wear [mm]_p10', 'wear [mm]_p90']);
    const truth = machines(2, 30);
    expect(table.rows).toHaveLength(truth.length);
    let squares = 0;
    let spread = 0;
    let covered = 0;
    const mean = truth.reduce((a, r) => a + Number(r['wear [mm]']), 0) / truth.length;
    table.rows.forEach((row, i) => {
      const predicted = Number(row['predicted_wear [mm]']);
      expect(Number(row['wear [mm]_p10'])).toBeLessThanOrEqual(predicted);
      expect(Number(row['wear [mm]_p90'])).toBeGreaterThanOrEqual(predicted);
      const actual = Number(truth[i]['wear [mm]']);
      squares += (predicted - actual) ** 2;
      spread += (actual - mean) ** 2;
      if (actual >= Number(row['wear [mm]_p10']) && actual <= Number(row['wear [mm]_p90'])) covered++;
    });
    // Far better than predicting the mean, and the 80% interval holds about 80% of new rows.
    expect(squares / spread).toBeLessThan(0.2);
    expect(covered / truth.length).toBeGreaterThan(0.65);
    expect(covered / truth.length).toBeLessThan(0.95);
  });

  it('When another target slugs to the name of a model in --out, then train refuses before replacing its champion', async () => {
    const out = join(dir, 'slugs');
    expect(await runTrainTabular(flags({ out }), captureIo())).toBe(0);
    // "wear (mm)" is a column of its own, but its model name is wear-mm too.
    const renamed = join(dir, 'renamed.csv');
    await writeFile(renamed, (await readFile(history, 'utf8')).replace('wear [mm]', 'wear (mm)'));
    const io = captureIo();
    expect(await runTrainTabular(flags({ history: renamed, target: 'wear (mm)', out }), io)).toBe(2);
    expect(io.err).toBe(
      `nocai train: ${join(out, 'wear-mm')} holds model wear-mm of the target "wear [mm]" (v1), not "wear (mm)": ` +
        'its next version would replace that champion; give another --out.\n'
    );
    expect(await listVersions(out, 'wear-mm')).toEqual(['v1']);
    // The same target again is a new version, as before.
    expect(await runTrainTabular(flags({ out }), captureIo())).toBe(0);
    expect(await listVersions(out, 'wear-mm')).toEqual(['v1', 'v2']);
  });

  it('When the target is named in French or Russian, then the model name keeps its letters and nocai models shows it', async () => {
    const out = join(dir, 'unicode');
    const text = await readFile(history, 'utf8');
    for (const [target, name] of [
      ['Température (°C)', 'température-c'],
      ['Износ', 'износ'],
    ]) {
      const file = join(dir, `${name}.csv`);
      await writeFile(file, text.replace('wear [mm]', target));
      const io = captureIo();
      expect(await runTrainTabular(flags({ history: file, target, out }), io)).toBe(0);
      expect(io.out).toMatch(new RegExp(`^${name} v1 \\(regression`));
      const shown = captureIo();
      expect(await runModels({ action: 'show', dir: out, name }, shown)).toBe(0);
      expect(shown.out).toContain(`model ${name}: champion v1`);
    }
    expect(await listModels(out)).toEqual(['température-c', 'износ']);
    // Decomposed é (e and a combining accent, as some systems store names) names the same model.
    expect(tabularModelName('Tempe\u0301rature')).toBe('température');
    expect(tabularModelName('°C / %')).toBe('c');
    expect(tabularModelName('-- ? --')).toBe('target');
  });

  it('When a number and a class are trained without --group or --order, then report.json calls the folds shuffled and stratified', async () => {
    const plain = { group: undefined, order: undefined, windows: undefined, segment: undefined };
    const out = join(dir, 'fold-kinds');
    const regression = captureIo();
    expect(await runTrainTabular(flags({ ...plain, out }), regression)).toBe(0);
    expect(regression.out).toMatch(/3-fold shuffled CV RMSE/);
    const report = async () => JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect((await report()).targets['wear-mm'].crossValidation.kind).toBe('shuffled');
    const classes = captureIo();
    expect(await runTrainTabular(flags({ ...plain, target: 'failed', out }), classes)).toBe(0);
    expect(classes.out).toMatch(/3-fold stratified CV macroF1/);
    expect((await report()).targets.failed.crossValidation.kind).toBe('stratified');
  });

  it('When --out holds a text model of the name a tabular target would get, or the reverse, then train refuses and adds no version', async () => {
    const history = join(dir, 'both-kinds.csv');
    const rows = Array.from(
      { length: 40 },
      (_, i) => `${i},${i % 2 ? 'hw' : 'net'},${i % 2 ? 'printer' : 'vpn'} issue ${i}`
    );
    await writeFile(history, `x,label,text\n${rows.join('\n')}\n`);
    const plain = { history, group: undefined, order: undefined, windows: undefined, segment: undefined };
    const text = { history, text: ['text'], label: 'label', out: '', maxFeatures: 500, seed: 1, quiet: true };

    const textFirst = join(dir, 'text-first');
    expect(await runTrain({ ...text, out: textFirst }, captureIo())).toBe(0);
    let io = captureIo();
    expect(await runTrainTabular(flags({ ...plain, target: 'label', features: ['x'], out: textFirst }), io)).toBe(2);
    expect(io.err).toBe(
      `nocai train: ${join(textFirst, 'label')} holds model label as a linear text classifier (v1), not a tabular model: ` +
        'its next version would replace that champion; give another --out.\n'
    );
    expect(await listVersions(textFirst, 'label')).toEqual(['v1']);

    const tabularFirst = join(dir, 'tabular-first');
    expect(
      await runTrainTabular(flags({ ...plain, target: 'label', features: ['x'], out: tabularFirst }), captureIo())
    ).toBe(0);
    io = captureIo();
    expect(await runTrain({ ...text, out: tabularFirst }, io)).toBe(2);
    expect(io.err).toBe(
      `nocai train: ${join(tabularFirst, 'label')} holds model label as a tabular classifier (v1), not a text model: ` +
        'its next version would replace that champion; give another --out.\n'
    );
    expect(await listVersions(tabularFirst, 'label')).toEqual(['v1']);
  });

  it('When there are too few rows, or too few of a class, for cross-validation, then train says how many it needs and registers nothing', async () => {
    const tiny = join(dir, 'tiny.csv');
    await writeFile(tiny, 'x,c\n1,a\n2,b\n3,a\n4,b\n');
    const rare = join(dir, 'rare.csv');
    const rows = Array.from({ length: 12 }, (_, i) => `${i},a`).concat(['20,b', '21,b']);
    await writeFile(rare, `x,c\n${rows.join('\n')}\n`);
    const plain = { group: undefined, order: undefined, windows: undefined, segment: undefined };
    const out = join(dir, 'too-few');

    let io = captureIo();
    expect(await runTrainTabular(flags({ ...plain, history: tiny, target: 'c', features: ['x'], out }), io)).toBe(2);
    expect(io.err).toBe(
      `nocai train: ${tiny}: 4 rows with a target are too few to cross-validate and hold out: ` +
        '3-fold cross-validation needs 6 training rows besides the 20% held out.\n'
    );
    io = captureIo();
    expect(await runTrainTabular(flags({ ...plain, history: rare, target: 'c', features: ['x'], out }), io)).toBe(2);
    expect(io.err).toBe(
      `nocai train: ${rare}: "c" has too few rows for 3-fold cross-validation, as a fold would learn from a single class: ` +
        'give at least 3 rows of each of 2 classes or more ("b" has 2).\n'
    );
    expect(await listModels(out)).toEqual([]);
  });

  it('When --task classification is given for a number of many values, then train refuses at once, suggesting a regression', async () => {
    const io = captureIo();
    const out = join(dir, 'many-classes');
    expect(await runTrainTabular(flags({ task: 'classification', out }), io)).toBe(2);
    const distinct = new Set(machines(1, 60).map((row) => row['wear [mm]'])).size;
    expect(distinct).toBeGreaterThan(50);
    expect(io.err).toBe(
      `nocai train: ${history}: the target "wear [mm]" has ${distinct} distinct values, more than the 50 classes a ` +
        'classifier learns: they are numbers, so predict them with --task regression (or without --task).\n'
    );
    expect(await listModels(out)).toEqual([]);
  });

  it('When a yes/no target is trained, then predict adds the predicted class and the probability of "yes"', async () => {
    expect(await runTrainTabular(flags({ target: 'failed', out: join(dir, 'failed') }), captureIo())).toBe(0);
    const [name] = await listModels(join(dir, 'failed'));
    const stored = await loadModel<TabularManifest>(join(dir, 'failed'), name, 'champion');
    expect(stored.manifest.kind).toBe('tabular_classifier');
    expect(stored.manifest.positiveLabel).toBe('yes');

    const out = captureIo();
    expect(await runPredictTabular({ model: join(dir, 'failed'), input: fresh, id: 'unit id' }, out)).toBe(0);

    const table = csvToTable(out.out);
    expect(table.columns).toEqual(['unit id', 'predicted_failed', 'failed_probability']);
    const truth = machines(2, 30);
    let right = 0;
    table.rows.forEach((row, i) => {
      const p = Number(row.failed_probability);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
      expect(row.predicted_failed).toBe(p > 0.5 ? 'yes' : 'no');
      if (row.predicted_failed === truth[i].failed) right++;
    });
    expect(right / truth.length).toBeGreaterThan(0.85);
    expect(out.err).toBe('nocai predict: failed_probability is the probability that failed is "yes".\n');
  });

  it('When two classes are not yes/no, then the probability is of the rarer one unless --positive names the other, and train and predict say which', async () => {
    const rows = machines(1, 60).map((row) => ({ ...row, failed: row.failed === 'yes' ? 'fail' : 'ok' }));
    const fails = rows.filter((r) => r.failed === 'fail').length;
    const rarer = fails < rows.length - fails ? 'fail' : 'ok';
    const other = rarer === 'fail' ? 'ok' : 'fail';
    const words = join(dir, 'words.csv');
    await writeFile(words, toCsv(rows));

    for (const [positive, expected] of [
      [undefined, rarer],
      [other, other],
    ] as const) {
      const out = join(dir, `words-${positive ?? 'default'}`);
      const train = captureIo();
      expect(await runTrainTabular(flags({ history: words, target: 'failed', out, positive }), train)).toBe(0);
      expect(train.out).toContain(`(classification, inferred; failed_probability is of "${expected}")`);
      const stored = await loadModel<TabularManifest>(out, 'failed', 'champion');
      expect(stored.manifest.labels).toEqual(['fail', 'ok']);
      expect(stored.manifest.positiveLabel).toBe(expected);
      expect(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).targets.failed.positiveLabel).toBe(expected);

      const predicted = captureIo();
      expect(await runPredictTabular({ model: out, input: fresh, id: 'unit id' }, predicted)).toBe(0);
      expect(predicted.err).toBe(
        `nocai predict: failed_probability is the probability that failed is "${expected}".\n`
      );
      // The probability is of that class: above one half exactly where it is the predicted class.
      for (const row of csvToTable(predicted.out).rows) {
        expect(row.predicted_failed === expected).toBe(Number(row.failed_probability) > 0.5);
      }
    }

    const wrong = captureIo();
    expect(
      await runTrainTabular(
        flags({ history: words, target: 'failed', out: join(dir, 'never'), positive: 'yes' }),
        wrong
      )
    ).toBe(2);
    expect(wrong.err).toBe(
      `nocai train: ${words}: --positive "yes" is not a class of the target "failed", whose classes are "fail" and "ok".\n`
    );
    const regression = captureIo();
    expect(await runTrainTabular(flags({ out: join(dir, 'never'), positive: '1' }), regression)).toBe(2);
    expect(regression.err).toMatch(
      /^nocai train: .*--positive names a class, but the target "wear \[mm\]" is a number/
    );
  });

  it('When a class target is written 1 in some rows and 1.0 in others, then they are one class in the model, its report and its drift profile', async () => {
    const rows = machines(1, 60).map((row, i) => ({
      ...row,
      failed: row.failed === 'yes' ? (i % 3 === 0 ? '1.0' : '1') : i % 4 === 0 ? '0.0' : '0',
    }));
    const spelled = join(dir, 'spelled.csv');
    await writeFile(spelled, toCsv(rows));
    const out = join(dir, 'spelled');
    expect(await runTrainTabular(flags({ history: spelled, target: 'failed', out }), captureIo())).toBe(0);

    const stored = await loadModel<TabularManifest>(out, 'failed', 'champion');
    expect(stored.manifest.labels).toEqual(['0', '1']);
    expect(stored.manifest.positiveLabel).toBe('1');
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).targets.failed;
    expect(report.test.perClass.map((c: { label: string }) => c.label)).toEqual(['0', '1']);
    const profile = await loadProfile(stored.dir);
    const positives = rows.filter((r) => r.failed.startsWith('1')).length;
    expect(profile?.labels).toEqual({ '0': rows.length - positives, '1': positives });
  });

  it('When a class target is a code written with leading zeros, then the classes keep the names the file gives them', async () => {
    const rows = machines(1, 60).map((row) => ({ ...row, failed: row.failed === 'yes' ? '02' : '01' }));
    const coded = join(dir, 'coded.csv');
    await writeFile(coded, toCsv(rows));
    const out = join(dir, 'coded');
    expect(await runTrainTabular(flags({ history: coded, target: 'failed', out }), captureIo())).toBe(0);

    const stored = await loadModel<TabularManifest>(out, 'failed', 'champion');
    expect(stored.manifest.labels).toEqual(['01', '02']);
    const profile = await loadProfile(stored.dir);
    expect(Object.keys(profile?.labels ?? {}).sort()).toEqual(['01', '02']);
  });

  it('When some rows have no target, then train says how many were not learned from, even with --quiet', async () => {
    const gaps = join(dir, 'gaps.csv');
    const rows = machines(1, 60).map((r, i) => ({ ...r, failed: i % 50 === 0 ? ['', 'NA', 'n/a'][i % 3] : r.failed }));
    await writeFile(gaps, toCsv(rows));
    const io = captureIo();
    expect(await runTrainTabular(flags({ history: gaps, target: 'failed', out: join(dir, 'gaps') }), io)).toBe(0);
    expect(io.err).toBe(
      `nocai train: 30 of 1500 rows of ${gaps} have no "failed" (empty, NA, N/A, NaN, null or None) and were not learned from.\n`
    );
  });

  it('When a feature holds one value in every row, then train says, even with --quiet, that it carries no information and leaves it out', async () => {
    const flat = join(dir, 'flat.csv');
    // 20.0 and 20 are the same number.
    await writeFile(flat, toCsv(machines(1, 60).map((r, i) => ({ ...r, 'temp (C)': i % 2 ? '20.0' : '20' }))));
    const io = captureIo();
    expect(await runTrainTabular(flags({ history: flat, out: join(dir, 'flat') }), io)).toBe(0);
    expect(io.err).toBe(
      `nocai train: ${flat}: column "temp (C)" holds "20" in every row, so it carries no information and is left out of the model.\n`
    );
    const report = JSON.parse(await readFile(join(dir, 'flat', 'report.json'), 'utf8')).targets['wear-mm'];
    expect(report.features.names.some((n: string) => n.startsWith('temp (C)'))).toBe(false);
    // The model reads nothing of it: a file to predict on may leave it out.
    const stored = await loadModel<TabularManifest>(join(dir, 'flat'), 'wear-mm', 'champion');
    expect(stored.manifest.inputs.columns).not.toContain('temp (C)');
    const without = join(dir, 'without-temp.csv');
    await writeFile(without, toCsv(machines(2, 3).map(({ 'temp (C)': _dropped, ...rest }) => rest)));
    const predicted = captureIo();
    expect(await runPredictTabular({ model: join(dir, 'flat'), input: without }, predicted)).toBe(0);
    expect(predicted.err).toBe('');
    expect(csvToTable(predicted.out).rows.every((row) => Number.isFinite(Number(row['predicted_wear [mm]'])))).toBe(
      true
    );

    // With no other feature there is nothing to learn from.
    const alone = captureIo();
    expect(
      await runTrainTabular(flags({ history: flat, features: ['temp (C)'], out: join(dir, 'never') }), alone)
    ).toBe(2);
    expect(alone.err).toBe(
      `nocai train: ${flat}: every column of --features holds one value in every row, so there is nothing to learn from.\n`
    );
  });

  it('When nocai train and nocai predict run with the flags of a tabular target, then the column names with spaces and brackets reach the model', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const out = join(dir, 'cli');
    try {
      const train = ['train', '--history', history, '--target', 'wear [mm]', '--task', 'regression'];
      const rest = [
        '--features',
        'load [kW], temp (C),site',
        '--group',
        'unit id',
        '--order',
        't',
        '--windows',
        '8,4',
        '--out',
        out,
        '--quiet',
      ];
      await buildProgram([...train, ...rest]).parseAsync([...train, ...rest], { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
      const manifest = (await loadModel<TabularManifest>(out, 'wear-mm', 'champion')).manifest;
      expect(manifest.target).toBe('wear [mm]');
      expect(manifest.features.windows).toEqual([4, 8]);
      expect(manifest.inputs.columns).toEqual(
        expect.arrayContaining(['load [kW]', 'temp (C)', 'site', 'unit id', 't'])
      );
      stdout.mockClear();

      const predict = ['predict', '--model', out, '--input', fresh, '--id', 'unit id'];
      await buildProgram(predict).parseAsync(predict, { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
      const printed = stdout.mock.calls.map((call) => String(call[0])).join('');
      expect(csvToTable(printed).columns).toEqual(['unit id', 'predicted_wear [mm]', 'wear [mm]_p10', 'wear [mm]_p90']);

      // Flags of the two kinds of targets do not mix; tabular flags need --target.
      const mixed = [
        'train',
        '--history',
        history,
        '--target',
        'failed',
        '--features',
        'site',
        '--text',
        'site',
        '--out',
        out,
      ];
      await buildProgram(mixed).parseAsync(mixed, { from: 'user' });
      expect(process.exitCode).toBe(2);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(
        /--target trains a tabular model; --text belongs to text models/
      );
      const orphan = ['train', '--history', history, '--features', 'site', '--out', out];
      await buildProgram(orphan).parseAsync(orphan, { from: 'user' });
      expect(String(stderr.mock.calls.at(-1)?.[0])).toBe('nocai train: --features needs --target COLUMN.\n');
      const stray = ['train', '--history', history, '--text', 'site', '--positive', 'yes', '--out', out];
      await buildProgram(stray).parseAsync(stray, { from: 'user' });
      expect(String(stderr.mock.calls.at(-1)?.[0])).toBe('nocai train: --positive needs --target COLUMN.\n');

      process.exitCode = 0;
      const small = join(dir, 'small.csv');
      await writeFile(small, toCsv(machines(4, 12)));
      const positive = join(dir, 'cli-positive');
      const asked = ['train', '--history', small, '--target', 'failed', '--features', 'load [kW],temp (C)'];
      const named = [...asked, '--positive', 'no', '--out', positive, '--quiet'];
      await buildProgram(named).parseAsync(named, { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
      expect((await loadModel<TabularManifest>(positive, 'failed', 'champion')).manifest.positiveLabel).toBe('no');
    } finally {
      process.exitCode = 0;
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });

  it('When the input is ragged, lacks a column or has a word in a numeric feature, then each is one sentence naming the file and exit code 2', async () => {
    expect(await runTrainTabular(flags({ out: join(dir, 'bad') }), captureIo())).toBe(0);
    const ragged = join(dir, 'ragged.csv');
    await writeFile(ragged, 'unit id,t,load [kW]\nM-1,0,3.5\nM-1,1\n');
    const wordy = join(dir, 'wordy.csv');
    const rows = machines(3, 2);
    rows[7] = { ...rows[7], 'temp (C)': 'warm' };
    await writeFile(wordy, toCsv(rows));
    // A number target with one stray cell: not 100-odd classes, one per number.
    const stray = join(dir, 'stray.csv');
    const strayRows = machines(3, 2);
    strayRows[7] = { ...strayRows[7], 'wear [mm]': 'Infinity' };
    await writeFile(stray, toCsv(strayRows));

    let io = captureIo();
    const cases: Array<[() => Promise<number>, RegExp]> = [
      [() => runTrainTabular(flags({ history: ragged }), io), /ragged\.csv line 3 has 2 cells but the header has 3/],
      [
        () => runTrainTabular(flags({ features: ['load [kW]', 'pressure'] }), io),
        /machines\.csv has no column "pressure"; its columns are unit id, t/,
      ],
      [() => runPredictTabular({ model: join(dir, 'bad'), input: ragged }, io), /ragged\.csv line 3 has 2 cells/],
      [
        () => runPredictTabular({ model: join(dir, 'bad'), input: wordy }, io),
        /wordy\.csv: column "temp \(C\)" must hold numbers; data row 8 has "warm"\.$/,
      ],
      [
        () => runTrainTabular(flags({ history: stray, out: join(dir, 'never') }), io),
        /stray\.csv: the target "wear \[mm\]" holds numbers in \d+ of \d+ rows, but data row 8 has "Infinity": fix the cell for a regression, or give --task classification if its values are classes\.$/,
      ],
      [
        () => runTrainTabular(flags({ history: wordy, out: join(dir, 'never') }), io),
        /wordy\.csv: column "temp \(C\)" holds numbers but data row 8 has "warm"/,
      ],
    ];
    for (const [run, message] of cases) {
      io = captureIo();
      expect(await run()).toBe(2);
      expect(io.err.trim().split('\n')).toHaveLength(1);
      expect(io.err.trim()).toMatch(message);
    }
    // A feature column with no value in any row (NA is a missing value) is refused naming it.
    const empty = join(dir, 'empty-column.csv');
    await writeFile(empty, toCsv(machines(3, 20).map((r, i) => ({ ...r, 'temp (C)': i % 2 ? '' : 'NA' }))));
    io = captureIo();
    expect(await runTrainTabular(flags({ history: empty, out: join(dir, 'never') }), io)).toBe(2);
    expect(io.err).toBe(
      `nocai train: ${empty}: column "temp (C)" is empty in every row; leave it out of --features or fill it in.\n`
    );
    // Predicting on a file without a column the model reads names that column.
    const lacking = join(dir, 'lacking.csv');
    await writeFile(lacking, toCsv(machines(4, 2), ['unit id', 't', 'load [kW]', 'site']));
    io = captureIo();
    expect(await runPredictTabular({ model: join(dir, 'bad'), input: lacking }, io)).toBe(2);
    expect(io.err).toMatch(/lacking\.csv has no column "temp \(C\)"/);
    // A --model that is not a folder of models is named as predict on text names it.
    const folders: Array<[string, string]> = [
      [join(dir, 'nowhere'), `no such folder ${join(dir, 'nowhere')}.`],
      [
        join(dir, 'bad', 'wear-mm'),
        `${join(dir, 'bad', 'wear-mm')} is the folder of model wear-mm; give the folder that holds it: --model ${join(dir, 'bad')}.`,
      ],
    ];
    for (const [model, message] of folders) {
      io = captureIo();
      expect(await runPredictTabular({ model, input: lacking }, io)).toBe(2);
      expect(io.err).toBe(`nocai predict: ${message}\n`);
    }
    // An empty file (no header either) says so, rather than listing the columns it has as none.
    const nothing = join(dir, 'nothing.csv');
    await writeFile(nothing, '');
    io = captureIo();
    expect(await runPredictTabular({ model: join(dir, 'bad'), input: nothing }, io)).toBe(2);
    expect(io.err).toBe(
      `nocai predict: ${nothing} is empty; give rows with the columns "load [kW]", "temp (C)", "site", "unit id", "t".\n`
    );
  });
});

describe('which version serves after nocai train --target', () => {
  let dir: string;
  let history: string;
  let newer: string;
  const out = () => join(dir, 'models');
  const flags = (overrides: Partial<TabularTrainFlags>) => wearFlags(history, out(), overrides);
  /** Without the load, the wear's main cause: a clearly worse model of the same target. */
  const worse = { features: ['temp (C)'], windows: undefined };
  const report = async () => JSON.parse(await readFile(join(out(), 'report.json'), 'utf8')).targets['wear-mm'];
  const champion = async () => (await readAliases(out(), 'wear-mm')).champion;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-serving-'));
    history = join(dir, 'machines.csv');
    newer = join(dir, 'newer.csv');
    await writeFile(history, toCsv(machines(1, 60)));
    await writeFile(newer, toCsv(machines(3, 60)));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('When a model is trained, retrained worse, forced, then retrained better on new rows, then only the better versions serve', async () => {
    // The first version of a model is its champion (said without --quiet: there was nothing to compare).
    let io = captureIo();
    expect(await runTrainTabular(flags({ quiet: false }), io)).toBe(0);
    io.err = io.err.replace(/^train: .*\n/gm, '');
    expect(io.err).toBe('nocai train: wear-mm v1 is the champion: the first version of wear-mm.\n');
    expect((await report()).serving).toMatchObject({ alias: 'champion', why: 'first version', previousChampion: null });
    const v1 = (await loadModel<TabularManifest>(out(), 'wear-mm', 'v1')).manifest.metrics.test as RegressionFigures;

    // Worse, on the same file: v1 learnt from every row of it, so its own held-out figure is the one compared.
    io = captureIo();
    expect(await runTrainTabular(flags(worse), io)).toBe(0);
    let target = await report();
    expect(target.serving).toMatchObject({
      alias: 'challenger',
      why: 'does not beat the champion',
      previousChampion: 'v1',
      comparison: { metric: 'RMSE', championBasis: 'recorded', rows: target.test.rows, champion: v1.rmse },
    });
    expect(target.serving.comparison.challenger).toBe(target.test.rmse);
    expect(target.test.rmse).toBeGreaterThan(1.5 * v1.rmse);
    expect(io.err).toBe(
      `nocai train: wear-mm v2 registered as challenger: RMSE ${target.test.rmse.toFixed(3)} (v2) on ${target.test.rows} ` +
        `held-out rows against the champion v1's ${v1.rmse.toFixed(3)} (v1 learnt from every row of this file: ` +
        'its own held-out figure from its training on it) ' +
        '(a new version serves when its RMSE is at least 1% lower: NOCAI_RETRAIN_MARGIN 0.01); ' +
        `v1 still serves; \`nocai models promote wear-mm v2 --dir ${out()} --state-dir STATE\` ` +
        '(or training again with --champion) serves it.\n'
    );
    expect(await readAliases(out(), 'wear-mm')).toEqual({ champion: 'v1', challenger: 'v2' });

    // --champion serves the new version whatever its figures.
    io = captureIo();
    expect(await runTrainTabular(flags({ ...worse, champion: true }), io)).toBe(0);
    expect(io.err).toMatch(/^nocai train: wear-mm v3 is the champion, replacing v1, as --champion asks: RMSE /);
    expect((await report()).serving).toMatchObject({ alias: 'champion', why: 'forced', previousChampion: 'v1' });
    expect(await champion()).toBe('v3');

    // New rows: the champion v3 is run on the held-out machines of the new file, the last 12 of 60.
    const predicted = captureIo();
    expect(await runPredictTabular({ model: out(), input: newer }, predicted)).toBe(0);
    const heldOut = csvToTable(predicted.out).rows.filter((row) => Number(row['unit id'].slice(2)) >= 48);
    const championRmse = Math.sqrt(
      heldOut.reduce((sum, row) => sum + (Number(row['predicted_wear [mm]']) - Number(row['wear [mm]'])) ** 2, 0) /
        heldOut.length
    );
    // Held to NOCAI_RETRAIN_MARGIN 1 (an RMSE of 0), the better version is a challenger: v3 serves on.
    io = captureIo();
    expect(await runTrainTabular(flags({ history: newer, margin: 1 }), io)).toBe(0);
    target = await report();
    expect(target.serving).toMatchObject({ alias: 'challenger', why: 'does not beat the champion', margin: 1 });
    expect(io.err).toContain(
      '(a new version serves when its RMSE is at least 100% lower: NOCAI_RETRAIN_MARGIN 1); v3 still'
    );
    expect(await readAliases(out(), 'wear-mm')).toEqual({ champion: 'v3', challenger: 'v4' });

    // With the default margin it serves.
    io = captureIo();
    expect(await runTrainTabular(flags({ history: newer }), io)).toBe(0);
    target = await report();
    expect(target.serving).toMatchObject({
      alias: 'champion',
      why: 'beats the champion',
      margin: 0.01,
      previousChampion: 'v3',
      comparison: { championBasis: 'scored', rows: heldOut.length },
    });
    // float32 predictions, printed to 7 digits by predict.
    expect(relativeError(target.serving.comparison.champion, championRmse)).toBeLessThan(1e-4);
    expect(io.err).toBe(
      `nocai train: wear-mm v5 is the champion: RMSE ${target.test.rmse.toFixed(3)} (v5) on ${heldOut.length} held-out rows ` +
        `against the champion v3's ${target.serving.comparison.champion.toFixed(3)} ` +
        '(a new version serves when its RMSE is at least 1% lower: NOCAI_RETRAIN_MARGIN 0.01).\n'
    );
    expect(await readAliases(out(), 'wear-mm')).toEqual({ champion: 'v5', challenger: 'v4' });
  });

  it('When the champion reads a column the new file lacks, then the new version is a challenger saying so', async () => {
    const models = join(dir, 'schema');
    expect(await runTrainTabular(flags({ out: models }), captureIo())).toBe(0);
    const without = join(dir, 'without-load.csv');
    await writeFile(
      without,
      toCsv(
        machines(1, 60),
        COLUMNS.filter((c) => c !== 'load [kW]')
      )
    );
    const io = captureIo();
    expect(await runTrainTabular(flags({ ...worse, history: without, out: models }), io)).toBe(0);
    expect(io.err).toContain(
      `nocai train: wear-mm v2 registered as challenger: the champion v1 reads "load [kW]", which ${without} lacks, ` +
        'so it cannot be shown to do better; v1 still serves;'
    );
    expect(await readAliases(models, 'wear-mm')).toEqual({ champion: 'v1', challenger: 'v2' });
  });
});

describe('tabular models served by onnxruntime', () => {
  const rows = machines(5, 40);
  const fresh = machines(6, 10);
  const request = (target: string): TabularTrainRequest => ({
    target,
    features: FEATURES,
    categorical: [],
    group: 'unit id',
    order: 't',
    windows: [4],
  });

  async function compare(model: TabularModel): Promise<number> {
    const manifest = {
      kind: model.task === 'regression' ? 'tabular_regressor' : 'tabular_classifier',
      labels: model.labels,
      inputs: { columns: [], tensor: { name: 'features', dimension: model.features.names.length } },
    } as unknown as TabularManifest; // only the fields `run` reads
    const served = await OnnxTabularModel.load(exportTabularOnnx(model), manifest);
    const matrix = buildFeatures(model.features, fresh);
    const outputs = await served.run(matrix);
    await served.close();
    let worst = 0;
    if (outputs.task === 'regression') {
      const expected = predictRegression(model, matrix);
      for (let i = 0; i < matrix.rowCount; i++) {
        worst = Math.max(
          worst,
          relativeError(outputs.prediction[i], expected.prediction[i]),
          relativeError(outputs.p10[i], expected.p10[i]),
          relativeError(outputs.p90[i], expected.p90[i])
        );
      }
    } else {
      const expected = predictClassification(model, matrix);
      expected.forEach((p, k) => (worst = Math.max(worst, Math.abs(outputs.probabilities[k] - p))));
    }
    return worst;
  }

  it.each([
    ['trees, regression', 'wear [mm]', GBT_ONLY],
    ['ridge regression', 'wear [mm]', LINEAR_ONLY],
    ['trees, two classes', 'failed', GBT_ONLY],
    ['trees, three classes', 'mode', GBT_ONLY],
    ['logistic regression, three classes', 'mode', LINEAR_ONLY],
  ])(
    'When %s runs in onnxruntime, then every output equals the TypeScript forward pass within 1e-5',
    async (_, target, grid) => {
      const { model } = trainTabularModel(rows, request(target), { grid });

      expect(model.learner.kind).toBe(grid === LINEAR_ONLY ? 'linear' : 'gbt');
      expect(await compare(model)).toBeLessThan(1e-5);
    }
  );
});

describe('the class a two-class probability is of', () => {
  const of = (labels: string[], classes: string[], positive?: string) =>
    positiveLabelOf({ target: 'failed', positive }, labels, classes);

  it('When the classes are a yes/no pair in any spelling, then the positive word is chosen whatever the counts', () => {
    expect(of(['No', 'Yes'], ['Yes', 'Yes', 'Yes', 'No'])).toBe('Yes');
    expect(of(['0', '1'], ['1', '1', '0'])).toBe('1');
    expect(of(['FALSE', 'TRUE'], ['TRUE', 'FALSE'])).toBe('TRUE');
    expect(of(['n', 'y'], ['y', 'y', 'n'])).toBe('y');
  });

  it('When the classes are other words, then the rarer one is chosen, the second label on a tie; more than two have none', () => {
    expect(of(['fail', 'ok'], ['ok', 'ok', 'fail'])).toBe('fail');
    expect(of(['fail', 'ok'], ['ok', 'fail', 'fail'])).toBe('ok');
    expect(of(['a', 'b'], ['a', 'b'])).toBe('b');
    expect(of(['a', 'b', 'c'], ['a', 'b', 'c', 'c'])).toBeUndefined();
  });

  it('When --positive names a class, then it is chosen; another value or more than two classes are refused', () => {
    expect(of(['No', 'Yes'], ['Yes', 'No'], 'No')).toBe('No');
    expect(() => of(['fail', 'ok'], ['ok'], 'yes')).toThrow(/--positive "yes" is not a class of the target "failed"/);
    expect(() => of(['a', 'b', 'c'], ['a'], 'a')).toThrow(/has 3 classes/);
  });

  it('When a manifest names no positive class (trained before it was chosen), then the second output is read', () => {
    expect(positiveLabelIndex({ labels: ['no', 'yes'] })).toBe(1);
    expect(positiveLabelIndex({ labels: ['fail', 'ok'], positiveLabel: 'fail' })).toBe(0);
    expect(positiveLabelIndex({ labels: ['fail', 'ok'], positiveLabel: 'gone' })).toBe(1);
  });
});
