import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isModelAlias } from '../../domain/mlops/manifest';
import type { ModelAlias, ModelManifest, RegistryManifest } from '../../domain/mlops/manifest';

/**
 * Models on disk: `<registryDir>/<name>/<version>/{model.onnx,manifest.json}` and
 * `<registryDir>/<name>/aliases.json` ({"champion": "v3", "challenger": "v4"}). Versions are
 * written once and never changed; only the alias file moves, atomically.
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

export class ModelNotFoundError extends Error {}

/** A stored model whose file cannot be used as it is; the message names the file and what is wrong. */
export class DamagedModelError extends Error {
  constructor(
    readonly file: string,
    problem: string
  ) {
    super(`${file} ${problem}`);
    this.name = 'DamagedModelError';
  }
}

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code;
const unreadable = (error: unknown) => `cannot be read (${errnoCode(error) ?? String(error)})`;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkName(kind: string, value: string): void {
  // Names become folder names: nothing that could climb out of the registry.
  if (!NAME_RE.test(value)) throw new Error(`invalid ${kind} "${value}": use letters, digits, '.', '_' or '-'`);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

const versionNumber = (version: string) => Number(/^v(\d+)$/.exec(version)?.[1] ?? NaN);

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
    if (NAME_RE.test(entry) && (await listVersions(registryDir, entry)).length > 0) names.push(entry);
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DamagedModelError(file, 'is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DamagedModelError(file, 'is not a JSON object');
  }
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

export async function setAlias(registryDir: string, name: string, alias: ModelAlias, version: string): Promise<void> {
  if (!(await listVersions(registryDir, name)).includes(version)) {
    throw new ModelNotFoundError(`model ${name} has no version ${version}`);
  }
  const aliases = { ...(await readAliases(registryDir, name)), [alias]: version };
  await writeAtomically(join(registryDir, name, ALIASES_FILE), `${JSON.stringify(aliases, null, 2)}\n`);
}

/**
 * Stores a new version of `manifest.name` and returns its manifest with the version and
 * parent (the champion at that moment) filled in. The version folder is created exclusively,
 * so two writers never share a version.
 */
export async function saveModel<M extends RegistryManifest = ModelManifest>(
  registryDir: string,
  manifest: Omit<M, 'version' | 'parentVersion'>,
  onnxBytes: Uint8Array
): Promise<M> {
  checkName('model name', manifest.name);
  await mkdir(join(registryDir, manifest.name), { recursive: true });
  const parentVersion = (await readAliases(registryDir, manifest.name)).champion ?? null;
  for (let attempt = 0; attempt < 100; attempt++) {
    const versions = await listVersions(registryDir, manifest.name);
    const next = `v${(versions.length > 0 ? versionNumber(versions[versions.length - 1]) : 0) + 1 + attempt}`;
    const dir = join(registryDir, manifest.name, next);
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    // Omit<M, 'version' | 'parentVersion'> plus those two fields is M; TypeScript cannot see it for a generic M.
    const full = { ...manifest, version: next, parentVersion } as M;
    await writeFile(join(dir, MODEL_FILE), onnxBytes);
    // The manifest last: a version folder with a manifest is complete.
    await writeAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(full, null, 2)}\n`);
    return full;
  }
  throw new Error(`could not allocate a version for model ${manifest.name}`);
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
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestText);
  } catch {
    throw new DamagedModelError(manifestFile, 'is not valid JSON');
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new DamagedModelError(manifestFile, 'is not a JSON object');
  }
  const modelFile = join(dir, MODEL_FILE);
  let onnx: Uint8Array;
  try {
    onnx = new Uint8Array(await readFile(modelFile));
  } catch (error) {
    throw new DamagedModelError(modelFile, errnoCode(error) === 'ENOENT' ? 'is missing' : unreadable(error));
  }
  // Its fields are checked by the runtime of its kind (OnnxClassifier, OnnxMttrModel, …).
  return { manifest: manifest as M, onnx, dir };
}
