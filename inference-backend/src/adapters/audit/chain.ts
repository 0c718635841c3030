import { createHash } from 'node:crypto';
import type { AuditEntry, AuditEntryInput } from '../../domain/audit/audit';

/**
 * The hash chain of the audit trail. Each entry's `hash` is sha256(prevHash + canonical JSON of the
 * entry without `hash`), and `prevHash` is the previous entry's `hash` (64 zeros for the first):
 * changing, removing or reordering a record breaks the chain at that record. Pure functions only;
 * the file, the lock and the mirror are in `fileAuditTrail.ts`.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** Where the trail lives in its folder (`<stateDir>/audit/`). */
export const AUDIT_FILE = 'audit.jsonl';

/** `ticket.update`, `model.promote`, `audit.repair`: lower-case words joined by dots (an InfluxDB tag). */
const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** viewer, operator, analyst, admin, system. */
const ROLE_RE = /^[a-z][a-z0-9_]*$/;
/** Longest actor, target or `from`: a Grafana login is at most 256 characters (`userOf`). */
const MAX_NAME_CHARS = 1024;

/** An audit entry the caller built wrongly (a programming error, not user input). */
export class InvalidAuditEntryError extends Error {
  constructor(message: string) {
    super(`invalid audit entry: ${message}`);
    this.name = 'InvalidAuditEntryError';
  }
}

/**
 * JSON with object keys in code-point order at every depth, so the same content always hashes the
 * same whatever order its keys were built in. Only JSON values reach it (see `normalised`).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** sha256 (hex) of the entry's link and content: what `hash` must be. */
export function entryHash(entry: Omit<AuditEntry, 'hash'> & { hash?: unknown }): string {
  const { hash: _stored, ...content } = entry;
  return createHash('sha256').update(entry.prevHash).update(canonicalJson(content)).digest('hex');
}

/** An entry checked and reduced to plain JSON, waiting for its place in the chain. */
export type PreparedEntry = Omit<AuditEntry, 'seq' | 'at' | 'prevHash' | 'hash'>;

/**
 * `input` checked (a malformed action or role is a programming error: thrown before anything is
 * written) with its `before`/`after` reduced to plain JSON, so that what is hashed is exactly what
 * is written and read back.
 */
export function prepareEntry(input: AuditEntryInput): PreparedEntry {
  checkInput(input);
  return {
    actor: input.actor,
    role: input.role,
    action: input.action,
    target: input.target,
    from: input.from,
    ...(input.reason !== undefined ? { reason: String(input.reason) } : {}),
    ...(input.changedAt !== undefined ? { changedAt: input.changedAt } : {}),
    before: normalised(input.before, 'before'),
    after: normalised(input.after, 'after'),
  };
}

/** The entry as stored: numbered after `prevSeq`, linked to `prevHash`, hashed. */
export function sealEntry(prepared: PreparedEntry, prevSeq: number, prevHash: string, atMs: number): AuditEntry {
  const content: Omit<AuditEntry, 'hash'> = {
    seq: prevSeq + 1,
    at: new Date(atMs).toISOString(),
    ...prepared,
    prevHash,
  };
  return { ...content, hash: entryHash(content) };
}

/**
 * One line of the trail as an entry, or a sentence saying why it is not one. Checks the shape
 * only; whether it belongs where it is (seq, prevHash, hash) is `verify`'s job.
 */
export function parseEntryLine(line: string): AuditEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'is not valid JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'is not a JSON object';
  const entry = value as Partial<Record<keyof AuditEntry, unknown>>;
  if (!Number.isSafeInteger(entry.seq) || (entry.seq as number) < 1) return 'has no valid seq';
  for (const key of ['at', 'actor', 'role', 'action', 'target', 'from'] as const) {
    if (typeof entry[key] !== 'string') return `has no ${key}`;
  }
  for (const key of ['prevHash', 'hash'] as const) {
    if (typeof entry[key] !== 'string' || !/^[0-9a-f]{64}$/.test(entry[key] as string)) return `has no valid ${key}`;
  }
  return value as AuditEntry;
}

function checkInput(input: AuditEntryInput): void {
  if (!ACTION_RE.test(input.action)) throw new InvalidAuditEntryError(`action "${input.action}" is not a dotted verb`);
  if (!ROLE_RE.test(input.role)) throw new InvalidAuditEntryError(`role "${input.role}" is not a role name`);
  for (const key of ['actor', 'target', 'from'] as const) {
    const value = input[key];
    if (typeof value !== 'string' || value === '' || value.length > MAX_NAME_CHARS) {
      throw new InvalidAuditEntryError(`${key} must be a non-empty string of at most ${MAX_NAME_CHARS} characters`);
    }
  }
  if (input.changedAt !== undefined && !isIsoInstant(input.changedAt)) {
    throw new InvalidAuditEntryError(`changedAt "${String(input.changedAt)}" is not an ISO 8601 UTC instant`);
  }
}

/** `2025-01-06T09:00:00.000Z`, as `Date.prototype.toISOString` writes it: what the registry's files hold. */
function isIsoInstant(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) &&
    Number.isFinite(Date.parse(value))
  );
}

/** `value` as the JSON it is stored as (`null` where there was none); refuses what JSON cannot hold. */
function normalised(value: unknown, key: string): unknown {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidAuditEntryError(`${key} is not JSON-serialisable: ${(error as Error).message}`);
  }
  return text === undefined ? null : (JSON.parse(text) as unknown);
}
