import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { recordThenSave, type AuditSink } from '../../domain/audit/audit';
import { isModelAlias, type ModelAlias } from '../../domain/mlops/manifest';
import { crashPoint } from './crashPoints';
import { InvalidModelNameError, ModelNotFoundError, RegistryConflictError } from './errors';
import { sha256Hex } from './integrity';
import { withModelLock } from './modelLock';
import {
  checkAliasTarget,
  checkName,
  listModels,
  listVersions,
  loadModel,
  MANIFEST_FILE,
  MODEL_FILE,
  readAliases,
  readAliasesFile,
  versionNumber,
  writeAliases,
} from './modelRegistry';
import type { Aliases } from './modelRegistry';
import { readAliasHistory, readArchived, writeArchived } from './registryFiles';
import type { AliasChange, ArchivedVersion, ChangeContext } from './registryFiles';

export type { AliasChange, ArchivedVersion, ChangeContext } from './registryFiles';

/**
 * The model lifecycle on the registry (MLflow's registered model, versions and aliases): promote,
 * name a challenger, roll back, archive, describe. Each change runs under the model's lock, checks
 * the state it found there, has the audit trail record it (before and after) and only then writes
 * the alias file atomically and its history line (`recordThenSave`): no change takes effect
 * without its entry, and each history line names its entry's hash. A trail that cannot record
 * the change refuses it, nothing changed (`AuditNotRecordedError`); a write failing after its
 * entry is recorded as `<action>.failed` (`ChangeNotSavedError`). Refusals change nothing and say
 * why in one sentence: `ModelNotFoundError` (no such model or version), `RegistryConflictError`
 * (the state forbids it), `DamagedModelError` (the version's files do not check out).
 */

export interface ChangeResult {
  name: string;
  /** The version the change was about. */
  version: string;
  before: Aliases;
  after: Aliases;
  /** False when the registry already was as asked (nothing written, nothing audited). */
  changed: boolean;
}

export interface PromoteOptions {
  /**
   * The champion the caller saw when it decided (null: none). When another writer moved the
   * champion since, the promotion is refused. Unset: the champion at the moment of the call.
   */
  expectedChampion?: string | null;
}

export interface RollbackOptions {
  /** Any version older than the champion; unset: the previous champion in the alias history. */
  toVersion?: string;
}

async function checkModel(registryDir: string, name: string): Promise<string[]> {
  checkName('model name', name);
  const versions = await listVersions(registryDir, name);
  if (versions.length === 0) throw new ModelNotFoundError(`there is no model ${name} in the registry`);
  return versions;
}

/**
 * The version `asked` names: itself, or the version an alias (`champion`, `challenger`) points at, or
 * the newest for `latest`, as a model's URI names it in MLflow (`models:/name@champion`).
 */
async function versionNamed(registryDir: string, name: string, asked: string): Promise<string> {
  if (asked === 'latest') return (await checkModel(registryDir, name)).at(-1) as string;
  if (!isModelAlias(asked)) return asked;
  await checkModel(registryDir, name);
  const version = (await readAliasesFile(registryDir, name))[asked];
  if (version === undefined) throw new ModelNotFoundError(`model ${name} has no ${asked}`);
  return version;
}

async function checkVersion(registryDir: string, name: string, version: string): Promise<void> {
  checkName('model version', version);
  // `show` takes an alias for the version it names; a change names the version it moves to.
  if (isModelAlias(version) || version === 'latest') {
    throw new InvalidModelNameError(
      `promote, rollback and archive take a version such as v1, not ${version}; ` +
        `show ${name} ${version} names the version it stands for`
    );
  }
  if (!(await checkModel(registryDir, name)).includes(version)) {
    throw new ModelNotFoundError(`model ${name} has no version ${version}`);
  }
}

/**
 * Records the change `action` of `name`@`version` in `audit`, then makes it with `write`, given the
 * entry's hash to keep on the change's lines (`recordThenSave`; the caller holds the model's lock).
 * Without a trail (a registry used alone: trainers, tests) `write` runs alone.
 */
async function recordThenWrite<T>(
  audit: AuditSink | undefined,
  context: ChangeContext,
  change: { action: string; name: string; version: string; before: unknown; after: unknown },
  write: (auditHash?: string) => Promise<T>
): Promise<T> {
  if (!audit) return write();
  return recordThenSave(
    audit,
    {
      actor: context.actor,
      role: context.role,
      action: change.action,
      target: `model:${change.name}@${change.version}`,
      before: change.before,
      after: change.after,
      from: context.from,
      reason: context.reason,
    },
    (recorded) => write(recorded.hash)
  );
}

function staleChampion(
  name: string,
  expected: string | null,
  current: string | null,
  what: string
): RegistryConflictError {
  return new RegistryConflictError(
    `the champion of model ${name} is ${current ?? 'unset'}, not ${expected ?? 'unset'} as expected: ` +
      `another change came first; look again before ${what}`
  );
}

/** A version becomes an alias's target only once its model.onnx checks out against its manifest. */
async function checkServable(registryDir: string, name: string, version: string): Promise<void> {
  await checkAliasTarget(registryDir, name, version);
  await loadModel(registryDir, name, version);
}

/**
 * Makes `version` the champion of `name`; the old champion stays a version (and the parent of what
 * comes next). A challenger promoted lets go of the challenger alias.
 */
export async function promote(
  registryDir: string,
  name: string,
  version: string,
  options: PromoteOptions,
  context: ChangeContext,
  audit?: AuditSink
): Promise<ChangeResult> {
  await checkVersion(registryDir, name, version);
  const expected =
    options.expectedChampion !== undefined
      ? options.expectedChampion
      : ((await readAliasesFile(registryDir, name)).champion ?? null);
  return withModelLock(registryDir, name, async (): Promise<ChangeResult> => {
    const before = await readAliasesFile(registryDir, name);
    const current = before.champion ?? null;
    // Already done (by this caller's earlier try, or by someone who meant the same) unless the
    // caller said which champion it expected to replace: then a second promotion is a conflict.
    if (current === version && (options.expectedChampion === undefined || options.expectedChampion === version)) {
      return { name, version, before, after: before, changed: false };
    }
    if (current !== expected) throw staleChampion(name, expected, current, `promoting ${version}`);
    await checkServable(registryDir, name, version);
    const after: Aliases = { ...before, champion: version };
    if (after.challenger === version) delete after.challenger;
    await recordThenWrite(
      audit,
      context,
      { action: 'model.promote', name, version, before, after },
      async (auditHash) => {
        await crashPoint('promotion-recorded');
        await writeAliases(registryDir, name, before, after, { ...context, action: 'promote', auditHash });
      }
    );
    return { name, version, before, after, changed: true };
  });
}

/** Names `version` the challenger of `name`: the version the retraining job compares with the champion. */
export async function setChallenger(
  registryDir: string,
  name: string,
  version: string,
  context: ChangeContext,
  audit?: AuditSink
): Promise<ChangeResult> {
  await checkVersion(registryDir, name, version);
  return withModelLock(registryDir, name, async (): Promise<ChangeResult> => {
    const before = await readAliasesFile(registryDir, name);
    if (before.champion === version) {
      throw new RegistryConflictError(
        `${version} is the champion of model ${name}; a challenger must be another version`
      );
    }
    if (before.challenger === version) return { name, version, before, after: before, changed: false };
    await checkServable(registryDir, name, version);
    const after: Aliases = { ...before, challenger: version };
    await recordThenWrite(audit, context, { action: 'model.challenger', name, version, before, after }, (auditHash) =>
      writeAliases(registryDir, name, before, after, { ...context, action: 'challenger', auditHash })
    );
    return { name, version, before, after, changed: true };
  });
}

/**
 * The champion to roll back to from `current`: the history replayed as a stack of earlier
 * champions (a move pushes the champion it replaced; a rollback pops back to where it went), so
 * that rollbacks walk back one champion at a time. A history that lost track has none.
 */
function previousChampion(history: readonly AliasChange[], current: string): string | undefined {
  const earlier: string[] = [];
  for (const change of history) {
    if (change.alias !== 'champion') continue;
    if (change.action === 'rollback' && change.to !== null) {
      const at = earlier.lastIndexOf(change.to);
      if (at >= 0) earlier.length = at;
    } else if (change.from !== null) {
      earlier.push(change.from);
    }
  }
  while (earlier.length > 0 && earlier[earlier.length - 1] === current) earlier.pop();
  return earlier[earlier.length - 1];
}

/** Puts the previous champion of `name` back (or `toVersion`, any version older than the champion). */
export async function rollback(
  registryDir: string,
  name: string,
  options: RollbackOptions,
  context: ChangeContext,
  audit?: AuditSink
): Promise<ChangeResult> {
  await checkModel(registryDir, name);
  if (options.toVersion !== undefined) await checkVersion(registryDir, name, options.toVersion);
  const seen = (await readAliasesFile(registryDir, name)).champion ?? null;
  return withModelLock(registryDir, name, async (): Promise<ChangeResult> => {
    const before = await readAliasesFile(registryDir, name);
    const current = before.champion;
    if (!current) throw new RegistryConflictError(`model ${name} has no champion to roll back`);
    if (current !== seen) throw staleChampion(name, seen, current, 'rolling back');
    let target = options.toVersion;
    if (target === undefined) {
      target = previousChampion(await readAliasHistory(registryDir, name), current);
      if (target === undefined) {
        throw new RegistryConflictError(
          `model ${name} has no earlier champion in its alias history; name the version to go back to`
        );
      }
    } else if (target === current) {
      throw new RegistryConflictError(`${target} already is the champion of model ${name}`);
    } else if (versionNumber(target) > versionNumber(current)) {
      throw new RegistryConflictError(
        `${target} is newer than the champion ${current} of model ${name}: promote it instead of rolling back`
      );
    }
    await checkServable(registryDir, name, target);
    const after: Aliases = { ...before, champion: target };
    if (after.challenger === target) delete after.challenger;
    const version = target;
    await recordThenWrite(audit, context, { action: 'model.rollback', name, version, before, after }, (auditHash) =>
      writeAliases(registryDir, name, before, after, { ...context, action: 'rollback', auditHash })
    );
    return { name, version, before, after, changed: true };
  });
}

/**
 * Archives `version` of `name`: kept on disk and listed, never again champion or challenger.
 * The champion cannot be archived; an archived challenger lets go of the alias.
 */
export async function archive(
  registryDir: string,
  name: string,
  version: string,
  context: ChangeContext,
  audit?: AuditSink
): Promise<ChangeResult & { archived: ArchivedVersion }> {
  await checkVersion(registryDir, name, version);
  return withModelLock(registryDir, name, async () => {
    const before = await readAliasesFile(registryDir, name);
    if (before.champion === version) {
      throw new RegistryConflictError(
        `${version} is the champion of model ${name}: promote or roll back to another version before archiving it`
      );
    }
    const archived = await readArchived(registryDir, name);
    const already = archived[version];
    if (already) return { name, version, before, after: before, changed: false, archived: already };
    const after: Aliases = { ...before };
    if (after.challenger === version) delete after.challenger;
    const change = {
      action: 'model.archive',
      name,
      version,
      before: { archived: false, aliases: before },
      after: { archived: true, aliases: after },
    };
    const entry = await recordThenWrite(audit, context, change, async (auditHash) => {
      const written: ArchivedVersion = {
        at: new Date().toISOString(),
        actor: context.actor,
        ...(context.reason ? { reason: context.reason } : {}),
      };
      await writeArchived(registryDir, name, {
        ...archived,
        [version]: { ...written, ...(auditHash ? { auditHash } : {}) },
      });
      if (after.challenger !== before.challenger) {
        await writeAliases(registryDir, name, before, after, { ...context, action: 'archive', auditHash });
      }
      return written;
    });
    return { name, version, before, after, changed: true, archived: entry };
  });
}

export interface ModelSummary {
  name: string;
  champion: string | null;
  challenger: string | null;
  versions: number;
  archived: number;
}

/** Every model of the registry with its aliases and how many versions it has. */
export async function listModelSummaries(registryDir: string): Promise<ModelSummary[]> {
  const summaries: ModelSummary[] = [];
  for (const name of await listModels(registryDir)) {
    const aliases = await readAliases(registryDir, name);
    summaries.push({
      name,
      champion: aliases.champion ?? null,
      challenger: aliases.challenger ?? null,
      versions: (await listVersions(registryDir, name)).length,
      archived: Object.keys(await readArchived(registryDir, name).catch(() => ({}))).length,
    });
  }
  return summaries;
}

/** What `describeModel` says of one version: its manifest's metadata, without the model's parameters. */
export interface VersionDescription {
  version: string;
  aliases: ModelAlias[];
  archived: ArchivedVersion | null;
  /** Set when the manifest cannot be read (a version whose writing never finished, or damage). */
  problem?: string;
  kind?: string;
  target?: string;
  createdAt?: string;
  createdBy?: unknown;
  reason?: string;
  tags?: Record<string, string>;
  labels?: string[];
  signature?: unknown;
  hyperparameters?: unknown;
  trainingWindow?: unknown;
  dataHash?: string;
  metrics?: unknown;
  parentVersion?: string | null;
  artifactSha256?: string;
}

export interface ModelDescription {
  name: string;
  aliases: Aliases;
  versions: VersionDescription[];
  /** Alias moves, oldest first. */
  history: AliasChange[];
}

const METADATA_FIELDS = [
  'kind',
  'target',
  'createdAt',
  'createdBy',
  'reason',
  'tags',
  'labels',
  'signature',
  'trainingWindow',
  'dataHash',
  'metrics',
  'parentVersion',
  'artifactSha256',
] as const;

async function readManifest(registryDir: string, name: string, version: string): Promise<Record<string, unknown>> {
  const file = join(registryDir, name, version, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `${MANIFEST_FILE} is missing (its writing never finished)`
        : `${MANIFEST_FILE} cannot be read`
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${MANIFEST_FILE} is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${MANIFEST_FILE} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

async function describeVersionOf(
  registryDir: string,
  name: string,
  version: string,
  aliases: Aliases,
  archived: Record<string, ArchivedVersion>
): Promise<VersionDescription> {
  const description: VersionDescription = {
    version,
    aliases: (['champion', 'challenger'] as const).filter((alias) => aliases[alias] === version),
    archived: archived[version] ?? null,
  };
  let manifest: Record<string, unknown>;
  try {
    manifest = await readManifest(registryDir, name, version);
  } catch (error) {
    return { ...description, problem: (error as Error).message };
  }
  const picked: Record<string, unknown> = {};
  for (const field of METADATA_FIELDS) if (manifest[field] !== undefined) picked[field] = manifest[field];
  // Text classifiers and tabular models spell it `hyperparameters`, the MTTR trees `hyperParameters`.
  const hyperparameters = manifest.hyperparameters ?? manifest.hyperParameters;
  if (hyperparameters !== undefined) picked.hyperparameters = hyperparameters;
  return { ...description, ...(picked as Partial<VersionDescription>) };
}

/** Versions with their metadata, aliases, archived flags, and the alias history of model `name`. */
export async function describeModel(registryDir: string, name: string): Promise<ModelDescription> {
  const versions = await checkModel(registryDir, name);
  const aliases = await readAliasesFile(registryDir, name);
  const archived = await readArchived(registryDir, name);
  return {
    name,
    aliases,
    versions: await Promise.all(versions.map((v) => describeVersionOf(registryDir, name, v, aliases, archived))),
    history: await readAliasHistory(registryDir, name),
  };
}

/** One version in full, with whether its model.onnx matches the sha256 its manifest records. */
export async function describeVersion(
  registryDir: string,
  name: string,
  asked: string
): Promise<VersionDescription & { artifact: { bytes: number; sha256: string; matchesManifest: boolean } | null }> {
  const version = await versionNamed(registryDir, name, asked);
  await checkVersion(registryDir, name, version);
  const aliases = await readAliasesFile(registryDir, name);
  const description = await describeVersionOf(
    registryDir,
    name,
    version,
    aliases,
    await readArchived(registryDir, name)
  );
  const file = join(registryDir, name, version, MODEL_FILE);
  const artifact = await stat(file).then(
    async (s) => {
      const sha256 = sha256Hex(new Uint8Array(await readFile(file)));
      return { bytes: s.size, sha256, matchesManifest: sha256 === description.artifactSha256 };
    },
    () => null
  );
  return { ...description, artifact };
}
