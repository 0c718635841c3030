import { appendFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditNotRecordedError } from '../../domain/audit/audit';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../../domain/audit/audit';
import { FileAuditTrail } from '../audit';
import { trainTextClassifier } from '../../domain/mlops/textClassifier';
import { exportLinearClassifier } from '../onnx/linearClassifierExport';
import { DamagedModelError, ModelNotFoundError, RegistryConflictError } from './errors';
import {
  archive,
  describeModel,
  describeVersion,
  listModelSummaries,
  promote,
  rollback,
  setChallenger,
} from './lifecycle';
import type { ChangeContext } from './lifecycle';
import { LOCK_DIR } from './modelLock';
import { listVersions, loadModel, readAliases, saveModel, setAlias } from './modelRegistry';
import { draftManifest } from './registryFixture';

const draft = draftManifest;

/** An audit sink that also reads the alias file when called: the change must not be on disk yet. */
class RecordingSink implements AuditSink {
  readonly entries: Array<AuditEntryInput & { aliasesOnDisk: unknown }> = [];
  constructor(private readonly dir: string) {}
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    const name = entry.target.replace(/^model:/, '').split('@')[0];
    const aliasesOnDisk = JSON.parse(await readFile(join(this.dir, name, 'aliases.json'), 'utf8'));
    this.entries.push({ ...entry, aliasesOnDisk });
    const seq = this.entries.length;
    return { ...entry, seq, at: new Date().toISOString(), prevHash: '', hash: `hash-${seq}` };
  }
}

const admin: ChangeContext = { actor: 'ana', role: 'admin', from: 'cli', reason: 'test' };

describe('model lifecycle in the registry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-lifecycle-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function threeVersions(name = 'department'): Promise<void> {
    for (const byte of [1, 2, 3]) await saveModel(dir, draft(name), new Uint8Array([byte, byte, byte]));
  }

  it('When one byte of a stored model.onnx is flipped, then loading it is refused naming the file', async () => {
    await saveModel(dir, draft('department'), new Uint8Array([10, 20, 30, 40]));
    const file = join(dir, 'department', 'v1', 'model.onnx');
    const bytes = await readFile(file);
    bytes[2] ^= 0x01;
    await writeFile(file, bytes);

    const refusal = loadModel(dir, 'department', 'v1');
    await expect(refusal).rejects.toThrow(DamagedModelError);
    await expect(refusal).rejects.toThrow(
      `${file} does not match the sha256 recorded in its manifest: refusing to load a tampered or damaged model`
    );
    expect((await describeVersion(dir, 'department', 'v1')).artifact?.matchesManifest).toBe(false);
  });

  it('When a version is asked for as champion, challenger or latest, then the version the alias names is described, and an unset alias is refused naming it', async () => {
    await threeVersions();
    await promote(dir, 'department', 'v2', {}, admin);

    expect((await describeVersion(dir, 'department', 'champion')).version).toBe('v2');
    expect((await describeVersion(dir, 'department', 'latest')).version).toBe('v3');
    await expect(describeVersion(dir, 'department', 'challenger')).rejects.toThrow(
      new ModelNotFoundError('model department has no challenger')
    );
    await expect(describeVersion(dir, 'priority', 'latest')).rejects.toThrow(ModelNotFoundError);
  });

  it('When a manifest records no sha256, then loading is refused as unverifiable', async () => {
    await saveModel(dir, draft('department'), new Uint8Array([1]));
    const manifestFile = join(dir, 'department', 'v1', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    delete manifest.artifactSha256;
    await writeFile(manifestFile, JSON.stringify(manifest));

    await expect(loadModel(dir, 'department', 'v1')).rejects.toThrow(
      /model\.onnx has no sha256 recorded in its manifest/
    );
  });

  it('When a real classifier is saved with its metadata, then describe shows who, why, tags, hyperparameters and the graph signature', async () => {
    const examples = Array.from({ length: 40 }, (_, i) => ({
      text: i % 2 ? `link down on router ${i}` : `disk failure on server ${i}`,
      context: {},
      label: i % 2 ? 'network' : 'hardware',
    }));
    const trained = trainTextClassifier('department', examples, { folds: 2 });
    const saved = await saveModel(
      dir,
      draft('department', {
        labels: trained.model.labels,
        createdBy: { kind: 'schedule', name: 'weekly retraining' },
        reason: 'new verdicts',
        tags: { dataset: 'march' },
        hyperparameters: trained.hyperparameters,
      }),
      exportLinearClassifier(trained.model)
    );

    const model = await describeModel(dir, 'department');

    expect(saved.artifactSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.versions[0]).toMatchObject({
      version: 'v1',
      createdBy: { kind: 'schedule', name: 'weekly retraining' },
      reason: 'new verdicts',
      tags: { dataset: 'march' },
      hyperparameters: trained.hyperparameters,
      artifactSha256: saved.artifactSha256,
      archived: null,
    });
    // Read from the ONNX graph: sparse indices and values in, probabilities out.
    const signature = model.versions[0].signature as {
      inputs: Array<{ name: string; type: string }>;
      outputs: unknown[];
    };
    expect(signature.inputs.map((i) => i.type).sort()).toEqual(['float', 'int32']);
    expect(signature.outputs).toHaveLength(1);
  });

  it('When a challenger is promoted, then it becomes champion, the challenger alias is cleared, and the audit records the change before it is on disk', async () => {
    await threeVersions();
    await setAlias(dir, 'department', 'champion', 'v1');
    await setChallenger(dir, 'department', 'v3', admin);
    const audit = new RecordingSink(dir);

    const result = await promote(dir, 'department', 'v3', { expectedChampion: 'v1' }, admin, audit);

    expect(result).toMatchObject({
      changed: true,
      before: { champion: 'v1', challenger: 'v3' },
      after: { champion: 'v3' },
    });
    expect(await readAliases(dir, 'department')).toEqual({ champion: 'v3' });
    expect(await listVersions(dir, 'department')).toEqual(['v1', 'v2', 'v3']);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        action: 'model.promote',
        target: 'model:department@v3',
        actor: 'ana',
        before: { champion: 'v1', challenger: 'v3' },
        after: { champion: 'v3' },
        aliasesOnDisk: { champion: 'v1', challenger: 'v3' },
      }),
    ]);
    // Each line of the move names the entry recorded before it.
    const history = (await describeModel(dir, 'department')).history;
    expect(history.slice(-2).map((line) => [line.alias, line.to, line.auditHash])).toEqual([
      ['champion', 'v3', 'hash-1'],
      ['challenger', null, 'hash-1'],
    ]);
  });

  it('When the audit trail cannot record a promotion, challenger, rollback or archive, then it is refused and the registry is unchanged', async () => {
    await threeVersions();
    await setAlias(dir, 'department', 'champion', 'v1');
    await promote(dir, 'department', 'v2', {}, admin);
    const trail = FileAuditTrail.inStateDir(join(dir, 'state'));
    await trail.start();
    // A crash in the middle of an append: the trail's last record has no newline.
    await appendFile(trail.file, '{"seq":');
    const files = async () =>
      Promise.all(
        ['aliases.json', 'aliases.jsonl', 'archived.json'].map((f) =>
          readFile(join(dir, 'department', f), 'utf8').catch(() => null)
        )
      );
    const before = await files();

    await expect(promote(dir, 'department', 'v3', {}, admin, trail)).rejects.toThrow(AuditNotRecordedError);
    await expect(setChallenger(dir, 'department', 'v3', admin, trail)).rejects.toThrow(
      /^nothing was changed: the audit trail could not record model\.challenger of model:department@v3 \(.*torn record/
    );
    await expect(rollback(dir, 'department', {}, admin, trail)).rejects.toThrow(AuditNotRecordedError);
    await expect(archive(dir, 'department', 'v3', admin, trail)).rejects.toThrow(AuditNotRecordedError);
    expect(await files()).toEqual(before);
    expect(await readAliases(dir, 'department')).toEqual({ champion: 'v2' });
  });

  it('When two promotions expecting the same champion run at once, then exactly one wins and the other is a conflict', async () => {
    await threeVersions();
    await setAlias(dir, 'department', 'champion', 'v1');

    const outcomes = await Promise.allSettled([
      promote(dir, 'department', 'v2', { expectedChampion: 'v1' }, admin),
      promote(dir, 'department', 'v3', { expectedChampion: 'v1' }, admin),
    ]);

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(RegistryConflictError);
    expect(String(lost[0].reason.message)).toMatch(/^the champion of model department is v[23], not v1 as expected/);
    const winner = (won[0] as PromiseFulfilledResult<{ version: string }>).value.version;
    expect((await readAliases(dir, 'department')).champion).toBe(winner);
  });

  it('When several versions are saved at once, then each gets its own number and a complete folder', async () => {
    const saved = await Promise.all([1, 2, 3, 4, 5].map((b) => saveModel(dir, draft('priority'), new Uint8Array([b]))));

    expect(saved.map((m) => m.version).sort()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    for (const m of saved)
      expect((await loadModel(dir, 'priority', m.version)).manifest.artifactSha256).toBe(m.artifactSha256);
  });

  it('When champions follow each other, then rollback goes back one step at a time and to any older version with toVersion', async () => {
    await threeVersions();
    await setAlias(dir, 'department', 'champion', 'v1');
    await promote(dir, 'department', 'v2', {}, admin);
    await promote(dir, 'department', 'v3', {}, admin);
    const audit = new RecordingSink(dir);

    expect((await rollback(dir, 'department', {}, admin, audit)).after.champion).toBe('v2');
    expect((await rollback(dir, 'department', {}, admin, audit)).after.champion).toBe('v1');
    await expect(rollback(dir, 'department', {}, admin)).rejects.toThrow(
      'model department has no earlier champion in its alias history; name the version to go back to'
    );
    await promote(dir, 'department', 'v3', {}, admin);
    expect((await rollback(dir, 'department', { toVersion: 'v1' }, admin, audit)).after.champion).toBe('v1');
    await expect(rollback(dir, 'department', { toVersion: 'v3' }, admin)).rejects.toThrow(/newer than the champion v1/);

    expect(audit.entries.map((e) => [e.action, e.target])).toEqual([
      ['model.rollback', 'model:department@v2'],
      ['model.rollback', 'model:department@v1'],
      ['model.rollback', 'model:department@v1'],
    ]);
    const history = (await describeModel(dir, 'department')).history.filter((h) => h.alias === 'champion');
    expect(history.map((h) => `${h.from ?? '-'}>${h.to ?? '-'}`)).toEqual([
      '->v1',
      'v1>v2',
      'v2>v3',
      'v3>v2',
      'v2>v1',
      'v1>v3',
      'v3>v1',
    ]);
  });

  it('When a version is archived, then it stays listed but cannot become champion or challenger, and the champion cannot be archived', async () => {
    await threeVersions();
    await setAlias(dir, 'department', 'champion', 'v2');
    await setChallenger(dir, 'department', 'v3', admin);

    await expect(archive(dir, 'department', 'v2', admin)).rejects.toThrow(
      'v2 is the champion of model department: promote or roll back to another version before archiving it'
    );
    const archived = await archive(dir, 'department', 'v3', { ...admin, reason: 'worse on segment site-b' });
    expect(archived.after).toEqual({ champion: 'v2' });
    await archive(dir, 'department', 'v1', admin);

    await expect(promote(dir, 'department', 'v1', {}, admin)).rejects.toThrow(
      'model department version v1 is archived: archived versions cannot become champion or challenger'
    );
    await expect(setChallenger(dir, 'department', 'v3', admin)).rejects.toThrow(RegistryConflictError);
    await expect(rollback(dir, 'department', { toVersion: 'v1' }, admin)).rejects.toThrow(/is archived/);
    const model = await describeModel(dir, 'department');
    expect(model.versions.map((v) => [v.version, v.archived?.actor ?? null, v.aliases])).toEqual([
      ['v1', 'ana', []],
      ['v2', null, ['champion']],
      ['v3', 'ana', []],
    ]);
    expect(model.versions[2].archived?.reason).toBe('worse on segment site-b');
    expect(await listModelSummaries(dir)).toEqual([
      { name: 'department', champion: 'v2', challenger: null, versions: 3, archived: 2 },
    ]);
  });

  it('When the model or version does not exist, or a damaged version is promoted, then nothing changes', async () => {
    await threeVersions();
    await setAlias(dir, 'department', 'champion', 'v1');
    await writeFile(join(dir, 'department', 'v2', 'model.onnx'), new Uint8Array([9]));

    await expect(promote(dir, 'nothing', 'v1', {}, admin)).rejects.toThrow(ModelNotFoundError);
    await expect(promote(dir, 'department', 'v9', {}, admin)).rejects.toThrow('model department has no version v9');
    await expect(promote(dir, 'department', 'v2', {}, admin)).rejects.toThrow(DamagedModelError);
    expect(await readAliases(dir, 'department')).toEqual({ champion: 'v1' });
  });

  it('When a writer died holding the lock, then the next writer takes the stale lock over', async () => {
    await threeVersions();
    const lock = join(dir, 'department', LOCK_DIR);
    await mkdir(lock);
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);

    await promote(dir, 'department', 'v2', {}, admin);

    expect(await readAliases(dir, 'department')).toEqual({ champion: 'v2' });
  });
});
