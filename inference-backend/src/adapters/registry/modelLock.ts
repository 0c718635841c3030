import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { RegistryConflictError } from './errors';

/** The lock folder inside a model's folder; `listVersions` never mistakes it for a version. */
export const LOCK_DIR = 'writer.lock';

/**
 * A writer waits this long at most (about 10 s in all) for another to finish: saving a model or
 * moving an alias takes milliseconds, so a longer wait means a stuck writer, reported as a conflict.
 */
const WAIT = { retries: 30, factor: 1.3, minTimeout: 20, maxTimeout: 1000 };
/**
 * A lock not refreshed for this long belongs to a writer that died (proper-lockfile refreshes it
 * every stale/2 while its holder lives) and is taken over.
 */
const STALE_MS = 10_000;

/**
 * Runs `change` as the only writer of model `name`, across processes (the service and `nocai`
 * commands share the folder): proper-lockfile's atomic mkdir of `<name>/writer.lock`, refreshed
 * while held, released after `change` (also when it throws). The model's folder must exist.
 */
export async function withModelLock<T>(registryDir: string, name: string, change: () => Promise<T>): Promise<T> {
  const folder = join(registryDir, name);
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lock(folder, {
      lockfilePath: join(folder, LOCK_DIR),
      realpath: false,
      retries: WAIT,
      stale: STALE_MS,
      // The default throws from a timer, which would end the service; the change reports it instead.
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new RegistryConflictError(
        `model ${name} is being changed by another writer (${join(folder, LOCK_DIR)} is held); try again in a moment`
      );
    }
    throw error;
  }
  try {
    const result = await change();
    if (compromised) {
      throw new Error(
        `the lock on model ${name} was lost during the change (${compromised.message}); check its aliases`
      );
    }
    return result;
  } finally {
    await release().catch(() => undefined);
  }
}
