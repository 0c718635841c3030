import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry, AuditEntryInput } from '../../domain/audit/audit';
import type { SeriesPoint } from '../../domain/series';
import { canonicalJson, entryHash, GENESIS_HASH, InvalidAuditEntryError } from './chain';
import { AuditTrailDamagedError, FileAuditTrail } from './fileAuditTrail';
import { verifyAuditTrail } from './verify';

const input = (n: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  actor: `user${n}`,
  role: 'operator',
  action: 'ticket.update',
  target: `ticket:T-${n}`,
  before: { status: 'open', version: n },
  after: { status: 'acknowledged', version: n + 1 },
  from: 'api',
  ...extra,
});

const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const entriesOf = (file: string) => linesOf(file).map((l) => JSON.parse(l) as AuditEntry);

describe('FileAuditTrail', () => {
  let dir: string;
  let nowMs: number;
  const clock = { nowMs: () => nowMs };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nocai-audit-'));
    nowMs = Date.UTC(2025, 0, 6, 9, 0, 0);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const recordAll = async (trail: FileAuditTrail, count: number) => {
    for (let n = 1; n <= count; n++) {
      await trail.record(input(n));
      nowMs += 1000;
    }
  };

  it('When entries are recorded, then each is a line chained to the one before, from 64 zeros, and verify finds them intact', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    const first = await trail.record(input(1, { reason: 'acknowledged from the panel' }));
    nowMs += 1000;
    const second = await trail.record(input(2, { before: undefined }));

    expect(first).toMatchObject({ seq: 1, at: '2025-01-06T09:00:00.000Z', prevHash: GENESIS_HASH, actor: 'user1' });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, before: null, after: { status: 'acknowledged' } });
    expect(entriesOf(trail.file)).toEqual([first, second]);
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 2 });
  });

  it('When the backend restarts, then a new trail on the same folder continues the seq and the chain', async () => {
    const before = new FileAuditTrail(dir, { clock });
    await recordAll(before, 3);
    const last = entriesOf(before.file)[2];
    const after = new FileAuditTrail(dir, { clock });
    expect(await after.start()).toEqual({ entries: 3 });
    const next = await after.record(input(4));
    expect(next).toMatchObject({ seq: 4, prevHash: last.hash });
    expect(await verifyAuditTrail(after.file)).toEqual({ ok: true, entries: 4 });
  });

  it('When one byte of a middle record is changed, then verify names that entry as changed', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 5);
    const text = readFileSync(trail.file, 'utf8');
    const at = text.indexOf('"actor":"user3"') + '"actor":"user'.length;
    writeFileSync(trail.file, `${text.slice(0, at)}8${text.slice(at + 1)}`);

    const result = await verifyAuditTrail(trail.file);
    expect(result).toMatchObject({ ok: false, entries: 2, firstBadSeq: 3 });
    expect(result.problem).toBe(
      'entry 3 (line 3) was changed after it was written: its content no longer matches its hash'
    );
  });

  it('When a changed record is given a matching hash, then the next entry no longer follows it', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 4);
    const entries = entriesOf(trail.file);
    const forged = { ...entries[1], actor: 'someone-else' };
    entries[1] = { ...forged, hash: entryHash(forged) };
    writeFileSync(trail.file, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));

    const result = await verifyAuditTrail(trail.file);
    expect(result).toMatchObject({ ok: false, entries: 2, firstBadSeq: 3 });
    expect(result.problem).toMatch(/^entry 3 \(line 3\) does not follow entry 2/);
  });

  it('When a record is removed, then verify says which entry is missing', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 5);
    const lines = linesOf(trail.file);
    writeFileSync(trail.file, [...lines.slice(0, 2), ...lines.slice(3)].map((l) => `${l}\n`).join(''));

    const result = await verifyAuditTrail(trail.file);
    expect(result).toMatchObject({ ok: false, entries: 2, firstBadSeq: 3 });
    expect(result.problem).toBe(
      'entry 3 is missing: line 3 holds entry 4 where entry 3 should be (records were removed)'
    );
  });

  it('When the last records of a mirrored trail are removed, then verify names the first missing entry', async () => {
    const trail = new FileAuditTrail(dir, { clock, mirror: { write: async () => undefined } });
    await trail.start();
    await recordAll(trail, 5);
    expect(await trail.flushMirror()).toBe(0);
    const lines = linesOf(trail.file);
    writeFileSync(
      trail.file,
      lines
        .slice(0, 3)
        .map((l) => `${l}\n`)
        .join('')
    );

    const result = await verifyAuditTrail(trail.file);
    expect(result).toMatchObject({ ok: false, entries: 3, firstBadSeq: 4 });
    expect(result.problem).toBe(
      'entries 4 to 5 are missing from the end: the trail stops at entry 3, but mirrored.json says entry 5 was written and mirrored to aiops_audit (records were removed)'
    );
  });

  it('When the last records of a mirrored trail are removed, then neither the running trail, nor a restarted one, nor the CLI reuses their seqs', async () => {
    const trail = new FileAuditTrail(dir, { clock, mirror: { write: async () => undefined } });
    await trail.start();
    await recordAll(trail, 5);
    expect(await trail.flushMirror()).toBe(0);
    const shortened = linesOf(trail.file)
      .slice(0, 3)
      .map((l) => `${l}\n`)
      .join('');
    writeFileSync(trail.file, shortened);

    const refusal =
      `the audit trail ${trail.file} ends at entry 3, but entry 5 was already written and mirrored to aiops_audit ` +
      '(mirrored.json): records were removed from its end, and nothing more is recorded so that no seq is used twice ' +
      '(nocai audit verify names what is missing)';
    await expect(trail.record(input(6))).rejects.toThrow(new AuditTrailDamagedError(refusal));
    const restarted = new FileAuditTrail(dir, { clock, mirror: { write: async () => undefined } });
    await expect(restarted.start()).rejects.toThrow(refusal);
    // The CLI (nocai tokens, nocai models) records without start.
    await expect(new FileAuditTrail(dir, { clock }).record(input(6))).rejects.toThrow(refusal);
    expect(readFileSync(trail.file, 'utf8')).toBe(shortened);
    // The whole file removed is the same loss.
    rmSync(trail.file);
    await expect(new FileAuditTrail(dir, { clock }).start()).rejects.toThrow(/ends at entry 0, but entry 5/);
  });

  it('When the first record is removed, then verify says so', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 3);
    writeFileSync(
      trail.file,
      linesOf(trail.file)
        .slice(1)
        .map((l) => `${l}\n`)
        .join('')
    );
    expect(await verifyAuditTrail(trail.file)).toMatchObject({ ok: false, entries: 0, firstBadSeq: 1 });
  });

  it('When two records are swapped, then verify says the entry is out of order', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 5);
    const lines = linesOf(trail.file);
    [lines[2], lines[3]] = [lines[3], lines[2]];
    writeFileSync(trail.file, lines.map((l) => `${l}\n`).join(''));

    const result = await verifyAuditTrail(trail.file);
    expect(result).toMatchObject({ ok: false, entries: 2, firstBadSeq: 3 });
    expect(result.problem).toMatch(/^entry 3 is out of order: line 3 holds entry 4 .* \(line 4\)$/);
  });

  it('When the last record is torn by a crash, then verify reports it and recording refuses, leaving the file as it was', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 3);
    appendFileSync(trail.file, '{"seq":4,"at":"2025-01-06T09:00:03.000Z","actor":"us');
    const damaged = readFileSync(trail.file, 'utf8');

    const result = await verifyAuditTrail(trail.file);
    expect(result).toMatchObject({ ok: false, entries: 3, firstBadSeq: 4 });
    expect(result.problem).toMatch(/^the last record \(line 4, where entry 4 would be\) is torn/);

    const restarted = new FileAuditTrail(dir, { clock });
    await expect(restarted.start()).rejects.toThrow(AuditTrailDamagedError);
    await expect(restarted.record(input(4))).rejects.toThrow(AuditTrailDamagedError);
    await expect(restarted.record(input(4))).rejects.toThrow(/ends with a torn record/);
    expect(readFileSync(trail.file, 'utf8')).toBe(damaged);
  });

  it('When two trails append to the same file at once, then the file holds one unbroken chain with every entry once', async () => {
    const a = new FileAuditTrail(dir, { clock });
    const b = new FileAuditTrail(dir, { clock });
    const recorded = await Promise.all(
      Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? a : b).record(input(i, { actor: i % 2 === 0 ? 'a' : 'b' })))
    );

    expect(await verifyAuditTrail(a.file)).toEqual({ ok: true, entries: 120 });
    const onDisk = entriesOf(a.file);
    expect(onDisk.map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    // Every caller got back exactly the entry that is on disk under its seq.
    for (const entry of recorded) expect(onDisk[entry.seq - 1]).toEqual(entry);
    expect(new Set(onDisk.map((e) => e.target)).size).toBe(120);
  });

  it('When an entry says when its change was made (changedAt), then the time is kept under the hash, and a malformed one is refused', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    const late = await trail.record(input(1, { changedAt: '2025-01-05T23:59:59.123Z', from: 'recovered' }));
    expect(late).toMatchObject({ at: '2025-01-06T09:00:00.000Z', changedAt: '2025-01-05T23:59:59.123Z' });
    await expect(trail.record(input(2, { changedAt: 'yesterday' }))).rejects.toThrow(InvalidAuditEntryError);
    expect(entriesOf(trail.file)).toEqual([late]);
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 1 });
    // The time is part of what is hashed: changing it breaks the chain.
    writeFileSync(trail.file, readFileSync(trail.file, 'utf8').replace('23:59:59.123Z', '23:59:58.123Z'));
    expect(await verifyAuditTrail(trail.file)).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  it('When an entry is malformed, then it is refused and the others recorded at the same time are written', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    const results = await Promise.allSettled([
      trail.record(input(1)),
      trail.record(input(2, { action: 'Update Ticket' })),
      trail.record(input(3, { actor: '' })),
      trail.record(input(4)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(entriesOf(trail.file).map((e) => e.target)).toEqual(['ticket:T-1', 'ticket:T-4']);
    expect(await verifyAuditTrail(trail.file)).toEqual({ ok: true, entries: 2 });
  });

  const collectingMirror = () => {
    const written: SeriesPoint[] = [];
    return { written, mirror: { write: async (points: readonly SeriesPoint[]) => void written.push(...points) } };
  };

  it('When the backend stopped before its mirror caught up, then the next start mirrors what the file holds', async () => {
    const first = new FileAuditTrail(dir, {
      clock,
      mirror: { write: async () => Promise.reject(new Error('connect ECONNREFUSED')) },
    });
    await first.start();
    await recordAll(first, 3);
    expect(await first.flushMirror()).toBe(3);

    const { written, mirror } = collectingMirror();
    const restarted = new FileAuditTrail(dir, { clock, mirror });
    await restarted.start();
    expect(await restarted.flushMirror()).toBe(0);
    expect(written.map((p) => p.intFields?.seq)).toEqual([1, 2, 3]);
    // Mirrored once: a third start has nothing to send.
    const again = collectingMirror();
    const third = new FileAuditTrail(dir, { clock, mirror: again.mirror });
    await third.start();
    expect(await third.flushMirror()).toBe(0);
    expect(again.written).toEqual([]);
  });

  it("When another process (the CLI) appends to the trail, then the backend's mirror sends its entries too, in order", async () => {
    const { written, mirror } = collectingMirror();
    const backend = new FileAuditTrail(dir, { clock, mirror });
    await backend.start();
    await backend.record(input(1));
    await backend.flushMirror();
    const cli = new FileAuditTrail(dir, { clock });
    await cli.record(input(2, { action: 'token.create' }));
    await backend.record(input(3));
    expect(await backend.flushMirror()).toBe(0);
    expect(written.map((p) => [p.intFields?.seq, p.tags.action])).toEqual([
      [1, 'ticket.update'],
      [2, 'token.create'],
      [3, 'ticket.update'],
    ]);
  });

  it('When more entries wait than memory keeps, then none is dropped: the rest are read back from the file', async () => {
    const { written, mirror } = collectingMirror();
    let down = true;
    const trail = new FileAuditTrail(dir, {
      clock,
      maxPendingMirror: 4,
      mirror: {
        write: async (points: readonly SeriesPoint[]) =>
          down ? Promise.reject(new Error('timeout')) : mirror.write(points),
      },
    });
    await trail.start();
    await recordAll(trail, 11);
    down = false;
    expect(await trail.flushMirror()).toBe(0);
    expect(written.map((p) => p.intFields?.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('When the mirror fails, then the record is still on disk and it is mirrored with the next record', async () => {
    const written: SeriesPoint[] = [];
    let down = true;
    const failures: number[] = [];
    const mirror = {
      write: async (points: readonly SeriesPoint[]) => {
        if (down) throw new Error('connect ECONNREFUSED');
        written.push(...points);
      },
    };
    const trail = new FileAuditTrail(dir, { clock, mirror, onMirrorError: (_e, pending) => failures.push(pending) });
    const first = await trail.record(input(1));
    expect(await trail.flushMirror()).toBe(1);
    expect(failures.length).toBeGreaterThan(0);
    expect(entriesOf(trail.file)).toEqual([first]);

    down = false;
    nowMs += 1000;
    await trail.record(input(2));
    expect(await trail.flushMirror()).toBe(0);
    expect(written.map((p) => p.intFields?.seq)).toEqual([1, 2]);
    expect(written[0]).toMatchObject({
      measurement: 'aiops_audit',
      tags: { action: 'ticket.update', role: 'operator' },
      fields: { actor: 'user1', target: 'ticket:T-1', before: '{"status":"open","version":1}', hash: first.hash },
    });
  });

  it('When entries are listed, then filters by time, action prefix and actor apply and the limit keeps the newest', async () => {
    const trail = new FileAuditTrail(dir, { clock });
    await recordAll(trail, 4);
    await trail.record(input(5, { action: 'model.promote', actor: 'nocai', role: 'system' }));
    const since = Date.UTC(2025, 0, 6, 9, 0, 1);

    expect((await trail.list({ sinceMs: since, limit: 100 })).entries.map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect((await trail.list({ action: 'ticket', limit: 100 })).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await trail.list({ action: 'ticket.upd', limit: 100 })).entries).toEqual([]);
    expect((await trail.list({ actor: 'nocai', limit: 100 })).entries.map((e) => e.action)).toEqual(['model.promote']);
    expect(await trail.list({ limit: 2 })).toMatchObject({ truncated: true, entries: [{ seq: 4 }, { seq: 5 }] });
  });
});

describe('canonicalJson', () => {
  it('When the same content is built in another key order, then it hashes the same', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe(
      canonicalJson({ a: { c: 'x', d: [1, { y: 2, z: 1 }] }, b: 1 })
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});
