import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { auditDirIn } from '../adapters/audit/fileAuditTrail';
import { saveModel, setAlias } from '../adapters/registry/modelRegistry';
import { buildProgram } from '../cli';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../domain/audit/audit';
import { MANIFEST_FORMAT } from '../domain/mlops/manifest';
import type { ModelManifest } from '../domain/mlops/manifest';
import { runModels } from './models';
import type { ModelsRequest } from './models';

const draft = (extra: Partial<ModelManifest>): Omit<ModelManifest, 'version' | 'parentVersion'> => ({
  format: MANIFEST_FORMAT,
  name: 'department',
  createdAt: '2025-03-01T00:00:00.000Z',
  target: 'department',
  kind: 'linear_text_classifier',
  labels: ['network_ops', 'security'],
  inputs: { textColumns: ['title'], contextColumns: [], tensor: { name: 'features', dimension: 1 } },
  outputs: { name: 'probabilities' },
  featurizer: {
    version: 1,
    maskingVersion: 1,
    options: { maxFeatures: 1, wordNgrams: [1], charNgrams: [], minDocumentFrequency: 1 },
    vocabulary: ['x'],
    idf: [1],
  },
  trainingWindow: { trainRows: 80, testRows: 20 },
  dataHash: 'abc',
  metrics: {
    target: 'department',
    train: { rows: 80, accuracy: 1, macroF1: 1 },
    test: { rows: 20, accuracy: 0.9, macroF1: 0.875, perClass: [], confusion: { labels: [], matrix: [] } },
  },
  ...extra,
});

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

describe('nocai models', () => {
  let dir: string;
  let registry: string;

  const run = async (request: ModelsRequest, audit?: AuditSink) => {
    const io = { out: '', err: '', stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
    const code = await runModels(request, io, audit);
    return { code, out: io.out, err: io.err };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-models-cli-'));
    registry = join(dir, 'models');
    await saveModel(registry, draft({ createdBy: { kind: 'setup', name: 'nocai setup' } }), new Uint8Array([1]));
    await setAlias(registry, 'department', 'champion', 'v1');
    await saveModel(
      registry,
      draft({
        createdBy: { kind: 'schedule', name: 'weekly retraining' },
        reason: 'operators corrected 40 routings',
        tags: { trigger: 'weekly' },
        hyperparameters: { C: 1, classWeight: 'balanced' },
      }),
      new Uint8Array([2])
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('When listed and shown, then the champion, the metadata and the held-out figures are printed', async () => {
    const list = await run({ action: 'list', dir: registry });
    expect(list.code).toBe(0);
    expect(list.out).toBe(
      'NAME        CHAMPION  CHALLENGER  VERSIONS  ARCHIVED\ndepartment  v1        -           2         0\n'
    );

    const version = await run({ action: 'show', dir: registry, name: 'department', version: 'v2' });
    expect(version.code).toBe(0);
    expect(version.out).toContain('created: 2025-03-01T00:00:00.000Z by schedule:weekly retraining');
    expect(version.out).toContain('reason: operators corrected 40 routings');
    expect(version.out).toContain('tags: trigger=weekly');
    expect(version.out).toContain('hyperparameters: {"C":1,"classWeight":"balanced"}');
    expect(version.out).toContain('held-out figures: rows 20 accuracy 0.900 macroF1 0.875');
    expect(version.out).toContain('parent: v1');
    expect(version.out).toMatch(/artifact sha256: [0-9a-f]{64} \(model\.onnx 1 byte, matches\)/);
    const champion = await run({ action: 'show', dir: registry, name: 'department', version: 'champion' });
    expect(champion.out).toMatch(/^model department v1 \(champion\)\n/);
    expect((await run({ action: 'show', dir: registry, name: 'department', version: 'latest' })).out).toMatch(
      /^model department v2\b/
    );

    const json = JSON.parse((await run({ action: 'show', dir: registry, name: 'department', json: true })).out);
    expect(json.aliases).toEqual({ champion: 'v1' });
    expect(json.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v2']);
  });

  it('When a model name is typed decomposed (NFD, as macOS writes it), then show and promote find the model trained under its composed name', async () => {
    const composed = 'température-c';
    await saveModel(registry, draft({ name: composed, target: 'Température (°C)' }), new Uint8Array([3]));
    await saveModel(registry, draft({ name: composed, target: 'Température (°C)' }), new Uint8Array([4]));
    const typed = composed.normalize('NFD');
    expect(typed).not.toBe(composed);
    const shown = await run({ action: 'show', dir: registry, name: typed });
    expect(shown).toMatchObject({ code: 0, err: '' });
    expect(shown.out).toMatch(/^model température-c: champion -/);
    const promoted = await run({ action: 'promote', dir: registry, name: typed, version: 'v2' }, new MemorySink());
    expect(promoted).toMatchObject({ code: 0, err: '' });
    expect((await run({ action: 'show', dir: registry, name: composed, json: true })).out).toContain(
      '"champion": "v2"'
    );
  });

  it('When promoted, rolled back and archived, then each change is printed and audited as the CLI user', async () => {
    const audit = new MemorySink();

    const promoted = await run(
      { action: 'promote', dir: registry, name: 'department', version: 'v2', reason: 'better' },
      audit
    );
    expect(promoted).toEqual({
      code: 0,
      out: 'model department: v2 is the champion (was champion v1, challenger -; now champion v2, challenger -)\n',
      err: '',
    });
    const rolled = await run({ action: 'rollback', dir: registry, name: 'department' }, audit);
    expect(rolled.out).toBe(
      'model department: v1 is the champion again (was champion v2, challenger -; now champion v1, challenger -)\n'
    );
    expect((await run({ action: 'archive', dir: registry, name: 'department', version: 'v2' }, audit)).code).toBe(0);

    expect(audit.entries.map((e) => [e.action, e.target, e.role, e.from])).toEqual([
      ['model.promote', 'model:department@v2', 'admin', 'cli'],
      ['model.rollback', 'model:department@v1', 'admin', 'cli'],
      ['model.archive', 'model:department@v2', 'admin', 'cli'],
    ]);
    expect(audit.entries[0].reason).toBe('better');
    const shown = await run({ action: 'show', dir: registry, name: 'department' });
    expect(shown.out).toMatch(/champion v1 -> v2 by \S+ \(better\)/);
    expect(shown.out).toMatch(
      /v2 +- +\S+ +schedule:weekly retraining +v1 +rows 20 accuracy 0\.900 macroF1 0\.875 +archived/
    );
  });

  it.each<[string, ModelsRequest, string]>([
    [
      'an unknown model',
      { action: 'show', dir: '', name: 'routing' },
      'nocai models: there is no model routing in the registry.\n',
    ],
    [
      'an unknown version',
      { action: 'promote', dir: '', name: 'department', version: 'v7' },
      'nocai models: model department has no version v7.\n',
    ],
    [
      'the champion to archive',
      { action: 'archive', dir: '', name: 'department', version: 'v1' },
      'nocai models: v1 is the champion of model department: promote or roll back to another version before archiving it.\n',
    ],
    [
      'a stale expected champion',
      { action: 'promote', dir: '', name: 'department', version: 'v2', expectChampion: 'v2' },
      'nocai models: the champion of model department is v1, not v2 as expected: another change came first; look again before promoting v2.\n',
    ],
    [
      'an alias where promote takes a version',
      { action: 'promote', dir: '', name: 'department', version: 'champion' },
      'nocai models: promote, rollback and archive take a version such as v1, not champion; show department champion names the version it stands for.\n',
    ],
    [
      'latest where archive takes a version',
      { action: 'archive', dir: '', name: 'department', version: 'latest' },
      'nocai models: promote, rollback and archive take a version such as v1, not latest; show department latest names the version it stands for.\n',
    ],
    [
      'a model name that leaves the folder',
      { action: 'show', dir: '', name: '../etc' },
      `nocai models: invalid model name "../etc": use letters, digits, '.', '_' or '-', starting with a letter or digit.\n`,
    ],
  ])('When given %s, then it exits 2 with one sentence and changes nothing', async (_case, request, message) => {
    const before = await readFile(join(registry, 'department', 'aliases.json'), 'utf8');

    const result = await run({ ...request, dir: registry }, new MemorySink());

    expect(result).toEqual({ code: 2, out: '', err: message });
    expect(await readFile(join(registry, 'department', 'aliases.json'), 'utf8')).toBe(before);
  });

  it('When a change is asked for without an audit trail, then it exits 2 and the champion stays', async () => {
    const result = await run({ action: 'promote', dir: registry, name: 'department', version: 'v2' });

    expect(result.code).toBe(2);
    expect(result.err).toBe(
      "nocai models: a change to the registry is written to the audit trail: give the backend's state folder with --state-dir (or NOCAI_STATE_DIR).\n"
    );
    expect(JSON.parse(await readFile(join(registry, 'department', 'aliases.json'), 'utf8')).champion).toBe('v1');
  });

  it("When --state-dir is given, then the change lands in that folder's audit trail", async () => {
    const stateDir = join(dir, 'state');

    const result = await run({ action: 'promote', dir: registry, name: 'department', version: 'v2', stateDir });

    expect(result.code).toBe(0);
    const lines = (await readFile(join(auditDirIn(stateDir), 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        action: 'model.promote',
        target: 'model:department@v2',
        before: { champion: 'v1' },
        after: { champion: 'v2' },
      }),
    ]);
  });

  it('When the audit trail of --state-dir cannot record the promotion, then it exits 1 saying nothing was changed, and the champion stays', async () => {
    const stateDir = join(dir, 'state');
    // A crash in the middle of an append: the trail's last record has no newline.
    await mkdir(auditDirIn(stateDir), { recursive: true });
    await writeFile(join(auditDirIn(stateDir), 'audit.jsonl'), '{"seq":');
    const history = await readFile(join(registry, 'department', 'aliases.jsonl'), 'utf8');

    const result = await run({ action: 'promote', dir: registry, name: 'department', version: 'v2', stateDir });

    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /^nocai models: nothing was changed: the audit trail could not record model\.promote of model:department@v2 \(.*torn record.*\)\.\n$/
    );
    expect(JSON.parse(await readFile(join(registry, 'department', 'aliases.json'), 'utf8')).champion).toBe('v1');
    expect(await readFile(join(registry, 'department', 'aliases.jsonl'), 'utf8')).toBe(history);
  });

  it('When the models folder does not exist or the command lacks its operands, then it is a usage error', async () => {
    expect((await run({ action: 'list', dir: join(dir, 'nowhere') })).err).toBe(
      `nocai models: ${join(dir, 'nowhere')} does not exist; give the models folder with --dir (or NOCAI_MODELS_DIR).\n`
    );
    // A file is not an empty registry: "no models in …" and exit 0 would hide the mistake.
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'champion: v3\n');
    const listed = await run({ action: 'list', dir: notes });
    expect(listed).toMatchObject({
      code: 2,
      out: '',
      err: `nocai models: ${notes} is a file, not a folder; give the models folder with --dir (or NOCAI_MODELS_DIR).\n`,
    });
    const program = buildProgram(['models', 'promote', 'department']);
    program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    for (const command of program.commands)
      command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    await expect(
      program.parseAsync(['models', 'promote', 'department', '--dir', registry], { from: 'user' })
    ).rejects.toThrow(CommanderError);
  });
});
