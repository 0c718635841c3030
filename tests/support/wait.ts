/** Polls until `probe` returns a value (not undefined) or the time is up. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls a count until it reaches `target`. It fails only when the count has not moved for
 * `stallMs`: a slow machine (a busy CI runner) takes longer but still passes, a stuck pipeline fails.
 */
export async function waitForCount(
  count: () => Promise<number>,
  target: number,
  what: string,
  stallMs = 120_000
): Promise<number> {
  let last = -Infinity;
  let movedAt = Date.now();
  for (;;) {
    const value = await count();
    if (value >= target) return value;
    if (value > last) {
      last = value;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: ${value} of ${target}, and no progress for ${stallMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
