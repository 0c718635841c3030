/**
 * The last `capacity` numbers of a stream, as plain JSON-able data (`{ values, head }`), with
 * order statistics (median, MAD, ranks) read from a sorted copy. The sorted copy is a cache
 * kept outside the data (rebuilt in O(n log n) after a JSON round trip), so a persisted
 * detector state holds each number once.
 */
export interface RollingWindow {
  /** Oldest first until full; then a ring whose next write goes to `head`. */
  values: number[];
  head: number;
}

const sortedCache = new WeakMap<number[], number[]>();

export function createWindow(): RollingWindow {
  return { values: [], head: 0 };
}

/** First index whose element is >= x. */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose element is > x. */
function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The window's values in ascending order (do not modify). */
export function sortedValues(window: RollingWindow): readonly number[] {
  let sorted = sortedCache.get(window.values);
  if (!sorted || sorted.length !== window.values.length) {
    sorted = [...window.values].sort((a, b) => a - b);
    sortedCache.set(window.values, sorted);
  }
  return sorted;
}

export function pushValue(window: RollingWindow, capacity: number, x: number): void {
  const sorted = sortedValues(window) as number[];
  if (window.values.length < capacity) {
    window.values.push(x);
    window.head = window.values.length % capacity;
  } else {
    sorted.splice(lowerBound(sorted, window.values[window.head]), 1);
    window.values[window.head] = x;
    window.head = (window.head + 1) % capacity;
  }
  sorted.splice(lowerBound(sorted, x), 0, x);
}

/** The value pushed `lag` pushes ago (1: the latest); `lag` must be at most the window's length. */
export function laggedValue(window: RollingWindow, lag: number): number {
  const n = window.values.length;
  return window.values[(((window.head - lag) % n) + n) % n];
}

export function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Median absolute deviation from `centre`: the two sides of the sorted array merged outwards, O(n). */
export function madOfSorted(sorted: readonly number[], centre: number): number {
  const n = sorted.length;
  let right = lowerBound(sorted, centre);
  let left = right - 1;
  const last = n % 2 ? (n - 1) / 2 : n / 2;
  const first = n % 2 ? last : last - 1;
  let a = 0;
  let b = 0;
  for (let k = 0; k <= last; k++) {
    const dl = left >= 0 ? centre - sorted[left] : Number.POSITIVE_INFINITY;
    const dr = right < n ? sorted[right] - centre : Number.POSITIVE_INFINITY;
    let d: number;
    if (dl <= dr) {
      d = dl;
      left--;
    } else {
      d = dr;
      right++;
    }
    if (k === first) a = d;
    if (k === last) b = d;
  }
  return (a + b) / 2;
}

/** How many values are at least x, and how many at most x. */
export function countsAround(sorted: readonly number[], x: number): { atLeast: number; atMost: number } {
  return { atLeast: sorted.length - lowerBound(sorted, x), atMost: upperBound(sorted, x) };
}

/** Appends to a window used only for `laggedValue` and scans (no order statistics, no sorted copy). */
export function pushRing(window: RollingWindow, capacity: number, x: number): void {
  if (window.values.length < capacity) {
    window.values.push(x);
    window.head = window.values.length % capacity;
  } else {
    window.values[window.head] = x;
    window.head = (window.head + 1) % capacity;
  }
}
