import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry, AuditSink } from '../../domain/audit/audit';
import { parseEntryLine } from '../audit/chain';
import { readTrailLines } from '../audit/lines';
import type { Logger } from '../logger';
import { knownRole, recoveredEntry, registryChanges, unauditedChanges } from './auditGaps';
import type { AuditFact, RegistryChange } from './auditGaps';
import { writeAtomically } from './durableFiles';
import { finishPendingAliasWrite, listModels } from './modelRegistry';
import { readAliasHistory, readArchived } from './registryFiles';

/**
 * Beside the trail: the instant from which registry changes must have an audit record. Written
 * once, by the first reconciliation: the trail's first record's time, or that moment when the
 * trail was still empty. Changes made before it (a registry older than its audit trail) are
 * never back-filled.
 */
export const AUDIT_SINCE_FILE = 'registry-audit-since.json';

/** The audit trail the reconciliation reads (its file) and extends (`record`). */
export interface ReconciledTrail extends AuditSink {
  /** The trail's folder, where `AUDIT_SINCE_FILE` is kept. */
  readonly dir: string;
  /** The trail's file (one hash-chained entry per line). */
  readonly file: string;
}

export interface ReconciliationResult {
  /** Changes made after this instant (ISO 8601 UTC) were compared with the trail. */
  since: string;
  /** The entries recorded now for changes the trail had no record of, oldest change first. */
  recorded: AuditEntry[];
  /** Models whose files could not be read, with why: left as they are, the others reconciled. */
  skipped: Array<{ model: string; problem: string }>;
}

const MODEL_ACTIONS = new Set(['model.promote', 'model.rollback', 'model.challenger', 'model.archive']);

/**
 * Records in the audit trail every registry change that a crash cut off before its record (see
 * `auditGaps.ts` for how changes and records are paired): at the service's start, before it
 * serves, so that none of its own changes is between its history line and its record. (A
 * `nocai models` command changing the same registry at that very moment, in the milliseconds
 * between the two, would be recorded twice.) Running it again records nothing more: each
 * recovered entry names the change's time (`changedAt`) and pairs with it.
 *
 * Not run by `nocai audit verify`, which only reads (also a read-only copy of the trail), nor by
 * sharded replicas: each keeps a trail of its own beside one shared registry, so a change another
 * replica recorded would look unrecorded here.
 */
export async function reconcileRegistryAudit(
  registryDir: string,
  trail: ReconciledTrail,
  options: { nowMs?: () => number } = {}
): Promise<ReconciliationResult> {
  const { facts, firstAt } = await readFacts(trail.file);
  const since = await trailSince(trail.dir, firstAt ?? new Date((options.nowMs ?? Date.now)()).toISOString());
  const changes: RegistryChange[] = [];
  const skipped: ReconciliationResult['skipped'] = [];
  for (const model of await listModels(registryDir)) {
    try {
      // A crash between aliases.json and its history lines: the lines first, then their records.
      await finishPendingAliasWrite(registryDir, model);
      const history = await readAliasHistory(registryDir, model);
      changes.push(...registryChanges(model, history, await readArchived(registryDir, model)));
    } catch (error) {
      skipped.push({ model, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  const recorded: AuditEntry[] = [];
  // One at a time, oldest change first: the trail's order follows the registry's.
  for (const change of unauditedChanges(changes, facts, Date.parse(since))) {
    const role = knownRole(facts, change.actor, Date.parse(change.at));
    recorded.push(await trail.record(recoveredEntry(change, role)));
  }
  return { since, recorded, skipped };
}

/**
 * `reconcileRegistryAudit` as the service's start runs it: each change recorded now and each model
 * that could not be checked is logged as a warning (a person should know a change was cut off).
 */
export async function reconcileRegistryAuditAtStart(
  registryDir: string,
  trail: ReconciledTrail,
  logger: Pick<Logger, 'warn'>
): Promise<ReconciliationResult> {
  const result = await reconcileRegistryAudit(registryDir, trail);
  for (const entry of result.recorded) {
    logger.warn(
      { action: entry.action, target: entry.target, actor: entry.actor, changedAt: entry.changedAt, seq: entry.seq },
      'a registry change that a crash cut off before its audit record was recorded now (from: recovered)'
    );
  }
  for (const { model, problem } of result.skipped) {
    logger.warn({ model, problem }, "model's changes not checked against the audit trail: its files cannot be read");
  }
  return result;
}

/**
 * The trail's registry records, and for the other entries only where an actor's role changes (the
 * trail grows without bound; `knownRole` needs no more), with the time of its first record.
 */
async function readFacts(file: string): Promise<{ facts: AuditFact[]; firstAt?: string }> {
  const facts: AuditFact[] = [];
  const lastRole = new Map<string, string>();
  let firstAt: string | undefined;
  try {
    for await (const line of readTrailLines(file)) {
      // A torn last record belongs to nobody yet; the trail refuses to extend it anyway.
      if (!line.terminated) break;
      const entry = parseEntryLine(line.text);
      if (typeof entry === 'string') continue;
      firstAt ??= entry.at;
      if (!MODEL_ACTIONS.has(entry.action) && lastRole.get(entry.actor) === entry.role) continue;
      lastRole.set(entry.actor, entry.role);
      const { action, target, at, actor, role, changedAt } = entry;
      facts.push({ action, target, at, actor, role, ...(typeof changedAt === 'string' ? { changedAt } : {}) });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { facts, firstAt };
}

/** The instant kept in `AUDIT_SINCE_FILE`, written as `fallback` the first time. */
async function trailSince(dir: string, fallback: string): Promise<string> {
  const file = join(dir, AUDIT_SINCE_FILE);
  try {
    const kept = (JSON.parse(await readFile(file, 'utf8')) as { since?: unknown }).since;
    if (typeof kept === 'string' && Number.isFinite(Date.parse(kept))) return kept;
  } catch (error) {
    // Missing (the first start) or damaged: written again from the trail as it is.
    if (!(error instanceof SyntaxError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true });
  await writeAtomically(file, `${JSON.stringify({ since: fallback })}\n`);
  return fallback;
}
