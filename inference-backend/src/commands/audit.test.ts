import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli';
import { FileAuditTrail } from '../adapters/audit/fileAuditTrail';

/** `nocai <args>` in-process: its exit code and what it wrote. */
async function nocai(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const previous = process.exitCode;
  try {
    process.exitCode = 0;
    await runCli(['node', 'nocai', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = previous;
    out.mockRestore();
    err.mockRestore();
  }
}

describe('nocai audit', () => {
  let stateDir: string;
  let trail: FileAuditTrail;
  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'nocai-audit-cli-'));
    let nowMs = Date.UTC(2025, 0, 6, 9, 0, 0);
    trail = FileAuditTrail.inStateDir(stateDir, { clock: { nowMs: () => (nowMs += 60_000) } });
    for (const [actor, action, target] of [
      ['alice', 'ticket.update', 'ticket:T-1'],
      ['bob', 'ticket.feedback', 'ticket:T-1'],
      ['nocai', 'model.promote', 'model:department@v2'],
    ]) {
      await trail.record({
        actor,
        role: actor === 'nocai' ? 'system' : 'operator',
        action,
        target,
        from: 'api',
        after: { n: 1 },
      });
    }
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('When the trail is intact, then verify exits 0 and says how many entries it checked', async () => {
    const result = await nocai('audit', 'verify', '--state-dir', stateDir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^audit trail intact: 3 entries \(/);
  });

  it('When a record was changed, then verify exits 1 with one sentence naming the entry', async () => {
    const text = readFileSync(trail.file, 'utf8');
    writeFileSync(trail.file, text.replace('"actor":"bob"', '"actor":"bab"'));
    const result = await nocai('audit', 'verify', '--state-dir', stateDir);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /is broken at entry 2, after 1 intact entry: entry 2 \(line 2\) was changed after it was written/
    );
  });

  it('When NOCAI_STATE_DIR names a folder without a trail, then verify exits 2 and says where it looked', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nocai-audit-empty-'));
    const saved = process.env.NOCAI_STATE_DIR;
    process.env.NOCAI_STATE_DIR = empty;
    try {
      const result = await nocai('audit', 'verify');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`there is no audit trail at ${join(empty, 'audit', 'audit.jsonl')}`);
    } finally {
      if (saved === undefined) delete process.env.NOCAI_STATE_DIR;
      else process.env.NOCAI_STATE_DIR = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('When listing with --action and --json, then only the matching entries are printed as stored', async () => {
    const result = await nocai('audit', 'list', '--state-dir', stateDir, '--action', 'ticket', '--json');
    expect(result.code).toBe(0);
    const entries = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; actor: string });
    expect(entries.map((e) => [e.seq, e.actor])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
    ]);
  });

  it('When --limit cuts the list to one entry, then the note says so in the singular', async () => {
    const result = await nocai('audit', 'list', '--state-dir', stateDir, '--limit', '1');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toBe('nocai audit: only the newest 1 matching entry is shown (--limit).\n');
  });

  it('When listing --since a time, then the lines start with seq and time and name who did what', async () => {
    const result = await nocai('audit', 'list', '--state-dir', stateDir, '--since', '2025-01-06T09:03:00Z');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      '3  2025-01-06T09:03:00.000Z  nocai (system)  model.promote  model:department@v2  from api  null → {"n":1}\n'
    );
  });

  it('When --since is not a time, then it exits 2 naming the flag', async () => {
    const result = await nocai('audit', 'list', '--state-dir', stateDir, '--since', 'yesterday');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--since must be an ISO 8601 date or time/);
  });
});
