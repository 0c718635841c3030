import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROFILE_FORMAT } from '../../domain/mlops/profile';
import type { ReferenceProfile } from '../../domain/mlops/profile';
import type { ProfiledModels } from '../../pipeline/driftStage';
import { listModels, readAliases } from './modelRegistry';

/** A version's reference profile sits next to its manifest: `<registryDir>/<name>/<version>/profile.json`. */
export const PROFILE_FILE = 'profile.json';

/** A profile as the file `saveModel` stores with a new version (`extraFiles`). */
export function profileFile(profile: ReferenceProfile): Record<string, string> {
  return { [PROFILE_FILE]: JSON.stringify(profile) };
}

export async function saveProfile(versionDir: string, profile: ReferenceProfile): Promise<void> {
  const file = join(versionDir, PROFILE_FILE);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, JSON.stringify(profile));
  await rename(temp, file);
}

/** The profile of a version folder; undefined when it has none (trained before profiles, or imported). */
export async function loadProfile(versionDir: string): Promise<ReferenceProfile | undefined> {
  let text: string;
  try {
    text = await readFile(join(versionDir, PROFILE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const profile = JSON.parse(text) as Partial<ReferenceProfile> | null;
  if (profile?.format !== PROFILE_FORMAT || typeof profile.features !== 'object') {
    throw new Error(`${join(versionDir, PROFILE_FILE)} is not a reference profile of format ${PROFILE_FORMAT}`);
  }
  return profile as ReferenceProfile;
}

/** The registry's champions with their profiles, read afresh at every call (a promotion shows at the next evaluation). */
export class RegistryProfiles implements ProfiledModels {
  constructor(private readonly registryDir: string) {}

  async champions(): Promise<Array<{ name: string; version: string; profile: ReferenceProfile | undefined }>> {
    const out: Array<{ name: string; version: string; profile: ReferenceProfile | undefined }> = [];
    for (const name of await listModels(this.registryDir)) {
      const version = (await readAliases(this.registryDir, name)).champion;
      if (!version) continue;
      out.push({ name, version, profile: await loadProfile(join(this.registryDir, name, version)) });
    }
    return out;
  }
}
