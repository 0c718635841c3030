/**
 * @jest-environment ./src/adapters/onnx/onnxruntimeTestEnvironment.js
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCsvRow } from '../adapters/files/csv';
import { loadModel, readAliases } from '../adapters/registry/modelRegistry';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../domain/audit/audit';
import type { ImportedManifest } from '../domain/mlops/importedModel';
import { runModelsImport } from './modelImport';
import type { ModelsImportFlags } from './modelImport';
import { multiclassDump, softmax } from '../adapters/registry/import/lightgbmFixture';

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
      'a task the manifest field does not know',
      { task: 'ranking' },
      async () => undefined,
      /invalid: task must be one of classification, regression \(got "ranking"\)/,
    ],
    [
      'a column type it does not know',
      { columns: 'load:decimal' },
      async () => undefined,
      /inputs\.columns\.0\.type must be one of float, int, string \(got "decimal"\)/,
    ],
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
      /multiclass is a classification, but the manifest declares a regression/,
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
