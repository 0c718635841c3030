import type { AuditEntry, AuditEntryInput } from '../../domain/audit/audit';
import type { AliasChange, ArchivedVersion } from './registryFiles';

/**
 * Which registry changes the audit trail never recorded, decided from the registry's own files and
 * the trail's entries (pure: `auditReconciliation.ts` reads the files and records what this finds).
 *
 * A registry change is made durable first (aliases.json and its alias history line, or
 * archived.json, under the model's lock) and recorded in the audit trail after, by the same
 * process and within the same request. A crash between the two (`kill -9` at the `promoted` crash
 * point) leaves a change the trail does not know. The changes and the records are paired thus:
 *
 * - A change is one `promote`, `rollback` or `challenger` move of the alias history (the lines one
 *   write made: same `at`, `action` and `actor`, one after the other), or one entry of
 *   archived.json. Its record has the action `model.<action>` and the target `model:<name>@<version>`
 *   (the new champion for a promotion or rollback, the new challenger, the archived version).
 *   Moves with action `set` (a trainer naming its first champion) or none are not audited by
 *   their writers and are never recovered.
 * - Changes and records of the same action and target are paired one to one, so a record stands
 *   for one change only and a change is recovered at most once:
 *   1. a record carrying `changedAt` (a recovered one) pairs with the change made at that instant;
 *   2. every other record, newest first, pairs with the latest change not yet paired made at or
 *      before its own time (the record is written after the history line, by the same clock);
 *   3. a record left over (clocks that disagree) pairs with the latest change still unpaired.
 * - A change left unpaired is recovered when it was made at or after `sinceMs` (the trail's beginning):
 *   a registry older than its audit trail is not back-filled, but its older changes still take
 *   part in the pairing so that they absorb their own records.
 */

export const AUDITED_ALIAS_ACTIONS = ['promote', 'rollback', 'challenger'] as const;
type AuditedAliasAction = (typeof AUDITED_ALIAS_ACTIONS)[number];

export type RegistryAuditAction = `model.${AuditedAliasAction}` | 'model.archive';

/** One registry change as its files tell it, with the audit entry it should have. */
export interface RegistryChange {
  model: string;
  action: RegistryAuditAction;
  version: string;
  /** When the change was made (the history line's or archived.json's `at`), ISO 8601 UTC. */
  at: string;
  actor: string;
  reason?: string;
  /** Reconstructed from the moves themselves: only the aliases that moved (from → to). */
  before: unknown;
  after: unknown;
}

/** The fields of an audit entry the pairing reads. */
export type AuditFact = Pick<AuditEntry, 'action' | 'target' | 'at' | 'actor' | 'role' | 'changedAt'>;

/** How a recovered entry says where it came from. */
export const RECOVERED_FROM = 'recovered';
/** The role of a recovered change whose actor the trail never saw before it. */
export const UNKNOWN_ROLE = 'unknown';
/** The actor of a history line written before the history named its writers. */
export const UNKNOWN_ACTOR = 'unknown';

export const targetOf = (model: string, version: string) => `model:${model}@${version}`;

const isAuditedAliasAction = (action: AliasChange['action']): action is AuditedAliasAction =>
  (AUDITED_ALIAS_ACTIONS as readonly string[]).includes(action ?? '');

/** `{ champion: 'v2' }` from the moves' `from` (or `to`) side; an alias unset on that side is left out. */
function aliasesOn(lines: readonly AliasChange[], side: 'from' | 'to'): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const line of lines) {
    const version = line[side];
    if (version !== null) aliases[line.alias] = version;
  }
  return aliases;
}

/** `at` as `toISOString` writes it, what a recovered entry's `changedAt` holds; undefined when it is no time. */
function instant(at: unknown): string | undefined {
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** The lines one alias write made: consecutive, with the same time, action and actor. */
function groupWrites(history: readonly AliasChange[]): AliasChange[][] {
  const groups: AliasChange[][] = [];
  for (const line of history) {
    const last = groups[groups.length - 1]?.[0];
    if (last && last.at === line.at && last.action === line.action && last.actor === line.actor) {
      groups[groups.length - 1].push(line);
    } else {
      groups.push([line]);
    }
  }
  return groups;
}

/** The audited changes of model `model`, oldest first, from its alias history and archived.json. */
export function registryChanges(
  model: string,
  history: readonly AliasChange[],
  archived: Readonly<Record<string, ArchivedVersion>>
): RegistryChange[] {
  const changes: RegistryChange[] = [];
  const archiveLines = new Map<string, AliasChange[]>();
  for (const lines of groupWrites(history)) {
    const { action, actor, reason } = lines[0];
    const at = instant(lines[0].at);
    if (action === 'archive') {
      // Archiving the challenger lets go of the alias: the move describes the archive's aliases.
      for (const line of lines) if (line.from !== null) archiveLines.set(line.from, lines);
      continue;
    }
    if (!isAuditedAliasAction(action)) continue;
    const moved = lines.find((line) => line.alias === (action === 'challenger' ? 'challenger' : 'champion'));
    if (!moved || moved.to === null || at === undefined) continue;
    changes.push({
      model,
      action: `model.${action}`,
      version: moved.to,
      at,
      actor,
      ...(reason !== undefined ? { reason } : {}),
      before: aliasesOn(lines, 'from'),
      after: aliasesOn(lines, 'to'),
    });
  }
  for (const [version, entry] of Object.entries(archived)) {
    const lines = archiveLines.get(version);
    const at = instant((entry as Partial<ArchivedVersion> | null)?.at);
    if (at === undefined) continue;
    changes.push({
      model,
      action: 'model.archive',
      version,
      at,
      actor: entry.actor,
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      before: { archived: false, ...(lines ? { aliases: aliasesOn(lines, 'from') } : {}) },
      after: { archived: true, ...(lines ? { aliases: aliasesOn(lines, 'to') } : {}) },
    });
  }
  return changes.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The changes that no record of `facts` stands for, made at or after `sinceMs`, oldest first. */
export function unauditedChanges(
  changes: readonly RegistryChange[],
  facts: readonly AuditFact[],
  sinceMs: number
): RegistryChange[] {
  const byKey = new Map<string, { changes: RegistryChange[]; records: AuditFact[] }>();
  const keyOf = (action: string, target: string) => `${action} ${target}`;
  for (const change of changes) {
    const key = keyOf(change.action, targetOf(change.model, change.version));
    const group = byKey.get(key) ?? { changes: [], records: [] };
    group.changes.push(change);
    byKey.set(key, group);
  }
  for (const fact of facts) byKey.get(keyOf(fact.action, fact.target))?.records.push(fact);

  const missing: RegistryChange[] = [];
  for (const group of byKey.values()) {
    const sorted = [...group.changes].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const paired = new Array<boolean>(sorted.length).fill(false);
    /** The latest unpaired change accepted by `fits`, marked paired; false when there is none. */
    const take = (fits: (change: RegistryChange) => boolean): boolean => {
      for (let i = sorted.length - 1; i >= 0; i--) {
        if (!paired[i] && fits(sorted[i])) return (paired[i] = true);
      }
      return false;
    };
    const live: AuditFact[] = [];
    for (const record of group.records) {
      if (record.changedAt === undefined) live.push(record);
      else take((change) => change.at === record.changedAt);
    }
    live.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const leftOver = live.filter((record) => !take((change) => Date.parse(change.at) <= Date.parse(record.at)));
    leftOver.forEach(() => take(() => true));
    sorted.forEach((change, i) => {
      if (!paired[i] && Date.parse(change.at) >= sinceMs) missing.push(change);
    });
  }
  return missing.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * The role `actor` was recorded with in its latest entry made at or before `atMs` (a person's
 * role rarely changes between two of their requests), or `unknown` when the trail has none.
 */
export function knownRole(facts: readonly AuditFact[], actor: string, atMs: number): string {
  let role = UNKNOWN_ROLE;
  let latestMs = Number.NEGATIVE_INFINITY;
  for (const fact of facts) {
    if (fact.actor !== actor || fact.role === UNKNOWN_ROLE) continue;
    const factMs = Date.parse(fact.at);
    if (factMs <= atMs && factMs >= latestMs) {
      latestMs = factMs;
      role = fact.role;
    }
  }
  return role;
}

/** The entry that records `change` late: its own time is now, the change's time is `changedAt`. */
export function recoveredEntry(change: RegistryChange, role: string): AuditEntryInput {
  const given = change.reason !== undefined ? `; the reason given was: ${change.reason}` : '';
  return {
    actor: typeof change.actor === 'string' && change.actor !== '' ? change.actor : UNKNOWN_ACTOR,
    role,
    action: change.action,
    target: targetOf(change.model, change.version),
    before: change.before,
    after: change.after,
    from: RECOVERED_FROM,
    reason:
      `recorded at the restart after an interrupted change: the registry made it at ${change.at}, ` +
      `but the process stopped before the audit trail recorded it${given}`,
    changedAt: change.at,
  };
}
