import { maskMessage, MASKING_VERSION } from './masking';
import { TemplateMiner, WILDCARD } from './templateMiner';
import type { AddResult, MinedTemplate, TemplateMinerState } from './templateMiner';

/** A deterministic stream with a few dozen templates, variable fields and some rare lines. */
function syntheticStream(length: number): string[] {
  const users = ['root', 'admin', 'oracle', 'test', 'guest', 'pi'];
  const verbs = ['opened', 'closed', 'reset', 'refused', 'stalled', 'resumed', 'dropped', 'queued'];
  const lines: string[] = [];
  let seed = 7;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < length; i++) {
    const kind = next(6);
    const ip = `10.${next(255)}.${next(255)}.${next(255)}`;
    if (kind === 0) lines.push(`Failed password for ${users[next(users.length)]} from ${ip} port ${next(65535)} ssh2`);
    else if (kind === 1) lines.push(`Connection ${verbs[next(verbs.length)]} by ${ip} [preauth]`);
    else if (kind === 2) lines.push(`worker ${next(40)} took ${next(900)} ms for job ${next(1e6)}`);
    else if (kind === 3) lines.push(`component${next(30)} state change ${verbs[next(verbs.length)]} code ${next(9)}`);
    else if (kind === 4) lines.push(`${verbs[next(verbs.length)]} queue q${next(50)} depth ${next(100)} of ${next(9)}`);
    else
      lines.push(
        `rare event ${next(3)} ${verbs[next(verbs.length)]} ${users[next(users.length)]} extra words ${i % 5}`
      );
  }
  return lines;
}

describe('TemplateMiner', () => {
  it('When a miner masks with the built-in rules alone, then each line comes back masked exactly as maskMessage masks it, for the classifiers', () => {
    const miner = new TemplateMiner();
    const lines = [...syntheticStream(300), '  worker\t7 took 12 ms  ', 'a 1 2 3 b', ''];
    for (const line of lines) expect(miner.add(line).maskedMessage).toBe(maskMessage(line));
  });

  it('When a miner has extra mask rules, then it gives no masked line, since its masking is not maskMessage’s', () => {
    const miner = new TemplateMiner({ extraMaskRules: [{ pattern: String.raw`blk_-?\d+`, replacement: '<BLK>' }] });
    expect(miner.add('Receiving block blk_-42 src 10.0.0.1').maskedMessage).toBeUndefined();
  });

  it('When lines differ only in variables, then they share one template that gains wildcards', () => {
    const miner = new TemplateMiner();
    const first = miner.add('Invalid user webmaster from 173.234.31.186');
    const second = miner.add('Invalid user test9 from 52.80.34.196');
    expect(first).toEqual({
      templateId: first.templateId,
      template: 'Invalid user webmaster from <IP>',
      isNew: true,
      changed: false,
      maskedMessage: 'Invalid user webmaster from <IP>',
    });
    expect(second).toEqual({
      templateId: first.templateId,
      template: `Invalid user ${WILDCARD} from <IP>`,
      isNew: false,
      changed: true,
      maskedMessage: 'Invalid user test9 from <IP>',
    });
    expect(miner.add('Invalid user pi from 10.0.0.1')).toMatchObject({ templateId: first.templateId, changed: false });
  });

  it('keeps lines with different token counts or too little in common apart', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Connection closed by 10.0.0.1 [preauth]');
    const b = miner.add('Connection closed by 10.0.0.1');
    const c = miner.add('Disk quota exceeded on volume data');
    const d = miner.add('Disk controller reset on bus 2');
    expect(new Set([a, b, c, d].map((r) => r.templateId)).size).toBe(4);
  });

  it('gives the same template id to the same first line in any miner, so replicas agree', () => {
    const line = 'session opened for user root by (uid=0)';
    expect(new TemplateMiner().add(line).templateId).toBe(new TemplateMiner().add(line).templateId);
  });

  it('calls onNewTemplate once per new cluster, with the id add returns', () => {
    const seen: MinedTemplate[] = [];
    const miner = new TemplateMiner({ onNewTemplate: (template) => seen.push(template) });
    const results = ['link down on port 1', 'link down on port 2', 'fan 3 failed'].map((line) => miner.add(line));
    expect(seen).toEqual([
      { templateId: results[0].templateId, template: 'link down on port <NUM>' },
      { templateId: results[2].templateId, template: 'fan <NUM> failed' },
    ]);
  });

  it('handles empty and blank messages as one template', () => {
    const miner = new TemplateMiner();
    const empty = miner.add('');
    expect(miner.add('   ')).toMatchObject({ templateId: empty.templateId, template: '', isNew: false });
  });

  describe('match', () => {
    it('finds the cluster add would join, without changing the miner', () => {
      const miner = new TemplateMiner();
      for (const line of syntheticStream(300)) miner.add(line);
      const before = JSON.stringify(miner.toJSON());
      const probe = 'Failed password for nobody from 192.0.2.1 port 4 ssh2';
      const matched = miner.match(probe);
      expect(JSON.stringify(miner.toJSON())).toBe(before);
      expect(matched?.templateId).toBe(miner.add(probe).templateId);
    });

    it('returns undefined for a line unlike any template', () => {
      const miner = new TemplateMiner();
      miner.add('Failed password for root from 10.0.0.1 port 22 ssh2');
      expect(miner.match('kernel panic - not syncing')).toBeUndefined();
      expect(miner.clusterCount).toBe(1);
    });
  });

  describe('bounded memory', () => {
    it('When maxClusters is reached, then the least recently used cluster is forgotten', () => {
      const miner = new TemplateMiner({ maxClusters: 2 });
      const a = miner.add('alpha service started');
      miner.add('beta disk is full now');
      miner.add('alpha service stopped');
      const c = miner.add('gamma fan speed low today ok');
      expect(miner.templates().map((t) => t.templateId)).toEqual([c.templateId, a.templateId]);
      expect(miner.add('beta disk is full now').isNew).toBe(true);
      expect(miner.clusterCount).toBe(2);
    });

    it('prunes the tree branches of forgotten clusters', () => {
      const miner = new TemplateMiner({ maxClusters: 1 });
      miner.add('one two three');
      miner.add('four five six seven');
      expect(miner.toJSON().tree.map(([key]) => key)).toEqual(['4']);
    });

    it('caps the children of a tree node, sending further tokens down the wildcard branch', () => {
      const miner = new TemplateMiner({ maxChildren: 3, depth: 4 });
      for (const word of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) miner.add(`${word} process exited`);
      const [[, lengthNode]] = miner.toJSON().tree;
      expect(lengthNode.children?.map(([key]) => key)).toEqual(['alpha', 'beta', WILDCARD]);
    });
  });

  describe('state', () => {
    const replay = (miner: TemplateMiner, lines: readonly string[]): AddResult[] =>
      lines.map((line) => miner.add(line));

    it.each([
      ['unbounded', {}],
      ['evicting', { maxClusters: 8, maxChildren: 4, depth: 5 }],
    ])('When restored from saved JSON, then a %s miner continues exactly like the original', (_name, settings) => {
      const lines = syntheticStream(4000);
      const original = new TemplateMiner(settings);
      replay(original, lines.slice(0, 2000));
      const state = JSON.parse(JSON.stringify(original.toJSON())) as TemplateMinerState;
      const restored = TemplateMiner.fromJSON(state);

      expect(replay(restored, lines.slice(2000))).toEqual(replay(original, lines.slice(2000)));
      expect(restored.toJSON()).toEqual(original.toJSON());
    });

    it('keeps notifying new templates after a restore', () => {
      const original = new TemplateMiner();
      original.add('disk sda failed');
      const seen: string[] = [];
      const restored = TemplateMiner.fromJSON(original.toJSON(), { onNewTemplate: (t) => seen.push(t.template) });
      restored.add('disk sdb failed');
      restored.add('power lost on feed A');
      expect(seen).toEqual(['power lost on feed A']);
    });

    it('refuses state written with another masking version', () => {
      const state = { ...new TemplateMiner().toJSON(), maskingVersion: MASKING_VERSION + 1 };
      expect(() => TemplateMiner.fromJSON(state)).toThrow(/masking/);
    });
  });

  describe('batch mining (addAll)', () => {
    it('When a position shows a few plain words, then each word is a template of its own', () => {
      const mined = new TemplateMiner().addAll([
        'Interface Gi0/1 changed state to down',
        'Interface Gi0/2 changed state to up',
        'Interface Gi0/7 changed state to down',
      ]);
      expect(mined.map((m) => m.template)).toEqual([
        'Interface Gi0/<NUM> changed state to down',
        'Interface Gi0/<NUM> changed state to up',
        'Interface Gi0/<NUM> changed state to down',
      ]);
      expect(mined[0].templateId).toBe(mined[2].templateId);
      expect(mined[1].templateId).not.toBe(mined[0].templateId);
    });

    it('When a position shows more words than maxVariantWords, then it is a variable', () => {
      const users = ['root', 'admin', 'oracle', 'guest'];
      const lines = users.map((user, i) => `Invalid user ${user} from 10.0.0.${i}`);
      const many = new TemplateMiner({ maxVariantWords: 3 }).addAll(lines);
      expect(new Set(many.map((m) => m.templateId)).size).toBe(1);
      expect(many[0].template).toBe('Invalid user <*> from <IP>');
      const few = new TemplateMiner({ maxVariantWords: 3 }).addAll(lines.slice(0, 3));
      expect(new Set(few.map((m) => m.templateId)).size).toBe(3);
    });

    it('allows more upper-case constants than words, as state machines name their states', () => {
      const states = ['NEW', 'SCHEDULED', 'RUNNING', 'SUCCEEDED', 'FAILED'];
      const lines = states.map((state, i) => `task 1${i} transitioned to ${state}`);
      const constants = new TemplateMiner({ maxVariantWords: 3, maxVariantConstants: 8 }).addAll(lines);
      expect(new Set(constants.map((m) => m.templateId)).size).toBe(5);
      const words = new TemplateMiner({ maxVariantWords: 3, maxVariantConstants: 0 }).addAll(lines);
      expect(new Set(words.map((m) => m.templateId)).size).toBe(1);
    });

    it('never enumerates values: numbers, addresses, quoted text, day and month names', () => {
      const mined = new TemplateMiner().addAll([
        'login at Mon Jun 17 from 10.0.0.1',
        'login at Tue Jul 18 from 10.0.0.2',
        "service 'alpha' started",
        "service 'beta' started",
      ]);
      expect(mined[0]).toEqual(mined[1]);
      expect(mined[2]).toEqual(mined[3]);
    });

    it('gives a cluster without enumerations the id and final template add gave it', () => {
      const lines = syntheticStream(500);
      const streaming = new TemplateMiner({ maxVariantWords: 0 });
      const ids = lines.map((line) => streaming.add(line).templateId);
      const finals = new Map(streaming.templates().map((t) => [t.templateId, t.template] as const));
      const batch = new TemplateMiner({ maxVariantWords: 0 }).addAll(lines);
      expect(batch).toEqual(ids.map((templateId) => ({ templateId, template: finals.get(templateId) })));
    });

    it('When streaming, then a word position stays one template, so ids do not split as words arrive', () => {
      const miner = new TemplateMiner();
      const down = miner.add('link 3 is down');
      expect(miner.add('link 4 is up')).toMatchObject({ templateId: down.templateId, template: 'link <NUM> is <*>' });
    });
  });

  it('routes tokens holding a placeholder down the wildcard branch, as Drain routes tokens with digits', () => {
    const miner = new TemplateMiner({ depth: 4 });
    const map = miner.add('task_1445_0020_m_000000 Task Transitioned from NEW to SCHEDULED');
    const reduce = miner.add('task_1445_0020_r_000000 Task Transitioned from NEW to SCHEDULED');
    expect(reduce.templateId).toBe(map.templateId);
  });

  it('When restored from a format-1 state, then it routes and saves as format-1 miners did', () => {
    const state: TemplateMinerState = { ...new TemplateMiner().toJSON(), format: 1 };
    const restored = TemplateMiner.fromJSON(JSON.parse(JSON.stringify(state)) as TemplateMinerState);
    restored.add('10.0.0.1 unreachable');
    // Placeholders had a branch of their own before format 2.
    expect(restored.toJSON().format).toBe(1);
    expect(JSON.stringify(restored.toJSON().tree)).toContain('"<IP>"');
    const current = new TemplateMiner();
    current.add('10.0.0.1 unreachable');
    expect(current.toJSON().format).toBe(2);
    expect(JSON.stringify(current.toJSON().tree)).not.toContain('"<IP>"');
  });

  it('rejects settings it cannot honour', () => {
    expect(() => new TemplateMiner({ depth: 2 })).toThrow(RangeError);
    expect(() => new TemplateMiner({ similarityThreshold: 1.5 })).toThrow(RangeError);
    expect(() => new TemplateMiner({ maxClusters: 0 })).toThrow(RangeError);
    expect(() => new TemplateMiner({ maxVariantWords: -1 })).toThrow(RangeError);
  });
});
