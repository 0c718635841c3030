import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isModelAlias } from '../../domain/mlops/manifest';
import type { ModelAlias } from '../../domain/mlops/manifest';
import { appendLineDurably, writeAtomically } from './durableFiles';
import { DamagedModelError, parseJsonObject } from './errors';

/**
 * The files of a model's folder that change (the versions never do): the alias history, one JSON
 * line per alias move, and the archived versions. Written only under the model's lock.
 */
export const ALIAS_HISTORY_FILE = 'aliases.jsonl';
/**
 * The alias moves of the write in progress, written before aliases.json and removed once their
 * history lines are appended: a crash between aliases.json and its history leaves them here.
 */
export const PENDING_ALIASES_FILE = 'aliases.pending.json';
export const ARCHIVED_FILE = 'archived.json';

/** Who made a change, from where and why; what the audit trail records too. */
export interface ChangeContext {
  /** A Grafana login, a token's name, a system user, or `nocai` for the backend itself. */
  actor: string;
  /** viewer, operator, analyst, admin, or `system` (admin role: issue 13). */
  role: string;
  /** A client address, `cli`, `schedule`. */
  from: string;
  reason?: string;
}

/** One move of an alias; `from`/`to` null when the alias was unset before / is cleared after. */
export interface AliasChange {
  /** ISO 8601 UTC. */
  at: string;
  alias: ModelAlias;
  from: string | null;
  to: string | null;
  actor: string;
  reason?: string;
  /** What moved it: rollbacks undo promotions when the next rollback looks for the champion before. */
  action?: AliasAction;
  /**
   * The `hash` of the audit entry recorded before this move (`recordThenSave`): the move is that
   * entry's change. Absent on moves nobody audits (a trainer's `set`) and on lines written before
   * changes were recorded first.
   */
  auditHash?: string;
}

export type AliasAction = 'set' | 'promote' | 'rollback' | 'challenger' | 'archive';

export interface ArchivedVersion {
  at: string;
  actor: string;
  reason?: string;
  /** The `hash` of the audit entry recorded before the archiving, as on an alias move. */
  auditHash?: string;
}

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new DamagedModelError(file, `cannot be read (${errnoCode(error) ?? String(error)})`);
  }
}

/**
 * The alias moves of model `name`, oldest first. A line cut short by a crash while it was
 * appended (the last one) is left out; any other line that is not a change is damage.
 */
export async function readAliasHistory(registryDir: string, name: string): Promise<AliasChange[]> {
  const file = join(registryDir, name, ALIAS_HISTORY_FILE);
  const text = await readOptional(file);
  if (text === undefined) return [];
  const lines = text.split('\n');
  const changes: AliasChange[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let change: Partial<AliasChange> | undefined;
    try {
      change = JSON.parse(line) as Partial<AliasChange>;
    } catch {
      if (i === lines.length - 1) return;
    }
    if (!change || typeof change.alias !== 'string' || !isModelAlias(change.alias) || typeof change.at !== 'string') {
      throw new DamagedModelError(file, `line ${i + 1} is not an alias change`);
    }
    changes.push(change as AliasChange);
  });
  return changes;
}

export async function appendAliasChanges(
  registryDir: string,
  name: string,
  changes: readonly AliasChange[]
): Promise<void> {
  const file = join(registryDir, name, ALIAS_HISTORY_FILE);
  for (const change of changes) await appendLineDurably(file, JSON.stringify(change));
}

/** Before aliases.json moves: the moves about to be made, kept until their history lines are in. */
export async function writePendingAliasChanges(
  registryDir: string,
  name: string,
  changes: readonly AliasChange[]
): Promise<void> {
  await writeAtomically(join(registryDir, name, PENDING_ALIASES_FILE), `${JSON.stringify(changes)}\n`);
}

export async function clearPendingAliasChanges(registryDir: string, name: string): Promise<void> {
  await rm(join(registryDir, name, PENDING_ALIASES_FILE), { force: true });
}

const sameMove = (a: AliasChange, b: AliasChange) =>
  a.at === b.at && a.alias === b.alias && a.from === b.from && a.to === b.to && a.action === b.action;

/**
 * Finishes an alias write a crash cut off (the caller holds the model's lock): when the pending
 * moves are on aliases.json (`current`, the aliases it names now) but not all in the history, the
 * missing lines are appended, with the write's own time and actor; moves that never reached
 * aliases.json (a crash before it) are dropped. Returns the lines appended.
 */
export async function completePendingAliasChanges(
  registryDir: string,
  name: string,
  current: Readonly<Partial<Record<ModelAlias, string>>>
): Promise<AliasChange[]> {
  const file = join(registryDir, name, PENDING_ALIASES_FILE);
  const text = await readOptional(file);
  if (text === undefined) return [];
  let pending: AliasChange[] = [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed)) pending = parsed.filter((c: Partial<AliasChange>) => c && isModelAlias(c.alias ?? ''));
  } catch {
    // Cut short while it was written: aliases.json was not written after it.
  }
  const applied = pending.length > 0 && pending.every((c) => (current[c.alias] ?? null) === c.to);
  const appended: AliasChange[] = [];
  if (applied) {
    const history = await readAliasHistory(registryDir, name);
    const tail = history.slice(-pending.length);
    for (const change of pending) {
      if (!tail.some((line) => sameMove(line, change))) {
        await appendLineDurably(join(registryDir, name, ALIAS_HISTORY_FILE), JSON.stringify(change));
        appended.push(change);
      }
    }
  }
  await rm(file, { force: true });
  return appended;
}

/** The archived versions of `name` and when, by whom and why they were archived. */
export async function readArchived(registryDir: string, name: string): Promise<Record<string, ArchivedVersion>> {
  const file = join(registryDir, name, ARCHIVED_FILE);
  const text = await readOptional(file);
  if (text === undefined) return {};
  const parsed = parseJsonObject(file, text);
  return parsed as Record<string, ArchivedVersion>;
}

export async function writeArchived(
  registryDir: string,
  name: string,
  archived: Record<string, ArchivedVersion>
): Promise<void> {
  await writeAtomically(join(registryDir, name, ARCHIVED_FILE), `${JSON.stringify(archived, null, 2)}\n`);
}
