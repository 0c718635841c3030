/**
 * The moments of a registry change where a crash leaves the most work half done. A fault test
 * (tests/faults/registryKill.test.ts) starts a process with NOCAI_FAULT_PAUSE_AT naming one,
 * waits for the line it prints there and kills it with -9, to prove that a crash at each leaves
 * the registry consistent. The variable is read here rather than by the config loader because the
 * registry is written from every process and thread (the service, its training worker threads,
 * `nocai train`), which inherit it; it is a fault-injection switch, never a setting. Unset (always,
 * in production) the points do nothing.
 */
export const CRASH_POINTS = [
  /** A new version's files are written and fsynced in its staging folder, not yet renamed into place. */
  'version-staged',
  /** The new version's folder is in place; its saving has not returned. */
  'version-stored',
  /** aliases.json names the new champion or challenger; the alias history has no line for it yet (aliases.pending.json has). */
  'aliases-written',
  /** The audit trail has recorded a promotion; the registry has not made it yet (aliases.json unchanged). */
  'promotion-recorded',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Returns at once unless the process was told to pause at `point`: then it says so and never returns. */
export async function crashPoint(point: CrashPoint): Promise<void> {
  if (process.env.NOCAI_FAULT_PAUSE_AT !== point) return;
  process.stderr.write(`nocai: paused at registry crash point ${point}\n`);
  // A timer keeps the process alive (a bare pending promise would let a command end, and its
  // exit handlers release the model's lock): it stays, lock held, until it is killed.
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}
