import { knownRole, recoveredEntry, registryChanges, unauditedChanges } from './auditGaps';
import type { AuditFact, RegistryChange } from './auditGaps';
import type { AliasChange, ArchivedVersion } from './registryFiles';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const move = (seconds: number, change: Omit<AliasChange, 'at' | 'actor'> & { actor?: string }): AliasChange => ({
  at: at(seconds),
  actor: 'ana',
  ...change,
});
const promotion = (seconds: number, from: string | null, to: string, actor = 'ana') =>
  move(seconds, { alias: 'champion', from, to, action: 'promote', actor, reason: 'better F1' });

/** The record the lifecycle writes a few milliseconds after the change's history line. */
const recordOf = (change: RegistryChange, delayMs = 5, role = 'admin'): AuditFact => ({
  action: change.action,
  target: `model:${change.model}@${change.version}`,
  at: new Date(Date.parse(change.at) + delayMs).toISOString(),
  actor: change.actor,
  role,
});

const gaps = (history: AliasChange[], facts: (changes: RegistryChange[]) => AuditFact[], archived = {}) => {
  const changes = registryChanges('topic', history, archived);
  return unauditedChanges(changes, facts(changes), T0 - 60_000);
};

describe('which registry changes the audit trail never recorded', () => {
  it('When a promotion has its record, then nothing is missing', () => {
    expect(gaps([promotion(1, 'v1', 'v2')], (c) => c.map((x) => recordOf(x)))).toEqual([]);
  });

  it('When a promotion has no record, then it is the one change missing, with its time, actor and aliases from → to', () => {
    const missing = gaps([promotion(1, 'v1', 'v2')], () => []);
    expect(missing).toEqual([
      {
        model: 'topic',
        action: 'model.promote',
        version: 'v2',
        at: at(1),
        actor: 'ana',
        reason: 'better F1',
        before: { champion: 'v1' },
        after: { champion: 'v2' },
      },
    ]);
  });

  it('When a promoted challenger lets go of its alias, then the two lines of that write are one promotion', () => {
    const history = [
      promotion(1, 'v1', 'v2'),
      move(1, { alias: 'challenger', from: 'v2', to: null, action: 'promote', reason: 'better F1' }),
    ];
    const missing = gaps(history, () => []);
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ before: { champion: 'v1', challenger: 'v2' }, after: { champion: 'v2' } });
  });

  describe('When a version is promoted twice in quick succession (v2, v3, v2 again)', () => {
    const history = [promotion(1, 'v1', 'v2'), promotion(2, 'v2', 'v3', 'bob'), promotion(3, 'v3', 'v2')];

    it('then with every record nothing is missing', () => {
      expect(gaps(history, (c) => c.map((x) => recordOf(x)))).toEqual([]);
    });

    it('then without the second promotion of v2 only that one is missing', () => {
      const missing = gaps(history, (c) => [recordOf(c[0]), recordOf(c[1])]);
      expect(missing.map((m) => [m.version, m.at])).toEqual([['v2', at(3)]]);
    });

    it('then without the first promotion of v2 only that one is missing, though the later record came after both', () => {
      const missing = gaps(history, (c) => [recordOf(c[1]), recordOf(c[2])]);
      expect(missing.map((m) => [m.version, m.at])).toEqual([['v2', at(1)]]);
    });

    it('then without either record of v2 both are missing, oldest first', () => {
      const missing = gaps(history, (c) => [recordOf(c[1])]);
      expect(missing.map((m) => [m.version, m.at])).toEqual([
        ['v2', at(1)],
        ['v2', at(3)],
      ]);
    });

    it('then a record written late, after the next change of v2, still counts once', () => {
      // The first promotion's record waited for the trail's lock past the third change.
      const missing = gaps(history, (c) => [recordOf(c[0], 2500), recordOf(c[1]), recordOf(c[2])]);
      expect(missing).toEqual([]);
    });
  });

  it('When a recovered record names the change it stands for, then that change is not missing any more', () => {
    const history = [promotion(1, 'v1', 'v2'), promotion(2, 'v2', 'v3'), promotion(3, 'v3', 'v2')];
    const recovered = (c: RegistryChange): AuditFact => ({ ...recordOf(c, 3_600_000), changedAt: c.at });
    // Recovered a day later for the first promotion; the second promotion of v2 has its own live record.
    const missing = gaps(history, (c) => [recordOf(c[1]), recordOf(c[2]), recovered(c[0])]);
    expect(missing).toEqual([]);
    // A recovered record pairs with its own change only: the other promotion of v2 is still missing.
    expect(gaps(history, (c) => [recordOf(c[1]), recovered(c[0])]).map((m) => m.at)).toEqual([at(3)]);
  });

  it('When a record is for another model, version or action, then it does not stand for the change', () => {
    const history = [promotion(1, 'v1', 'v2')];
    const missing = gaps(history, (c) => [
      { ...recordOf(c[0]), target: 'model:other@v2' },
      { ...recordOf(c[0]), target: 'model:topic@v3' },
      { ...recordOf(c[0]), action: 'model.rollback' },
    ]);
    expect(missing).toHaveLength(1);
  });

  it('When a rollback has no record, then it is missing as model.rollback of the version it went back to', () => {
    const history = [
      promotion(1, 'v1', 'v2'),
      move(2, { alias: 'champion', from: 'v2', to: 'v1', action: 'rollback' }),
    ];
    const missing = gaps(history, (c) => [recordOf(c[0])]);
    expect(missing).toEqual([
      expect.objectContaining({
        action: 'model.rollback',
        version: 'v1',
        at: at(2),
        before: { champion: 'v2' },
        after: { champion: 'v1' },
      }),
    ]);
  });

  it('When a challenger is named without a record, then it is missing as model.challenger of that version', () => {
    const history = [move(1, { alias: 'challenger', from: null, to: 'v3', action: 'challenger' })];
    expect(gaps(history, () => [])).toEqual([
      expect.objectContaining({ action: 'model.challenger', version: 'v3', before: {}, after: { challenger: 'v3' } }),
    ]);
  });

  describe('When a version is archived without a record', () => {
    const archived: Record<string, ArchivedVersion> = { v3: { at: at(5), actor: 'ana', reason: 'obsolete' } };

    it('then the archive is missing, from archived.json, with the challenger it let go of', () => {
      const history = [
        move(1, { alias: 'challenger', from: null, to: 'v3', action: 'challenger' }),
        move(5.002, { alias: 'challenger', from: 'v3', to: null, action: 'archive', reason: 'obsolete' }),
      ];
      const missing = gaps(history, (c) => [recordOf(c[0])], archived);
      expect(missing).toEqual([
        {
          model: 'topic',
          action: 'model.archive',
          version: 'v3',
          at: at(5),
          actor: 'ana',
          reason: 'obsolete',
          before: { archived: false, aliases: { challenger: 'v3' } },
          after: { archived: true, aliases: {} },
        },
      ]);
    });

    it('then a version that held no alias is missing too (archived.json is its only trace)', () => {
      expect(gaps([], () => [], archived)).toEqual([
        expect.objectContaining({ action: 'model.archive', before: { archived: false }, after: { archived: true } }),
      ]);
    });

    it('then with its record nothing is missing', () => {
      expect(gaps([], (c) => [recordOf(c[0])], archived)).toEqual([]);
    });
  });

  it('When a trainer set its first champion (action set) or a line has no action, then nothing is missing: those writers do not audit', () => {
    const history = [
      move(1, { alias: 'champion', from: null, to: 'v1', action: 'set' }),
      move(2, { alias: 'champion', from: 'v1', to: 'v2' }),
    ];
    expect(gaps(history, () => [])).toEqual([]);
  });

  it('When a change is older than the trail, then it is not back-filled, yet it keeps its own record from hiding a later gap', () => {
    const history = [promotion(1, 'v1', 'v2'), promotion(2, 'v2', 'v3'), promotion(3, 'v3', 'v2')];
    const changes = registryChanges('topic', history, {});
    // The trail began with the record of the first promotion; the third one has none.
    const facts = [recordOf(changes[0]), recordOf(changes[1])];
    const missing = unauditedChanges(changes, facts, Date.parse(facts[0].at));
    expect(missing.map((m) => m.at)).toEqual([at(3)]);
    // A registry whose changes all came before the trail began: nothing is back-filled.
    expect(unauditedChanges(changes, [], T0 + 10_000)).toEqual([]);
  });

  it('When a line or an archive has no readable time, then it is left out rather than recorded with a wrong one', () => {
    const history = [{ ...promotion(1, 'v1', 'v2'), at: 'yesterday' }];
    const archived = { v3: { at: 'soon', actor: 'ana' }, v4: null } as unknown as Record<string, ArchivedVersion>;
    expect(registryChanges('topic', history, archived)).toEqual([]);
  });

  it('When the clocks of the history and the trail disagree, then records still count once each', () => {
    const history = [promotion(1, 'v1', 'v2'), promotion(2, 'v2', 'v3')];
    const changes = registryChanges('topic', history, {});
    // Records stamped an hour before their changes (a trail on a test clock, or a clock set back).
    const early = changes.map((c) => recordOf(c, -3_600_000));
    expect(unauditedChanges(changes, early, 0)).toEqual([]);
    expect(unauditedChanges(changes, early.slice(1), 0).map((m) => m.version)).toEqual(['v2']);
  });
});

describe('the recovered entry', () => {
  const change: RegistryChange = {
    model: 'topic',
    action: 'model.promote',
    version: 'v2',
    at: at(1),
    actor: 'ana',
    reason: 'better F1',
    before: { champion: 'v1' },
    after: { champion: 'v2' },
  };

  it('When a change is recovered, then its entry says so: from recovered, the change time, the reason given, aliases from → to', () => {
    expect(recoveredEntry(change, 'admin')).toEqual({
      actor: 'ana',
      role: 'admin',
      action: 'model.promote',
      target: 'model:topic@v2',
      before: { champion: 'v1' },
      after: { champion: 'v2' },
      from: 'recovered',
      reason:
        `recorded at the restart after an interrupted change: the registry made it at ${at(1)}, ` +
        'but the process stopped before the audit trail recorded it; the reason given was: better F1',
      changedAt: at(1),
    });
  });

  it("When the actor's role is in the trail before the change, then it is that role; otherwise unknown", () => {
    const facts: AuditFact[] = [
      { action: 'ticket.update', target: 'ticket:T-1', at: at(-100), actor: 'ana', role: 'operator' },
      { action: 'token.create', target: 'token:x', at: at(-10), actor: 'ana', role: 'admin' },
      { action: 'ticket.update', target: 'ticket:T-2', at: at(50), actor: 'ana', role: 'viewer' },
      { action: 'ticket.update', target: 'ticket:T-3', at: at(-5), actor: 'bob', role: 'unknown' },
    ];
    expect(knownRole(facts, 'ana', Date.parse(at(1)))).toBe('admin');
    expect(knownRole(facts, 'ana', Date.parse(at(-50)))).toBe('operator');
    expect(knownRole(facts, 'bob', Date.parse(at(1)))).toBe('unknown');
    expect(knownRole(facts, 'carol', Date.parse(at(1)))).toBe('unknown');
  });
});
