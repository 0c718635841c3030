import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry, AuditSink } from '../../domain/audit/audit';
import { parseEntryLine } from '../audit/chain';
import { readTrailLines } from '../audit/lines';
import type { Logger } from '../logger';
import {
  FAILED_SUFFIX,
  IMPORT_ACTION,
  knownRole,
  modelTarget,
  pairWithTrail,
  recoveredEntry,
  registryChanges,
  unmadeEntry,
} from './auditGaps';
import type { AuditFact, RegistryChange } from './auditGaps';
import { writeAtomically } from './durableFiles';
import { finishPendingAliasWrite, listModels, listVersions } from './modelRegistry';
import { RegistryConflictError } from './errors';
import { withModelLock } from './modelLock';
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
  /**
   * The `<action>.failed` entries recorded now for entries whose change the registry never made
   * (a crash after the entry, before the change), in the trail's order.
   */
  failed: AuditEntry[];
  /** Models whose files could not be read, with why: left as they are, the others reconciled. */
  skipped: Array<{ model: string; problem: string }>;
}

const MODEL_ACTIONS = new Set(
  ['model.promote', 'model.rollback', 'model.challenger', 'model.archive', IMPORT_ACTION].flatMap((action) => [
    action,
    `${action}${FAILED_SUFFIX}`,
  ])
);

/**
 * Brings the audit trail in line with the registry (see `auditGaps.ts` for how changes and entries
 * are paired), at the service's start, before it serves:
 * - a change no entry records (made before changes were recorded first, and cut off by a crash
 *   before its entry) is recorded now, from `recovered`, naming the change's time (`changedAt`);
 * - an entry whose change the registry never made (a crash after the entry, before the change) is
 *   followed now by its `<action>.failed` entry, as a failed save is: the trail then says it did
 *   not take effect. That is decided again under the model's lock, with the trail read again: a
 *   `nocai models` command between its entry and its change holds that lock until it is done.
 * Running it again records nothing more.
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
  const versions = new Map<string, string[]>();
  const skipped: ReconciliationResult['skipped'] = [];
  for (const model of await listModels(registryDir)) {
    try {
      // A crash between aliases.json and its history lines: the lines first, then their records.
      await finishPendingAliasWrite(registryDir, model);
      changes.push(...(await changesOf(registryDir, model)));
      versions.set(model, await listVersions(registryDir, model));
    } catch (error) {
      skipped.push({ model, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  const { unrecorded, unmade } = pairWithTrail(changes, facts, Date.parse(since), versions);
  const recorded: AuditEntry[] = [];
  // One at a time, oldest change first: the trail's order follows the registry's.
  for (const change of unrecorded) {
    const role = knownRole(facts, change.actor, Date.parse(change.at));
    recorded.push(await trail.record(recoveredEntry(change, role)));
  }
  const failed: AuditEntry[] = [];
  const unmadeModels = new Set(unmade.map((fact) => modelTarget(fact.target)?.model as string));
  for (const model of unmadeModels) {
    try {
      await withModelLock(registryDir, model, async () => {
        // Under the lock no writer of `model` is between its entry and its change: what the trail
        // and the files say now is final.
        const again = (await readFacts(trail.file)).facts.filter((f) => modelTarget(f.target)?.model === model);
        const held = new Map([[model, await listVersions(registryDir, model)]]);
        const now = pairWithTrail(await changesOf(registryDir, model), again, Date.parse(since), held);
        for (const fact of now.unmade) failed.push(await trail.record(unmadeEntry(fact)));
      });
    } catch (error) {
      // A writer holding the model's lock longer than a writer may: checked again at the next start.
      if (!(error instanceof RegistryConflictError)) throw error;
      skipped.push({ model, problem: error.message });
    }
  }
  return { since, recorded, failed, skipped };
}

async function changesOf(registryDir: string, model: string): Promise<RegistryChange[]> {
  const history = await readAliasHistory(registryDir, model);
  return registryChanges(model, history, await readArchived(registryDir, model));
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
  for (const entry of result.failed) {
    logger.warn(
      { action: entry.action, target: entry.target, actor: entry.actor, seq: entry.seq },
      'an audited registry change that a crash cut off before it was made was recorded as not done now (from: recovered)'
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
      const change = MODEL_ACTIONS.has(action)
        ? { seq: entry.seq, hash: entry.hash, before: entry.before, after: entry.after }
        : {};
      facts.push({
        action,
        target,
        at,
        actor,
        role,
        ...(typeof changedAt === 'string' ? { changedAt } : {}),
        ...change,
      });
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
