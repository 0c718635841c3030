/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { toCsvRow } from '../adapters/files/csv';
import { loadModel, readAliases } from '../adapters/registry/modelRegistry';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../domain/audit/audit';
import type { ImportedManifest } from '../domain/mlops/importedModel';
import { runModelsImport } from './modelImport';
import { runModels } from './models';
import { runPredictTabular } from './predictTabular';
import type { ModelsImportFlags } from './modelImport';
import { multiclassDump, softmax } from '../adapters/registry/import/lightgbmFixture';

/** A float graph that adds its inputs ([N, 1] each) into one output `y`: `x` → y = x, `a, b` → y = a + b. */
function sumOnnx(inputs: string[]): Uint8Array {
  const info = (name: string): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] },
      },
    },
  });
  const node: onnx.INodeProto =
    inputs.length === 1
      ? { opType: 'Identity', input: inputs, output: ['y'] }
      : { opType: 'Sum', input: inputs, output: ['y'] };
  const graph: onnx.IGraphProto = { name: 'sum', node: [node], input: inputs.map(info), output: [info('y')] };
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph });
  return onnx.ModelProto.encode(model).finish();
}

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

describe('nocai models import', () => {
  let dir: string;
  let registry: string;
  const file = (name: string) => join(dir, name);
  const run = async (flags: Partial<ModelsImportFlags>, audit: AuditSink = new MemorySink()) => {
    let stdout = '';
    let stderr = '';
    const code = await runModelsImport(
      {
        dir: registry,
        file: file('model.json'),
        reference: file('reference.csv'),
        format: 'lightgbm-json',
        name: 'load-level',
        task: 'classification',
        columns: 'load',
        labels: 'low,medium,high',
        ...flags,
      },
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
      audit
    );
    return { code, stdout, stderr };
  };
  /** sum.onnx imported with `manifest` written beside it, and no flag that would override it. */
  const runWithManifest = async (manifest: object) => {
    await writeFile(file('sum.manifest.json'), JSON.stringify(manifest));
    return run({
      file: file('sum.onnx'),
      manifest: file('sum.manifest.json'),
      format: undefined,
      name: undefined,
      task: undefined,
      columns: undefined,
      labels: undefined,
    });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-import-'));
    registry = file('models');
    await mkdir(registry);
    await writeFile(file('model.json'), JSON.stringify(multiclassDump()));
    const low = softmax([1, 0, -1]);
    const high = softmax([-1, 0, 1]);
    const lines = [toCsvRow(['load', 'expected_label', 'expected_p_low', 'expected_p_medium', 'expected_p_high'])];
    for (const x of [-2, -0.5, 0, 0.5, 3]) {
      const p = x <= 0 ? low : high;
      lines.push(toCsvRow([x, x <= 0 ? 'low' : 'high', ...p.map((v) => v.toPrecision(17))]));
    }
    await writeFile(file('reference.csv'), `${lines.join('\n')}\n`);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When a dump matches its reference, then it is saved as an imported version with the check figures, audited, and made champion on request', async () => {
    const audit = new MemorySink();
    const result = await run({ champion: true, reason: 'trained by the capacity team' }, audit);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      'imported load-level v1 (lightgbm-json, target load-level, classification): champion'
    );
    expect(result.stdout).toContain('checked on 5 reference rows');

    const stored = await loadModel<ImportedManifest>(registry, 'load-level', 'champion');
    expect(stored.manifest).toMatchObject({
      kind: 'imported',
      sourceFormat: 'lightgbm-json',
      labels: ['low', 'medium', 'high'],
      createdBy: { kind: 'import' },
      reason: 'trained by the capacity team',
      source: { file: 'model.json', objective: 'multiclass', trees: 3 },
      metrics: { referenceRows: 5, labelAgreement: 1, tolerance: 1e-5 },
    });
    expect(stored.manifest.metrics.maxAbsDifference).toBeLessThan(1e-6);
    expect(stored.manifest.signature?.inputs[0]).toMatchObject({ name: 'features', type: 'double', shape: ['N', 1] });
    expect(audit.entries.map((e) => `${e.action} ${e.target}`)).toEqual([
      'model.import model:load-level@v1',
      'model.promote model:load-level@v1',
    ]);
  });

  it('When imported without --reason, then nocai models show gives the command as the reason and the reference check it passed', async () => {
    expect((await run({})).code).toBe(0);
    const shown = { out: '', stdout: (t: string) => (shown.out += t), stderr: () => undefined };
    expect(await runModels({ action: 'show', dir: registry, name: 'load-level', version: 'v1' }, shown)).toBe(0);
    expect(shown.out).toContain('reason: nocai models import model.json\n');
    expect(shown.out).toMatch(
      /\nreference check: checked on 5 reference rows; largest difference from the training tool \d\.\d\de-\d+ \(allowed: 1e-5, relative to values above 1\); labels agree on 100\.0%\n/
    );
  });

  it('When a regression matches its reference to float32 precision, then the summary gives the difference with the tolerance it was held to', async () => {
    // One LightGBM tree: load <= 1 → 1000, else 2000. The reference differs by 0.005 on 1000: an
    // absolute 5e-3, within the 1e-5 allowed relative to values above 1 (float32 outputs).
    const tree = {
      split_feature: 0,
      threshold: 1,
      decision_type: '<=',
      default_left: true,
      missing_type: 'None',
      left_child: { leaf_value: 1000 },
      right_child: { leaf_value: 2000 },
    };
    const dump = { objective: 'regression', num_class: 1, num_tree_per_iteration: 1, max_feature_idx: 0 };
    await writeFile(file('model.json'), JSON.stringify({ ...dump, tree_info: [{ num_cat: 0, tree_structure: tree }] }));
    await writeFile(file('reference.csv'), 'load,expected_value\n0,1000.005\n2,2000\n');
    const result = await run({ name: 'load-cost', task: 'regression', labels: undefined });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      'checked on 2 reference rows; largest difference from the training tool 5.00e-3 (allowed: 1e-5, relative to values above 1)'
    );
  });

  it.each<[string, Partial<ModelsImportFlags>, () => Promise<void>, RegExp]>([
    [
      'a task --task does not know',
      { task: 'ranking' },
      async () => undefined,
      /: --task must be one of classification, regression \(got "ranking"\)/,
    ],
    [
      'a column type it does not know',
      { columns: 'load:decimal' },
      async () => undefined,
      /--columns: the type of column 1 must be one of float, int, string \(got "decimal"\)/,
    ],
    [
      'no --labels for a classifier',
      { labels: undefined },
      async () => undefined,
      /: give --labels LIST: a classifier needs at least 2 labels, in the order of its probability columns\.\n$/,
    ],
    ['no --name', { name: undefined }, async () => undefined, /: give --name NAME\.\n$/],
    [
      'an objective it cannot convert',
      {},
      () => writeFile(file('model.json'), JSON.stringify(multiclassDump('multiclassova num_class:3'))),
      /LightGBM objective multiclassova is not supported/,
    ],
    [
      'a categorical split',
      {},
      async () => {
        const dump = multiclassDump();
        dump.tree_info[0].tree_structure.decision_type = '==';
        await writeFile(file('model.json'), JSON.stringify(dump));
      },
      /decision type ==: only numeric \(<=\) splits are supported/,
    ],
    ['a truncated JSON dump', {}, () => writeFile(file('model.json'), '{"objective": "multic'), /is not valid JSON/],
    [
      'an empty reference file',
      {},
      () => writeFile(file('reference.csv'), ''),
      /the reference file \S+reference\.csv is empty; give rows of the input columns load, with the training tool's predictions where it can\.\n$/,
    ],
    [
      'predictions that differ from the reference by more than 1e-5',
      {},
      () =>
        writeFile(
          file('reference.csv'),
          `${toCsvRow(['load', 'expected_p_low', 'expected_p_medium', 'expected_p_high'])}\n${toCsvRow([-1, 0.6652, 0.2447, 0.09])}\n`
        ),
      /reference row 1: the model gives low probability 0\.6652409 where the training tool gave 0\.6652/,
    ],
    [
      'a regression declared for a classifier',
      { task: 'regression', labels: undefined },
      async () => undefined,
      /multiclass is a classification, but --task says regression\./,
    ],
  ])(
    'When the import has %s, then it exits 2 with one sentence and stores nothing',
    async (_what, flags, prepare, message) => {
      await prepare();
      const result = await run(flags);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(await readdir(registry)).toEqual([]);
      expect(await readAliases(registry, 'load-level')).toEqual({});
    }
  );

  describe('When an ONNX graph is imported with flags', () => {
    const onnxFlags = (): Partial<ModelsImportFlags> => ({
      file: file('sum.onnx'),
      format: undefined,
      name: 'load-sum',
      task: 'regression',
      columns: 'load',
      labels: undefined,
    });
    beforeEach(() => writeFile(file('reference.csv'), 'load,expected_value\n1,1\n2.5,2.5\n'));

    it('then a graph of two inputs without --input-tensor is refused naming the flag and the inputs it could be', async () => {
      await writeFile(file('sum.onnx'), sumOnnx(['a', 'b']));
      const result = await run(onnxFlags());
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        'nocai models import: give --input-tensor NAME, the ONNX input tensor the columns are fed to (the graph has inputs a, b).\n'
      );
      expect(await readdir(registry)).toEqual([]);
    });

    it('then a graph of one input and one output is imported with those names, and stderr says which were taken', async () => {
      await writeFile(file('sum.onnx'), sumOnnx(['x']));
      const result = await run(onnxFlags());
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        "nocai models import: no --input-tensor given: took x, the graph's only input\n" +
          "nocai models import: no --value-output given: took y, the graph's only output\n"
      );
      const stored = await loadModel<ImportedManifest>(registry, 'load-sum', 'latest');
      expect(stored.manifest).toMatchObject({ inputs: { tensor: 'x' }, outputs: { value: 'y' } });

      // nocai predict on the folder says where an imported model is answered, not to train one.
      let stderr = '';
      const predicted = await runPredictTabular(
        { model: registry, input: file('reference.csv') },
        { stdout: () => undefined, stderr: (t) => (stderr += t) }
      );
      expect(predicted).toBe(2);
      expect(stderr).toBe(
        `nocai predict: ${registry} holds imported models only (load-sum), which nocai predict does not run: ` +
          'nocai serve answers them at POST /api/predict/:name.\n'
      );
    });
  });

  it.each<[string, () => Partial<ModelsImportFlags>, () => Promise<unknown>, string]>([
    [
      'more --columns than the dump has features',
      () => ({ columns: 'load,spare' }),
      async () => undefined,
      'the model takes 1 feature but --columns gives 2 columns (load, spare).',
    ],
    [
      'fewer --labels than the dump has classes',
      () => ({ labels: 'low,high' }),
      async () => undefined,
      'the model has 3 classes but --labels lists 2 labels (low, high).',
    ],
    [
      'a reference file without a --columns column',
      () => ({ columns: 'cpu' }),
      async () => {
        const dump = multiclassDump();
        dump.feature_names = ['cpu'];
        await writeFile(file('model.json'), JSON.stringify(dump));
      },
      'reference.csv has no column "cpu", which --columns gives as input.',
    ],
    [
      'a reference probability column for a label --labels lacks',
      () => ({ labels: 'low,medium,peak' }),
      async () => undefined,
      'which is not among --labels (low, medium, peak).',
    ],
    [
      'an ONNX graph narrower than --columns',
      () => ({
        file: file('sum.onnx'),
        format: undefined,
        task: 'regression',
        labels: undefined,
        columns: 'load,spare',
        inputTensor: 'x',
        valueOutput: 'y',
      }),
      async () => {
        await writeFile(file('sum.onnx'), sumOnnx(['x']));
        await writeFile(file('reference.csv'), 'load,spare,expected_value\n1,0,1\n');
      },
      'input x takes 1 value per row but --columns gives 2 columns.',
    ],
  ])(
    'When an import given by flags has %s, then the refusal names the flag, not a manifest the user never wrote',
    async (_what, flags, prepare, message) => {
      await prepare();
      const result = await run(flags());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toMatch(/manifest/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(await readdir(registry)).toEqual([]);
    }
  );

  it('When a manifest file declares more columns than the ONNX graph takes, then the refusal still names the manifest', async () => {
    await writeFile(file('sum.onnx'), sumOnnx(['x']));
    await writeFile(file('reference.csv'), 'load,spare,expected_value\n1,0,1\n');
    const manifest = {
      name: 'load-sum',
      task: 'regression',
      format: 'onnx',
      inputs: {
        tensor: 'x',
        columns: [
          { name: 'load', type: 'float' },
          { name: 'spare', type: 'float' },
        ],
      },
      outputs: { value: 'y' },
    };
    const result = await runWithManifest(manifest);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'nocai models import: input x takes 1 value per row but the manifest declares 2 columns.\n'
    );
  });

  it('When a manifest file leaves out the input tensor of a two-input graph, then the refusal names the field of the file', async () => {
    await writeFile(file('sum.onnx'), sumOnnx(['a', 'b']));
    const manifest = {
      name: 'load-sum',
      task: 'regression',
      format: 'onnx',
      inputs: { columns: [{ name: 'load', type: 'float' }] },
      outputs: { value: 'y' },
    };
    const result = await runWithManifest(manifest);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'nocai models import: the import manifest is invalid: inputs.tensor: name the ONNX input tensor the columns are fed to (the graph has inputs a, b).\n'
    );
  });

  it('When the ONNX file is missing or is no graph, then the refusal says so rather than asking for a tensor name', async () => {
    const onnx = { format: undefined, task: 'regression', labels: undefined } as const;
    const missing = await run({ ...onnx, file: file('nope.onnx') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`nocai models import: no such file ${file('nope.onnx')}.\n`);

    await writeFile(file('table.onnx'), 'load,expected_value\n1,1\n');
    const table = await run({ ...onnx, file: file('table.onnx') });
    expect(table.code).toBe(2);
    expect(table.stderr).toBe(
      'nocai models import: give --input-tensor NAME, the ONNX input tensor the columns are fed to ' +
        `(${file('table.onnx')} could not be read as an ONNX graph).\n`
    );
    expect(await readdir(registry)).toEqual([]);
  });

  it('When --dir is a file or does not exist, then the import is refused naming it, not ended on ENOTDIR', async () => {
    await writeFile(file('models.txt'), 'not a registry\n');
    const result = await run({ dir: file('models.txt') });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `nocai models import: ${file('models.txt')} is a file, not a folder; give the models folder with --dir (or NOCAI_MODELS_DIR).\n`
    );
    // The registry is the backend's models folder, which import adds to: a missing one is a typo, not
    // a folder to make (train --out, which starts a registry, creates it).
    const missing = await run({ dir: file('modles') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `nocai models import: ${file('modles')} does not exist; give the models folder with --dir (or NOCAI_MODELS_DIR).\n`
    );
    await expect(readdir(file('modles'))).rejects.toThrow(/ENOENT/);
  });

  it('When no audit trail is given, then the import is refused before anything is stored', async () => {
    let stderr = '';
    const code = await runModelsImport(
      {
        dir: registry,
        file: file('model.json'),
        reference: file('reference.csv'),
        format: 'lightgbm-json',
        name: 'x',
        task: 'classification',
        columns: 'load',
        labels: 'low,medium,high',
      },
      { stdout: () => undefined, stderr: (t) => (stderr += t) }
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/give the backend's state folder with --state-dir/);
    expect(await readdir(registry)).toEqual([]);
  });
});
