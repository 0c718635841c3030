import { useEffect, useState } from 'react';

/**
 * Current time in epoch milliseconds, refreshed every `intervalMs`, so that ages keep moving between
 * dashboard refreshes (and render stays pure: the clock is read in effects, not while rendering).
 */
export function useNow(intervalMs: number): number {
  const [nowMs, setNowMs] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return nowMs;
}
