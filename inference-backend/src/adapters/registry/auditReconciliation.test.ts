import { access, appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAuditTrail, verifyAuditTrail } from '../audit';
import { AUDIT_SINCE_FILE, reconcileRegistryAudit } from './auditReconciliation';
import { archive, promote, rollback, setChallenger } from './lifecycle';
import type { ChangeContext } from './lifecycle';
import { readAliasesFile, saveModel, setAlias } from './modelRegistry';
import { draftManifest } from './registryFixture';

const draft = draftManifest;

const ana: ChangeContext = { actor: 'ana', role: 'admin', from: '10.0.0.7', reason: 'better F1' };

describe('reconciling the registry with the audit trail at a restart', () => {
  let dir: string;
  let registryDir: string;
  let trail: FileAuditTrail;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocai-reconcile-'));
    registryDir = join(dir, 'models');
    trail = FileAuditTrail.inStateDir(join(dir, 'state'));
    for (const byte of [1, 2, 3]) await saveModel(registryDir, draft('topic'), new Uint8Array([byte, byte, byte]));
    // The first champion, set by the trainer (not audited, and older than the trail).
    await setAlias(registryDir, 'topic', 'champion', 'v1');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A service's start: the trail continued, then the registry reconciled with it. */
  const restart = async () => {
    trail = FileAuditTrail.inStateDir(join(dir, 'state'));
    await trail.start();
    return reconcileRegistryAudit(registryDir, trail);
  };
  const entries = async () => (await trail.list({ limit: 1000 })).entries;

  it('When a promotion was cut off before its record, then the restart records it once, from recovered, and a second restart records nothing', async () => {
    expect((await restart()).recorded).toEqual([]);
    await promote(registryDir, 'topic', 'v2', {}, ana, trail);
    // The process died between the history line and the record: the same files without the record.
    await promote(registryDir, 'topic', 'v3', {}, { ...ana, actor: 'bob', reason: 'fault' });
    const history = (await readFile(join(registryDir, 'topic', 'aliases.jsonl'), 'utf8')).trim().split('\n');
    const cutOff = JSON.parse(history[history.length - 1]) as { at: string };

    const first = await restart();
    expect(first.recorded).toHaveLength(1);
    const all = await entries();
    expect(all.map((e) => [e.action, e.target, e.actor, e.from])).toEqual([
      ['model.promote', 'model:topic@v2', 'ana', '10.0.0.7'],
      ['model.promote', 'model:topic@v3', 'bob', 'recovered'],
    ]);
    expect(all[1]).toMatchObject({
      role: 'unknown',
      before: { champion: 'v2' },
      after: { champion: 'v3' },
      changedAt: cutOff.at,
    });
    expect(all[1].reason).toMatch(
      /^recorded at the restart after an interrupted change: .*the reason given was: fault$/
    );
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 2 });

    expect((await restart()).recorded).toEqual([]);
    expect(await entries()).toHaveLength(2);
  });

  it('When a promotion was cut off between aliases.json and its history line, then the restart writes the line and records the promotion once; moves that never reached aliases.json are dropped', async () => {
    await restart();
    await promote(registryDir, 'topic', 'v2', {}, { ...ana, actor: 'bob' });
    // What a kill -9 at the aliases-written crash point leaves: aliases.json names v2, the history
    // has no line for it, the pending file holds the moves.
    const historyFile = join(registryDir, 'topic', 'aliases.jsonl');
    const pendingFile = join(registryDir, 'topic', 'aliases.pending.json');
    const lines = (await readFile(historyFile, 'utf8')).trim().split('\n');
    const cut = lines.pop() as string;
    await writeFile(historyFile, `${lines.join('\n')}\n`);
    await writeFile(pendingFile, `${JSON.stringify([JSON.parse(cut)])}\n`);

    const first = await restart();
    expect(first.recorded.map((e) => [e.action, e.target, e.actor, e.from])).toEqual([
      ['model.promote', 'model:topic@v2', 'bob', 'recovered'],
    ]);
    expect((await readFile(historyFile, 'utf8')).trim().split('\n')).toEqual([...lines, cut]);
    await expect(access(pendingFile)).rejects.toThrow();
    expect((await restart()).recorded).toEqual([]);

    // A crash after the pending file but before aliases.json: the move never happened.
    const never = { ...JSON.parse(cut), from: 'v2', to: 'v3', at: new Date().toISOString() };
    await writeFile(pendingFile, `${JSON.stringify([never])}\n`);
    expect((await restart()).recorded).toEqual([]);
    expect((await readFile(historyFile, 'utf8')).trim().split('\n')).toEqual([...lines, cut]);
    await expect(access(pendingFile)).rejects.toThrow();
  });

  it("When the actor of a cut-off change was recorded before, then the recovered entry has that actor's role", async () => {
    await restart();
    await promote(registryDir, 'topic', 'v2', {}, ana, trail);
    await rollback(registryDir, 'topic', {}, ana);
    await archive(registryDir, 'topic', 'v3', ana);
    const { recorded } = await restart();
    expect(recorded.map((e) => [e.action, e.target, e.role, e.from])).toEqual([
      ['model.rollback', 'model:topic@v1', 'admin', 'recovered'],
      ['model.archive', 'model:topic@v3', 'admin', 'recovered'],
    ]);
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 3 });
    expect((await restart()).recorded).toEqual([]);
  });

  it('When the registry had changes before the audit trail began, then they are not back-filled', async () => {
    await promote(registryDir, 'topic', 'v2', {}, ana);
    await archive(registryDir, 'topic', 'v3', ana);
    const first = await restart();
    expect(first.recorded).toEqual([]);
    // Kept: the beginning does not move with the clock of later starts.
    const since = JSON.parse(await readFile(join(trail.dir, AUDIT_SINCE_FILE), 'utf8')) as { since: string };
    expect(since.since).toBe(first.since);
    expect((await restart()).since).toBe(first.since);
    expect(await entries()).toEqual([]);
  });

  it('When a model’s alias history is damaged, then that model is skipped with the reason and the others are reconciled', async () => {
    for (const byte of [4, 5]) await saveModel(registryDir, draft('mttr'), new Uint8Array([byte]));
    await restart();
    await promote(registryDir, 'mttr', 'v2', {}, ana);
    await promote(registryDir, 'topic', 'v2', {}, ana);
    await appendFile(join(registryDir, 'topic', 'aliases.jsonl'), 'not json\n{"at":"x"}\n');
    const { recorded, skipped } = await restart();
    expect(recorded.map((e) => e.target)).toEqual(['model:mttr@v2']);
    expect(skipped).toEqual([
      { model: 'topic', problem: expect.stringMatching(/aliases\.jsonl.*line \d+ is not an alias change/) },
    ]);
  });

  /** What a change records first (`recordThenSave`): left alone, a crash came before the change. */
  const entryOnly = (action: string, version: string, before: unknown, after: unknown) =>
    trail.record({
      actor: 'bob',
      role: 'admin',
      action,
      target: `model:topic@${version}`,
      before,
      after,
      from: '10.0.0.8',
    });

  it('When the process stopped after a promotion was recorded, before it was made, then the restart records it as not done once, recovers nothing, and a later promotion stands on its own entry', async () => {
    await restart();
    const cut = await entryOnly('model.promote', 'v2', { champion: 'v1' }, { champion: 'v2' });

    const first = await restart();
    expect(first.recorded).toEqual([]);
    expect(first.failed.map((e) => [e.action, e.target, e.actor, e.role, e.from])).toEqual([
      ['model.promote.failed', 'model:topic@v2', 'bob', 'admin', 'recovered'],
    ]);
    expect(first.failed[0]).toMatchObject({ before: { champion: 'v2' }, after: { champion: 'v1' } });
    expect(first.failed[0].reason).toMatch(new RegExp(`^entry ${cut.seq} was not saved: the process stopped`));
    expect(await readAliasesFile(registryDir, 'topic')).toEqual({ champion: 'v1' });
    expect(await restart()).toMatchObject({ recorded: [], failed: [] });

    await promote(registryDir, 'topic', 'v2', {}, ana, trail);
    expect(await restart()).toMatchObject({ recorded: [], failed: [] });
    expect((await entries()).map((e) => `${e.action} ${e.target} ${e.from}`)).toEqual([
      'model.promote model:topic@v2 10.0.0.8',
      'model.promote.failed model:topic@v2 recovered',
      'model.promote model:topic@v2 10.0.0.7',
    ]);
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 3 });
  });

  it('When an entry was followed by its .failed entry, then neither stands for a change: a later change made without an entry is still recovered', async () => {
    await restart();
    await entryOnly('model.promote', 'v2', { champion: 'v1' }, { champion: 'v2' });
    await entryOnly('model.promote.failed', 'v2', { champion: 'v2' }, { champion: 'v1' });
    // A writer without a trail (an older nocai) promotes v2 afterwards.
    await promote(registryDir, 'topic', 'v2', {}, { ...ana, actor: 'carl' });

    const { recorded, failed } = await restart();
    expect(failed).toEqual([]);
    expect(recorded.map((e) => [e.action, e.target, e.actor, e.from])).toEqual([
      ['model.promote', 'model:topic@v2', 'carl', 'recovered'],
    ]);
    expect(await restart()).toMatchObject({ recorded: [], failed: [] });
  });

  it('When changes were made through the trail, then every one is paired with its own entry: nothing recovered, nothing marked not done', async () => {
    await restart();
    await promote(registryDir, 'topic', 'v2', {}, ana, trail);
    await setChallenger(registryDir, 'topic', 'v3', ana, trail);
    await rollback(registryDir, 'topic', {}, ana, trail);
    await archive(registryDir, 'topic', 'v3', ana, trail);
    await promote(registryDir, 'topic', 'v2', {}, ana, trail);
    expect(await restart()).toMatchObject({ recorded: [], failed: [], skipped: [] });
    expect(await entries()).toHaveLength(5);
  });

  it('When an import was recorded but its version never written, then the restart records it as not done; an import whose version is in place is left alone', async () => {
    await restart();
    await entryOnly('model.import', 'v4', null, { version: 'v4' });
    const first = await restart();
    expect(first.failed.map((e) => [e.action, e.target])).toEqual([['model.import.failed', 'model:topic@v4']]);
    // The next import takes the same number: its entry, then its folder.
    await entryOnly('model.import', 'v4', null, { version: 'v4' });
    await saveModel(registryDir, draft('topic'), new Uint8Array([4, 4, 4]));
    expect(await restart()).toMatchObject({ recorded: [], failed: [] });
  });
});
