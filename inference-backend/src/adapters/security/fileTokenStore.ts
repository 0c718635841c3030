import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { recordThenSave, type AuditEntryInput, type AuditSink } from '../../domain/audit/audit';
import type { Clock } from '../../domain/series';
import { systemClock } from '../../domain/series';
import type { Role } from '../../domain/security/roles';
import {
  checkTokenName,
  TokenInputError,
  tokenStatus,
  viewOf,
  type ApiTokenRecord,
  type ApiTokenView,
} from '../../domain/security/tokens';
import { FileStateStore } from '../state/fileStateStore';

/** The state key: `<stateDir>/tokens.json`, replaced atomically like the other state files. */
const TOKENS_KEY = 'tokens';
const SECRET = /^nocai_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

interface TokensFile {
  version: 1;
  tokens: ApiTokenRecord[];
}

/** Who changes a token, for the audit trail. */
export interface TokenChanger {
  actor: string;
  role: string;
  from: string;
}

export type TokenCheck = { ok: true; token: ApiTokenRecord } | { ok: false; reason: string };

/** No token has this id; the CLI and the API each add where their users find the ids. */
export class TokenNotFoundError extends TokenInputError {
  constructor(readonly id: string) {
    super(`there is no token ${id.slice(0, 40)}`);
    this.name = 'TokenNotFoundError';
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Per-client API tokens in the state folder: only the sha256 of each random secret is kept. The
 * CLI writes (under a lock, each change audited); the backend reads, and sees a revocation at the
 * next request because it re-reads the file whenever it changed on disk.
 */
export class FileTokenStore {
  readonly file: string;
  private readonly state: FileStateStore;
  private readonly clock: Clock;
  private cached: { ino: number; mtimeMs: number; size: number; tokens: ApiTokenRecord[] } | undefined;

  constructor(
    private readonly stateDir: string,
    options: { clock?: Clock } = {}
  ) {
    this.state = new FileStateStore(stateDir);
    this.file = join(stateDir, `${TOKENS_KEY}.json`);
    this.clock = options.clock ?? systemClock;
  }

  /** A new token: its record as listed, and the secret, which is shown once and never stored. */
  async create(
    input: { name: string; role: Role; grafana?: boolean; lifetimeMs: number | null },
    who: TokenChanger,
    audit: AuditSink
  ): Promise<{ token: ApiTokenView; secret: string }> {
    const name = checkTokenName(input.name);
    const id = randomBytes(6).toString('hex');
    const secret = `nocai_${id}_${randomBytes(32).toString('base64url')}`;
    const nowMs = this.clock.nowMs();
    const record: ApiTokenRecord = {
      id,
      name,
      role: input.role,
      grafana: input.grafana ?? false,
      createdAt: new Date(nowMs).toISOString(),
      expiresAt: input.lifetimeMs === null ? null : new Date(nowMs + input.lifetimeMs).toISOString(),
      revokedAt: null,
      sha256: sha256(secret),
    };
    const token = viewOf(record, nowMs);
    await this.change(audit, (tokens) => {
      const active = tokens.find((t) => t.name === name && tokenStatus(t, nowMs) === 'active');
      if (active)
        throw new TokenInputError(
          `a token named "${name}" is already active (${active.id}): revoke it first or choose another name`
        );
      return {
        tokens: [...tokens, record],
        entry: { ...who, action: 'token.create', target: `token:${id}`, before: null, after: token },
      };
    });
    return { token, secret };
  }

  async list(): Promise<ApiTokenView[]> {
    const nowMs = this.clock.nowMs();
    return (await this.read()).map((t) => viewOf(t, nowMs));
  }

  /** Revokes token `id` (by its id, as listed); revoking a revoked token changes nothing. */
  async revoke(id: string, who: TokenChanger, audit: AuditSink): Promise<{ token: ApiTokenView; changed: boolean }> {
    const nowMs = this.clock.nowMs();
    let before: ApiTokenRecord | undefined;
    let after: ApiTokenRecord | undefined;
    await this.change(audit, (tokens) => {
      before = tokens.find((t) => t.id === id);
      if (!before) throw new TokenNotFoundError(id);
      if (before.revokedAt !== null) return undefined;
      const revoked: ApiTokenRecord = { ...before, revokedAt: new Date(nowMs).toISOString() };
      after = revoked;
      return {
        tokens: tokens.map((t) => (t.id === id ? revoked : t)),
        entry: {
          ...who,
          action: 'token.revoke',
          target: `token:${id}`,
          before: viewOf(before, nowMs),
          after: viewOf(revoked, nowMs),
        },
      };
    });
    const found = before as ApiTokenRecord;
    if (!after) return { token: viewOf(found, nowMs), changed: false };
    return { token: viewOf(after, nowMs), changed: true };
  }

  /**
   * The token a bearer secret belongs to; `undefined` when the secret is not one of ours (not
   * `nocai_…`, or an unknown id), a refusal with its reason when it is ours but revoked or expired.
   */
  async check(secret: string): Promise<TokenCheck | undefined> {
    const match = SECRET.exec(secret);
    if (!match) return undefined;
    const token = (await this.readCached()).find((t) => t.id === match[1]);
    if (!token) return undefined;
    const given = Buffer.from(sha256(secret), 'hex');
    const stored = Buffer.from(token.sha256, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
    switch (tokenStatus(token, this.clock.nowMs())) {
      case 'revoked':
        return { ok: false, reason: `the token "${token.name}" (${token.id}) was revoked at ${token.revokedAt}` };
      case 'expired':
        return { ok: false, reason: `the token "${token.name}" (${token.id}) expired at ${token.expiresAt}` };
      default:
        return { ok: true, token };
    }
  }

  private async read(): Promise<ApiTokenRecord[]> {
    const stored = await this.state.load<TokensFile>(TOKENS_KEY);
    if (stored === undefined) return [];
    if (stored.version !== 1 || !Array.isArray(stored.tokens)) {
      throw new Error(`${this.file} is not a tokens file of this version`);
    }
    return stored.tokens;
  }

  /** The tokens, re-read only when the file changed (a revocation by the CLI takes effect at once). */
  private async readCached(): Promise<ApiTokenRecord[]> {
    let info;
    try {
      info = await stat(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const c = this.cached;
    // Each write renames a new file into place: a new inode, so a change is never missed.
    if (c && c.ino === info.ino && c.mtimeMs === info.mtimeMs && c.size === info.size) return c.tokens;
    const tokens = await this.read();
    this.cached = { ino: info.ino, mtimeMs: info.mtimeMs, size: info.size, tokens };
    return tokens;
  }

  /**
   * Read, change and write under the file's lock: two `nocai tokens` at once do not lose a change.
   * The change's audit entry is recorded before the file is written (`recordThenSave`): a token
   * never exists, nor is revoked, without its entry.
   */
  private async change(
    audit: AuditSink,
    update: (tokens: ApiTokenRecord[]) => { tokens: ApiTokenRecord[]; entry: AuditEntryInput } | undefined
  ): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    const release = await lock(this.file, {
      realpath: false,
      lockfilePath: `${this.file}.lock`,
      stale: 10_000,
      retries: { retries: 200, factor: 1, minTimeout: 10, maxTimeout: 50 },
      onCompromised: () => undefined,
    });
    try {
      const next = update(await this.read());
      if (next === undefined) return;
      await recordThenSave(audit, next.entry, () =>
        this.state.save<TokensFile>(TOKENS_KEY, { version: 1, tokens: next.tokens })
      );
    } finally {
      await release().catch(() => undefined);
    }
  }
}
