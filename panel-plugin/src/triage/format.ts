const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Compact duration for a dense table (ages, MTTR): `45s`, `12m`, `3h 05m`, `2d 4h`. Two units at most,
 * because the precision that matters shrinks as durations grow. Negative durations (clock skew) read as `0s`.
 */
export function formatDuration(durationMs: number): string {
  const duration = Math.max(0, durationMs);
  if (duration < MINUTE_MS) {
    return `${Math.floor(duration / 1000)}s`;
  }
  if (duration < HOUR_MS) {
    return `${Math.floor(duration / MINUTE_MS)}m`;
  }
  if (duration < DAY_MS) {
    const minutes = Math.floor((duration % HOUR_MS) / MINUTE_MS);
    return `${Math.floor(duration / HOUR_MS)}h ${String(minutes).padStart(2, '0')}m`;
  }
  return `${Math.floor(duration / DAY_MS)}d ${Math.floor((duration % DAY_MS) / HOUR_MS)}h`;
}
