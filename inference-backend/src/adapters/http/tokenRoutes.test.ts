import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAuditTrail } from '../audit/fileAuditTrail';
import { verifyAuditTrail } from '../audit/verify';
import { FileTokenStore } from '../security/fileTokenStore';
import { startRouteTestApp } from './routeTestApp';
import { createTokensRouter } from './tokenRoutes';

const BOOTSTRAP = 'bootstrap-token-for-token-routes';

/**
 * `/api/tokens` over HTTP with the state folder's real token file and audit trail, as main.ts wires
 * them: what a security administrator relies on is that no token is made or revoked unaudited.
 */
describe('/api/tokens with the real token file and audit trail', () => {
  let stateDir: string;
  let app: Awaited<ReturnType<typeof startRouteTestApp>>;
  let trail: FileAuditTrail;
  let store: FileTokenStore;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'nocai-token-routes-'));
    trail = FileAuditTrail.inStateDir(stateDir);
    store = new FileTokenStore(stateDir);
    app = await startRouteTestApp({
      auth: { apiToken: BOOTSTRAP, webhookToken: 'webhook', allowAnonymous: false, tokens: store },
      routers: [{ path: '/tokens', router: createTokensRouter({ store, audit: trail }) }],
    });
  });

  afterEach(async () => {
    await app.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${app.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${BOOTSTRAP}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
  /** A crash in the middle of an append: the trail's last record has no newline. */
  const tearTrail = async () => {
    await mkdir(trail.dir, { recursive: true });
    await appendFile(trail.file, '{"seq":');
  };

  it('When a token is made and revoked, then each change is an entry of the trail, which verifies', async () => {
    const made = await call('POST', '/api/tokens', { name: 'itsm', role: 'operator' });
    expect(made.status).toBe(201);
    const { token } = (await made.json()) as { token: { id: string } };
    expect((await call('POST', `/api/tokens/${token.id}/revoke`)).status).toBe(200);
    const { entries } = await trail.list({ limit: 10 });
    expect(entries.map((e) => [e.action, e.target, e.actor])).toEqual([
      ['token.create', `token:${token.id}`, 'bootstrap'],
      ['token.revoke', `token:${token.id}`, 'bootstrap'],
    ]);
    expect(await verifyAuditTrail(trail.file)).toMatchObject({ ok: true, entries: 2 });
  });

  it('When an API client revokes an id no token has, then the 404 points it to GET /api/tokens, not the CLI', async () => {
    const res = await call('POST', '/api/tokens/feedfacecafe/revoke');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      code: 'not_found',
      message: 'there is no token feedfacecafe: GET /api/tokens lists the ids',
    });
  });

  it('When the audit trail cannot take the entry, then no token is made, and the API says why with 503', async () => {
    await tearTrail();
    const res = await call('POST', '/api/tokens', { name: 'itsm', role: 'operator' });
    expect(res.status).toBe(503);
    const error = await errorOf(res);
    expect(error.code).toBe('audit_unavailable');
    expect(error.message).toMatch(/^nothing was changed: the audit trail could not record token\.create of token:/);
    expect(error.message).toMatch(/torn record/);
    expect(await store.list()).toEqual([]);
  });

  it('When the audit trail cannot take the entry, then the token stays active, and the API says why with 503', async () => {
    const made = (await (await call('POST', '/api/tokens', { name: 'itsm', role: 'operator' })).json()) as {
      token: { id: string };
      secret: string;
    };
    await tearTrail();
    const res = await call('POST', `/api/tokens/${made.token.id}/revoke`);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/^nothing was changed: .* token\.revoke of token:/);
    expect(await store.list()).toEqual([expect.objectContaining({ id: made.token.id, status: 'active' })]);
    expect(await store.check(made.secret)).toMatchObject({ ok: true });
  });

  it('When tokens.json cannot be written after the entry, then the trail says the change did not take effect, and the API answers 500', async () => {
    // The token file's temporary file cannot be made: a folder is in its place.
    await mkdir(join(stateDir, `tokens.json.${process.pid}.tmp`), { recursive: true });
    const res = await call('POST', '/api/tokens', { name: 'itsm', role: 'operator' });
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe('not_saved');
    expect(error.message).toMatch(
      /^token\.create of token:[0-9a-f]{12} did not take effect: audit entry 1 records it, but saving it failed \(state file .*tokens\.json cannot be saved .*\); entry 2 records that$/
    );
    await expect(readFile(join(stateDir, 'tokens.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const { entries } = await trail.list({ limit: 10 });
    expect(entries.map((e) => e.action)).toEqual(['token.create', 'token.create.failed']);
    expect(entries[1]).toMatchObject({
      target: entries[0].target,
      after: null,
      reason: expect.stringMatching(/^entry 1 was not saved: /),
    });
    expect(await verifyAuditTrail(trail.file)).toMatchObject({ ok: true, entries: 2 });
  });
});
