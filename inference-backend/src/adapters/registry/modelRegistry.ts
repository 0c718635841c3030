import { access, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isModelAlias, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../../domain/mlops/manifest';
import type { ModelAlias, ModelManifest, Provenance, RegistryManifest } from '../../domain/mlops/manifest';
import { crashPoint } from './crashPoints';
import { writeAtomically, writeFolderAtomically } from './durableFiles';
import {
  DamagedModelError,
  InvalidModelNameError,
  ModelNotFoundError,
  parseJsonObject,
  RegistryConflictError,
} from './errors';
import { sha256Hex, verifyArtifact } from './integrity';
import { withModelLock } from './modelLock';
import {
  appendAliasChanges,
  clearPendingAliasChanges,
  completePendingAliasChanges,
  PENDING_ALIASES_FILE,
  readArchived,
  writePendingAliasChanges,
} from './registryFiles';
import type { AliasAction, AliasChange } from './registryFiles';
import { onnxSignature } from './signature';

export { DamagedModelError, InvalidModelNameError, ModelNotFoundError, RegistryConflictError } from './errors';

/**
 * Models on disk: `<registryDir>/<name>/<version>/{model.onnx,manifest.json}`,
 * `<registryDir>/<name>/aliases.json` ({"champion": "v3", "challenger": "v4"}), its history
 * `aliases.jsonl` and `archived.json`. Versions are written once and never changed; the manifest
 * records the sha256 of model.onnx, checked at every load. Writers of a model take its lock
 * (`modelLock.ts`) one at a time; the alias file moves atomically.
 */
export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.json';
export const ALIASES_FILE = 'aliases.json';

export type Aliases = Partial<Record<ModelAlias, string>>;

/** A text classifier unless the caller asks for another kind (check `manifest.kind` when unsure). */
export interface StoredModel<M extends RegistryManifest = ModelManifest> {
  manifest: M;
  onnx: Uint8Array;
  dir: string;
}

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;
const unreadable = (error: unknown) => `cannot be read (${errnoCode(error) ?? String(error)})`;

export function checkName(kind: string, value: string): void {
  // Names become folder names: nothing that could climb out of the registry.
  if (!MODEL_NAME_PATTERN.test(value))
    throw new InvalidModelNameError(`invalid ${kind} "${value}": use ${MODEL_NAME_RULE}`);
}

export const versionNumber = (version: string) => Number(/^v(\d+)$/.exec(version)?.[1] ?? NaN);

/** Versions of `name`, oldest first. */
export async function listVersions(registryDir: string, name: string): Promise<string[]> {
  checkName('model name', name);
  let entries: string[];
  try {
    entries = await readdir(join(registryDir, name));
  } catch {
    return [];
  }
  return entries.filter((e) => Number.isFinite(versionNumber(e))).sort((a, b) => versionNumber(a) - versionNumber(b));
}

/** Model names in the registry (folders with at least one version). */
export async function listModels(registryDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(registryDir);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries.sort()) {
    if (MODEL_NAME_PATTERN.test(entry) && (await listVersions(registryDir, entry)).length > 0) names.push(entry);
  }
  return names;
}

/**
 * The aliases of `name`, `{}` when it has none; an alias file that cannot be read or is not a
 * JSON object is a `DamagedModelError`, for readers that must not guess which version is meant.
 */
export async function readAliasesFile(registryDir: string, name: string): Promise<Aliases> {
  checkName('model name', name);
  const file = join(registryDir, name, ALIASES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {};
    throw new DamagedModelError(file, unreadable(error));
  }
  const parsed = parseJsonObject(file, text);
  const aliases: Aliases = {};
  for (const [alias, version] of Object.entries(parsed)) {
    if (isModelAlias(alias) && typeof version === 'string') aliases[alias] = version;
  }
  return aliases;
}

/** The aliases of `name`; a missing or damaged alias file reads as none (`setAlias` rewrites it whole). */
export async function readAliases(registryDir: string, name: string): Promise<Aliases> {
  checkName('model name', name);
  return readAliasesFile(registryDir, name).catch(() => ({}));
}

/** Who moved an alias, for the history; the lifecycle operations (`lifecycle.ts`) say more. */
export interface AliasActor {
  actor: string;
  reason?: string;
  action?: AliasAction;
  /** The audit entry recorded before the move (its `hash`), kept on each history line it makes. */
  auditHash?: string;
}

/**
 * The alias history's actor for a trainer's first champion: whoever the version says made it (the
 * OS user of `nocai train`, `nocai setup`), with the same reason; `unattributed` without provenance.
 */
export function aliasActorOf(provenance: Provenance | undefined): AliasActor {
  return provenance ? { actor: provenance.createdBy.name, reason: provenance.reason } : { actor: 'unattributed' };
}

/**
 * Writes the aliases of `name` (the caller holds its lock): the moves to a pending file, the alias
 * file atomically, one history line per alias that moved, and the pending file removed; a write a
 * crash cut off before its history lines is finished first (`completePendingAliasChanges`).
 * Returns the moves.
 */
export async function writeAliases(
  registryDir: string,
  name: string,
  before: Aliases,
  after: Aliases,
  who: AliasActor
): Promise<AliasChange[]> {
  const at = new Date().toISOString();
  const changes: AliasChange[] = [];
  for (const alias of ['champion', 'challenger'] as const) {
    const from = before[alias] ?? null;
    const to = after[alias] ?? null;
    if (from !== to) {
      const reason = who.reason ? { reason: who.reason } : {};
      const audited = who.auditHash ? { auditHash: who.auditHash } : {};
      changes.push({ at, alias, from, to, actor: who.actor, ...reason, action: who.action ?? 'set', ...audited });
    }
  }
  await completePendingAliasChanges(registryDir, name, before);
  if (changes.length === 0) return changes;
  await writePendingAliasChanges(registryDir, name, changes);
  await writeAtomically(join(registryDir, name, ALIASES_FILE), `${JSON.stringify(after, null, 2)}\n`);
  await crashPoint('aliases-written');
  await appendAliasChanges(registryDir, name, changes);
  await clearPendingAliasChanges(registryDir, name);
  return changes;
}

/**
 * Finishes the alias write of `name` that a crash cut off before its history lines, if there is one
 * (under the model's lock, taken only then: a dead writer's lock is taken over once stale).
 * Returns the history lines appended.
 */
export async function finishPendingAliasWrite(registryDir: string, name: string): Promise<AliasChange[]> {
  checkName('model name', name);
  const pending = await access(join(registryDir, name, PENDING_ALIASES_FILE)).then(
    () => true,
    () => false
  );
  if (!pending) return [];
  return withModelLock(registryDir, name, async () =>
    completePendingAliasChanges(registryDir, name, await readAliasesFile(registryDir, name))
  );
}

/** Refuses an alias for a version that is missing or archived. */
export async function checkAliasTarget(registryDir: string, name: string, version: string): Promise<void> {
  if (!(await listVersions(registryDir, name)).includes(version)) {
    throw new ModelNotFoundError(`model ${name} has no version ${version}`);
  }
  if ((await readArchived(registryDir, name))[version]) {
    throw new RegistryConflictError(
      `model ${name} version ${version} is archived: archived versions cannot become champion or challenger`
    );
  }
}

/**
 * Points `alias` of `name` at `version`, under the model's lock, recorded in the alias history.
 * What trainers use for their first champion; people promote and roll back with `lifecycle.ts`.
 */
export async function setAlias(
  registryDir: string,
  name: string,
  alias: ModelAlias,
  version: string,
  who: AliasActor = { actor: 'unattributed' }
): Promise<void> {
  await checkAliasTarget(registryDir, name, version);
  await withModelLock(registryDir, name, async () => {
    await checkAliasTarget(registryDir, name, version);
    const before = await readAliases(registryDir, name);
    const after: Aliases = { ...before, [alias]: version };
    // One version is never both: the other alias lets go of it.
    const other = alias === 'champion' ? 'challenger' : 'champion';
    if (after[other] === version) delete after[other];
    await writeAliases(registryDir, name, before, after, who);
  });
}

/**
 * Stores a new version of `manifest.name` and returns its manifest with the version, the parent
 * (the champion at that moment), the sha256 of the ONNX bytes and, unless given, the signature
 * the graph declares. Under the model's lock, the version's files (`extraFiles` of the full
 * manifest too: a drift profile) are written in a staging folder renamed into place once whole,
 * so a crash leaves the version complete or absent. `record`, when given, is handed the full
 * manifest (its version allocated) and the write, under the lock: an audited save (an import)
 * records its entry there before it writes (`recordThenSave`).
 */
export async function saveModel<M extends RegistryManifest = ModelManifest>(
  registryDir: string,
  manifest: Omit<M, 'version' | 'parentVersion' | 'artifactSha256'>,
  onnxBytes: Uint8Array,
  extraFiles: (full: M) => Record<string, string> = () => ({}),
  record: (full: M, write: () => Promise<void>) => Promise<void> = (_full, write) => write()
): Promise<M> {
  checkName('model name', manifest.name);
  await mkdir(join(registryDir, manifest.name), { recursive: true });
  const artifactSha256 = sha256Hex(onnxBytes);
  const signature = manifest.signature ?? onnxSignature(onnxBytes);
  return withModelLock(registryDir, manifest.name, async () => {
    const parentVersion = (await readAliases(registryDir, manifest.name)).champion ?? null;
    const versions = await listVersions(registryDir, manifest.name);
    const last = versions.length > 0 ? versionNumber(versions[versions.length - 1]) : 0;
    for (let attempt = 1; attempt <= 100; attempt++) {
      const next = `v${last + attempt}`;
      const dir = join(registryDir, manifest.name, next);
      // Omit<M, …> plus those fields is M; TypeScript cannot see it for a generic M.
      const full = {
        ...manifest,
        version: next,
        parentVersion,
        artifactSha256,
        ...(signature ? { signature } : {}),
      } as unknown as M;
      const files = {
        ...extraFiles(full),
        [MODEL_FILE]: onnxBytes,
        [MANIFEST_FILE]: `${JSON.stringify(full, null, 2)}\n`,
      };
      // A writer that ignores the lock (an older nocai) took it: the next number.
      const taken = await access(dir).then(
        () => true,
        () => false
      );
      if (taken) continue;
      try {
        await record(full, () => writeFolderAtomically(dir, files, () => crashPoint('version-staged')));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      await crashPoint('version-stored');
      return full;
    }
    throw new Error(`could not allocate a version for model ${manifest.name}`);
  });
}

/** A version by name (`v3`) or alias (`champion`); `latest` is the newest version. */
export async function loadModel<M extends RegistryManifest = ModelManifest>(
  registryDir: string,
  name: string,
  aliasOrVersion: string
): Promise<StoredModel<M>> {
  checkName('model name', name);
  let version = aliasOrVersion;
  if (isModelAlias(aliasOrVersion)) {
    const target = (await readAliases(registryDir, name))[aliasOrVersion];
    if (!target) throw new ModelNotFoundError(`model ${name} has no ${aliasOrVersion}`);
    version = target;
  } else if (aliasOrVersion === 'latest') {
    const versions = await listVersions(registryDir, name);
    if (versions.length === 0) throw new ModelNotFoundError(`no model ${name} in ${registryDir}`);
    version = versions[versions.length - 1];
  }
  checkName('model version', version);
  const dir = join(registryDir, name, version);
  const manifestFile = join(dir, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestFile, 'utf8');
  } catch (error) {
    // No manifest: no such version, or one whose writing never finished (the manifest comes last).
    if (errnoCode(error) === 'ENOENT') {
      throw new ModelNotFoundError(`model ${name} has no version ${version} in ${registryDir}`);
    }
    throw new DamagedModelError(manifestFile, unreadable(error));
  }
  const manifest = parseJsonObject(manifestFile, manifestText);
  const modelFile = join(dir, MODEL_FILE);
  let onnx: Uint8Array;
  try {
    onnx = new Uint8Array(await readFile(modelFile));
  } catch (error) {
    throw new DamagedModelError(modelFile, errnoCode(error) === 'ENOENT' ? 'is missing' : unreadable(error));
  }
  verifyArtifact(modelFile, manifest, onnx);
  // Its fields are checked by the runtime of its kind (OnnxClassifier, OnnxMttrModel, …).
  return { manifest: manifest as M, onnx, dir };
}
