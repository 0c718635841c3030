import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry, AuditEntryInput, AuditSink } from '../domain/audit/audit';
import { FileTokenStore } from '../adapters/security/fileTokenStore';
import { captureIo } from './capturedIo';
import { runTokens } from './tokens';

class MemorySink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  async record(entry: AuditEntryInput): Promise<AuditEntry> {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, at: new Date().toISOString(), prevHash: '', hash: '' };
  }
}

describe('nocai tokens', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'nocai-tokens-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('When a token is created, then its secret is printed once, only its sha256 is stored, and the change is audited', async () => {
    const audit = new MemorySink();
    const io = captureIo();
    const code = await runTokens(
      { action: 'create', stateDir, name: 'itsm', role: 'operator', expires: '30d' },
      io,
      audit
    );
    expect(code).toBe(0);
    const secret = io.out.trim();
    expect(secret).toMatch(/^nocai_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(io.err).toMatch(/shown only this once/);

    const stored = await readFile(join(stateDir, 'tokens.json'), 'utf8');
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(20));
    expect(JSON.parse(stored).tokens[0]).toMatchObject({
      name: 'itsm',
      role: 'operator',
      grafana: false,
      revokedAt: null,
    });

    const check = await new FileTokenStore(stateDir).check(secret);
    expect(check).toMatchObject({ ok: true, token: { name: 'itsm', role: 'operator' } });
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ action: 'token.create', role: 'admin', from: 'cli', before: null });
    expect(JSON.stringify(audit.entries[0])).not.toContain(secret.slice(20));
  });

  it('When a token is revoked, then the list shows it revoked, the backend refuses it, and the revocation is audited', async () => {
    const audit = new MemorySink();
    const created = captureIo();
    await runTokens(
      { action: 'create', stateDir, name: 'mobile', role: 'viewer', expires: 'never', json: true },
      created,
      audit
    );
    const { token, secret } = JSON.parse(created.out) as { token: { id: string }; secret: string };
    // The backend's store reads the file before the CLI changes it.
    const backend = new FileTokenStore(stateDir);
    expect((await backend.check(secret))?.ok).toBe(true);

    const revoked = captureIo();
    expect(await runTokens({ action: 'revoke', stateDir, id: token.id }, revoked, audit)).toBe(0);
    expect(revoked.out).toMatch(new RegExp(`revoked ${token.id}`));
    expect(await backend.check(secret)).toMatchObject({ ok: false, reason: expect.stringMatching(/was revoked at/) });

    const listed = captureIo();
    await runTokens({ action: 'list', stateDir }, listed, audit);
    const [header, row] = listed.out.split('\n');
    expect(row.split(/ {2,}/)).toEqual([token.id, 'revoked', 'viewer', '-', expect.any(String), 'never', 'mobile']);
    // Columns under their headings, as nocai models list prints them.
    for (const [heading, cell] of [
      ['STATUS', 'revoked'],
      ['GRAFANA', '-'],
      ['EXPIRES', 'never'],
      ['NAME', 'mobile'],
    ])
      expect([heading, row.indexOf(cell)]).toEqual([heading, header.indexOf(heading)]);
    expect(audit.entries.map((e) => e.action)).toEqual(['token.create', 'token.revoke']);
    expect(audit.entries[1]).toMatchObject({ before: { revokedAt: null }, after: { status: 'revoked' } });
  });

  it.each([
    [
      { action: 'create' as const, name: 'x', role: 'admin' as const, expires: '30 days' },
      /--expires must be a lifetime/,
    ],
    [{ action: 'create' as const, name: '   ', role: 'admin' as const, expires: '30d' }, /a token name is 1 to 64/],
    [
      { action: 'create' as const, name: 'itsm/prod', role: 'admin' as const, expires: '30d' },
      /a token name is 1 to 64/,
    ],
    [{ action: 'create' as const, name: 'ops\u202eadmin', role: 'admin' as const, expires: '30d' }, /a token name/],
    [
      { action: 'revoke' as const, id: 'feedfacecafe' },
      /^nocai tokens: there is no token feedfacecafe: nocai tokens list shows the ids\.$/m,
    ],
  ])('When the input is bad (%o), then one sentence and exit code 2, nothing stored', async (request, message) => {
    const audit = new MemorySink();
    const io = captureIo();
    expect(await runTokens({ ...request, stateDir }, io, audit)).toBe(2);
    expect(io.out).toBe('');
    expect(io.err).toMatch(message);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(audit.entries).toEqual([]);
  });

  it('When a token is named in another script than English, then it is created and its calls carry that name', async () => {
    const audit = new MemorySink();
    for (const name of ['Müller-ITSM', 'José Ñúñez', 'サポート']) {
      const io = captureIo();
      expect(await runTokens({ action: 'create', stateDir, name, role: 'viewer', expires: '30d' }, io, audit)).toBe(0);
      const check = await new FileTokenStore(stateDir).check(io.out.trim());
      expect(check).toMatchObject({ ok: true, token: { name } });
    }
    // The same name typed decomposed (e + combining acute) is the same name: refused while the first is active.
    const refused = captureIo();
    const decomposed = 'Jose\u0301 Ñúñez';
    expect(
      await runTokens({ action: 'create', stateDir, name: decomposed, role: 'viewer', expires: '30d' }, refused, audit)
    ).toBe(2);
    expect(refused.err).toMatch(/a token named "José Ñúñez" is already active/);
  });

  it('When a second active token gets the same name, then it is refused so the audit trail’s names stay unambiguous', async () => {
    const audit = new MemorySink();
    await runTokens({ action: 'create', stateDir, name: 'itsm', role: 'operator', expires: '30d' }, captureIo(), audit);
    const again = captureIo();
    expect(
      await runTokens({ action: 'create', stateDir, name: 'itsm', role: 'admin', expires: '30d' }, again, audit)
    ).toBe(2);
    expect(again.err).toMatch(/already active/);
  });

  it('When the state folder’s audit trail cannot take the entry, then no token is made: one sentence, exit 1', async () => {
    // A crash cut the trail's last record short: nothing more is recorded until someone looks.
    await mkdir(join(stateDir, 'audit'), { recursive: true });
    await appendFile(join(stateDir, 'audit', 'audit.jsonl'), '{"seq":');
    const io = captureIo();
    expect(await runTokens({ action: 'create', stateDir, name: 'itsm', role: 'operator', expires: '30d' }, io)).toBe(1);
    expect(io.out).toBe('');
    expect(io.err).toMatch(
      /^nocai tokens: nothing was changed: the audit trail could not record token\.create of token:[0-9a-f]{12} \(.*torn record.*\)\.\n$/
    );
    expect(await new FileTokenStore(stateDir).list()).toEqual([]);
  });
});
