import { setFlagsFromString } from 'node:v8';

/**
 * How far above what survived its last full collection V8 lets the heap grow before the next one
 * (0: V8's own policy, the default). V8's own factor rises towards 4× when it sees a high
 * allocation rate, which the pipeline has: in the 5-minute soak of `npm run bench:speed` its heap
 * grew from about 100 to 200 MB over a live heap of 30 to 56 MB, and RSS with it (issue 13). 50 %
 * kept it at 77 to 116 MB (RSS 243 MB at the end instead of 341) for a third more CPU per line, so
 * it is left to deployments short of memory rather than set for everyone.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 0;

/** Applies the growth bound to this process (V8 reads it at every full collection). */
export function setHeapGrowthPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new RangeError(`the heap growth must be a whole number of percent ≥ 0, got ${percent}`);
  }
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
