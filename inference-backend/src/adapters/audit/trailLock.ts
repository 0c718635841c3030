import { lock } from 'proper-lockfile';

/** A lock whose holder stopped refreshing it for this long is taken over (its process crashed). */
const LOCK_STALE_MS = 10_000;
/** How long to wait for another process's lock by default: appends hold it for milliseconds. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

/**
 * Takes the trail's lock (`<file>.lock`, a folder proper-lockfile creates atomically and keeps
 * fresh), waiting up to `waitMs` for another process to let go; resolves with its release.
 */
export async function lockTrail(file: string, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<() => Promise<void>> {
  const lockfilePath = `${file}.lock`;
  try {
    return await lock(file, {
      realpath: false,
      lockfilePath,
      stale: LOCK_STALE_MS,
      retries: {
        retries: Math.max(1, Math.ceil(waitMs / 25)),
        factor: 1,
        minTimeout: 10,
        maxTimeout: 40,
        randomize: true,
      },
      // The default throws from a timer and kills the process; the holder's release reports it instead.
      onCompromised: () => undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new Error(
        `the audit trail ${file} is locked by another process (${lockfilePath}) for more than ${waitMs} ms`
      );
    }
    throw error;
  }
}
