import type { AuditEntry, AuditEntryInput } from '../../domain/audit/audit';
import type { AliasChange, ArchivedVersion } from './registryFiles';

/**
 * Which registry changes the audit trail does not record, and which of its entries stand for a
 * change the registry never made, decided from the registry's own files and the trail's entries
 * (pure: `auditReconciliation.ts` reads the files and records what this finds).
 *
 * A registry change is recorded in the audit trail first and only then made durable (aliases.json
 * and its alias history line, archived.json, a version's folder), under the model's lock
 * (`recordThenSave`). Each history line and archived.json entry so made names its entry's `hash`
 * (`auditHash`): that change is recorded, whatever this trail holds. A crash between the entry and
 * the change (`kill -9` at the `promotion-recorded` crash point) leaves an entry whose change was
 * never made; a failed write after the entry leaves the entry followed by `<action>.failed`.
 *
 * - A `<action>.failed` entry withdraws the entry it follows: the latest earlier entry of the same
 *   action and target (written right after it, under the same lock). Neither stands for a change.
 * - A change naming an `auditHash` is recorded; it takes the entry with that hash, if this trail has it.
 * - A change without one was made before changes were recorded first (the entry came after the
 *   change then), or by a writer without a trail. Such changes and the entries no change took are
 *   paired as before, by action and target, one to one:
 *   1. a record carrying `changedAt` (a recovered one) pairs with the change made at that instant;
 *   2. every other record, newest first, pairs with the latest change not yet paired made at or
 *      before its own time (the record was written after the history line, by the same clock);
 *   3. a record left over (clocks that disagree) pairs with the latest change still unpaired.
 *   A change left unpaired is unrecorded when it was made at or after `sinceMs` (the trail's
 *   beginning): a registry older than its audit trail is not back-filled, but its older changes
 *   still take part in the pairing so that they absorb their own records.
 * - An entry of a promotion, rollback, challenger or archive that no change took, and an import
 *   whose version the registry does not hold (or a later import of the same version number holds),
 *   is a change that was never made: not a gap, and never paired with a later change.
 *
 * A change is one `promote`, `rollback` or `challenger` move of the alias history (the lines one
 * write made: same `at`, `action` and `actor`, one after the other), or one entry of archived.json.
 * Its record has the action `model.<action>` and the target `model:<name>@<version>` (the new
 * champion for a promotion or rollback, the new challenger, the archived version). Moves with
 * action `set` (a trainer naming its first champion) or none are not audited by their writers.
 */

export const AUDITED_ALIAS_ACTIONS = ['promote', 'rollback', 'challenger'] as const;
type AuditedAliasAction = (typeof AUDITED_ALIAS_ACTIONS)[number];

export type RegistryAuditAction = `model.${AuditedAliasAction}` | 'model.archive';

/** The actions of the changes `registryChanges` finds in the registry's files. */
const CHANGE_ACTIONS = new Set<string>([...AUDITED_ALIAS_ACTIONS.map((a) => `model.${a}`), 'model.archive']);

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
  /** The hash of the audit entry recorded before the change; absent on changes made before that order. */
  auditHash?: string;
}

/** The fields of an audit entry the pairing reads (`seq`, `hash`, `before`, `after`: a model change's). */
export type AuditFact = Pick<AuditEntry, 'action' | 'target' | 'at' | 'actor' | 'role' | 'changedAt'> &
  Partial<Pick<AuditEntry, 'seq' | 'hash' | 'before' | 'after'>>;

/** The action of the entry saying that the change of the entry before it did not take effect. */
export const FAILED_SUFFIX = '.failed';
export const IMPORT_ACTION = 'model.import';

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

const hashOf = (hash: unknown) => (typeof hash === 'string' && hash !== '' ? { auditHash: hash } : {});

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
      ...hashOf(lines[0].auditHash),
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
      ...hashOf((entry as Partial<ArchivedVersion>).auditHash),
    });
  }
  return changes.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The model a `model:<name>@<version>` target names, and the version; undefined for other targets. */
export function modelTarget(target: string): { model: string; version: string } | undefined {
  if (!target.startsWith('model:')) return undefined;
  const at = target.lastIndexOf('@');
  if (at <= 'model:'.length) return undefined;
  return { model: target.slice('model:'.length, at), version: target.slice(at + 1) };
}

const keyOf = (action: string, target: string) => `${action} ${target}`;

/** `facts` without the `.failed` entries and the entries they withdraw, in the trail's order. */
function standingFacts(facts: readonly AuditFact[]): AuditFact[] {
  const kept: Array<AuditFact | undefined> = [];
  const open = new Map<string, number[]>();
  for (const fact of facts) {
    if (fact.action.endsWith(FAILED_SUFFIX)) {
      const withdrawn = open.get(keyOf(fact.action.slice(0, -FAILED_SUFFIX.length), fact.target))?.pop();
      if (withdrawn !== undefined) kept[withdrawn] = undefined;
      continue;
    }
    const key = keyOf(fact.action, fact.target);
    open.set(key, [...(open.get(key) ?? []), kept.length]);
    kept.push(fact);
  }
  return kept.filter((fact): fact is AuditFact => fact !== undefined);
}

export interface TrailPairing {
  /** Changes no entry records, made at or after `sinceMs`, oldest first. */
  unrecorded: RegistryChange[];
  /** Entries (in the trail's order) whose change the registry never made: a crash came between the two. */
  unmade: AuditFact[];
}

/**
 * Pairs the registry's changes with the trail's entries (see the module comment). `versions` holds
 * the versions of each model whose files were read: entries of other models (skipped, or removed
 * from the registry) are never taken for changes that were not made.
 */
export function pairWithTrail(
  changes: readonly RegistryChange[],
  facts: readonly AuditFact[],
  sinceMs: number,
  versions: ReadonlyMap<string, readonly string[]> = new Map()
): TrailPairing {
  const standing = standingFacts(facts);
  const claimed = new Set(changes.flatMap((change) => (change.auditHash ? [change.auditHash] : [])));
  const taken = new Set<AuditFact>(standing.filter((fact) => fact.hash !== undefined && claimed.has(fact.hash)));

  const byKey = new Map<string, { changes: RegistryChange[]; records: AuditFact[] }>();
  for (const change of changes) {
    if (change.auditHash) continue;
    const key = keyOf(change.action, targetOf(change.model, change.version));
    const group = byKey.get(key) ?? { changes: [], records: [] };
    group.changes.push(change);
    byKey.set(key, group);
  }
  for (const fact of standing) if (!taken.has(fact)) byKey.get(keyOf(fact.action, fact.target))?.records.push(fact);

  const unrecorded: RegistryChange[] = [];
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
      else if (take((change) => change.at === record.changedAt)) taken.add(record);
    }
    live.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const leftOver = live.filter((record) => {
      const fits = take((change) => Date.parse(change.at) <= Date.parse(record.at));
      if (fits) taken.add(record);
      return !fits;
    });
    for (const record of leftOver) if (take(() => true)) taken.add(record);
    sorted.forEach((change, i) => {
      if (!paired[i] && Date.parse(change.at) >= sinceMs) unrecorded.push(change);
    });
  }

  const unmade: AuditFact[] = [];
  const imports = new Map<string, AuditFact[]>();
  for (const fact of standing) {
    const target = modelTarget(fact.target);
    const held = target && versions.get(target.model);
    if (!target || !held || taken.has(fact) || fact.changedAt !== undefined) continue;
    if (fact.action === IMPORT_ACTION) imports.set(fact.target, [...(imports.get(fact.target) ?? []), fact]);
    else if (CHANGE_ACTIONS.has(fact.action)) unmade.push(fact);
  }
  // A version's number is taken again only when no folder holds it: the latest import of a version
  // the registry holds is the one that made it; every other import of that number was never made.
  for (const [target, entries] of imports) {
    const { model, version } = modelTarget(target) as { model: string; version: string };
    unmade.push(...(versions.get(model)?.includes(version) ? entries.slice(0, -1) : entries));
  }
  const order = new Map(facts.map((fact, i) => [fact, i]));
  unmade.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return { unrecorded: unrecorded.sort((a, b) => Date.parse(a.at) - Date.parse(b.at)), unmade };
}

/** The changes that no record of `facts` stands for, made at or after `sinceMs`, oldest first. */
export function unauditedChanges(
  changes: readonly RegistryChange[],
  facts: readonly AuditFact[],
  sinceMs: number
): RegistryChange[] {
  return pairWithTrail(changes, facts, sinceMs).unrecorded;
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

/**
 * The entry that says the change `fact` recorded never took effect (a crash between the entry and
 * the change): `<action>.failed`, as `recordThenSave` writes when a save fails, from `recovered`.
 */
export function unmadeEntry(fact: AuditFact): AuditEntryInput {
  const entry = fact.seq !== undefined ? `entry ${fact.seq}` : `the entry of ${fact.at}`;
  return {
    actor: fact.actor,
    role: fact.role,
    action: `${fact.action}${FAILED_SUFFIX}`,
    target: fact.target,
    before: fact.after ?? null,
    after: fact.before ?? null,
    from: RECOVERED_FROM,
    reason:
      `${entry} was not saved: the process stopped after the audit trail recorded the change, ` +
      'before the registry made it; found at the restart',
  };
}
