/**
 * The last `capacity` numbers of a stream, in fixed-size typed arrays (no per-number object, no
 * growth past the capacity), in two kinds:
 *
 * - a RingWindow keeps them in push order in a Float32Array ring (4 bytes a number): lags
 *   (`laggedValue`) and scans;
 * - a SortedWindow keeps them in ascending order in a Float32Array, each with its push number
 *   (mod 2^16) in a Uint16Array beside it (6 bytes a number): order statistics (median, MAD, ranks,
 *   the top of the distribution) by binary search, and the oldest found by its push number when it
 *   leaves. A ring plus a sorted copy would take 8.
 *
 * Float32: a number is stored rounded to single precision (relative error 6·10^-8). Callers that
 * compare a new number with stored ones round it the same way first (`Math.fround`), so that equal
 * numbers stay equal (ties decide ranks). Both kinds persist as base64 of their Float32 bytes in
 * push order (`encodeWindow`, `encodeSorted`); the push numbers are rebuilt on load.
 */
export interface RingWindow {
  /** The ring; oldest first until full, then the next write goes to `head`. Only `length` are in use. */
  values: Float32Array;
  length: number;
  head: number;
}

export interface SortedWindow {
  /** Ascending; only `length` are in use. */
  values: Float32Array;
  /** ages[i]: the push number (mod 2^16) of values[i]. */
  ages: Uint16Array;
  length: number;
  /** Pushes so far, mod 2^16. */
  pushes: number;
}

/** What a window persists as: its values in push order (from `head` on, for a full ring) as base64 Float32. */
export interface EncodedWindow {
  values: string;
  head: number;
}

/** Push numbers wrap at 2^16: a SortedWindow holds at most this many values. */
const MAX_SORTED_CAPACITY = 0xffff;
const AGE_MASK = 0xffff;

export function createWindow(): RingWindow {
  return { values: new Float32Array(0), length: 0, head: 0 };
}

export function createSortedWindow(): SortedWindow {
  return { values: new Float32Array(0), ages: new Uint16Array(0), length: 0, pushes: 0 };
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

/** The values in use, in ring order (not oldest first once full); a view, do not modify. */
export function windowValues(window: RingWindow): Float32Array {
  return window.values.subarray(0, window.length);
}

/** The window's values in ascending order (a view; do not modify). */
export function sortedValues(window: SortedWindow): Float32Array {
  return window.values.subarray(0, window.length);
}

/** The ring's values oldest first (a copy). */
function oldestFirst(window: RingWindow): Float32Array {
  const n = window.values.length;
  const start = window.length < n ? 0 : window.head;
  const out = new Float32Array(window.length);
  for (let i = 0; i < window.length; i++) out[i] = window.values[(start + i) % n];
  return out;
}

/**
 * Makes room for `capacity` values, keeping the newest: a restored ring is stored at its length,
 * and a capacity that changed keeps what fits. Allocates once per window in steady operation.
 */
function ensureRingCapacity(window: RingWindow, capacity: number): void {
  if (window.values.length === capacity) return;
  const kept = oldestFirst(window).subarray(Math.max(0, window.length - capacity));
  window.values = new Float32Array(capacity);
  window.values.set(kept);
  window.length = kept.length;
  window.head = kept.length % capacity;
}

/** Appends x (rounded to Float32) to a ring, overwriting the oldest when full. */
export function pushRing(window: RingWindow, capacity: number, x: number): void {
  ensureRingCapacity(window, capacity);
  window.values[window.head] = x;
  window.head = (window.head + 1) % capacity;
  if (window.length < capacity) window.length++;
}

/** The values oldest first (a copy): what a SortedWindow persists. */
function sortedOldestFirst(window: SortedWindow): Float32Array {
  const out = new Float32Array(window.length);
  const first = (window.pushes - window.length) & AGE_MASK;
  for (let i = 0; i < window.length; i++) out[(window.ages[i] - first) & AGE_MASK] = window.values[i];
  return out;
}

/** A SortedWindow of `values` given oldest first, with room for `capacity`. */
function sortedFrom(values: Float32Array, capacity: number): SortedWindow {
  if (capacity > MAX_SORTED_CAPACITY)
    throw new RangeError(`a sorted window holds at most ${MAX_SORTED_CAPACITY} values`);
  const kept = values.subarray(Math.max(0, values.length - capacity));
  const order = Array.from(kept.keys()).sort((i, j) => kept[i] - kept[j]);
  const window: SortedWindow = {
    values: new Float32Array(capacity),
    ages: new Uint16Array(capacity),
    length: kept.length,
    pushes: kept.length & AGE_MASK,
  };
  order.forEach((age, i) => {
    window.values[i] = kept[age];
    window.ages[i] = age;
  });
  return window;
}

/** Appends x (rounded to Float32), the oldest value leaving when full. */
export function pushValue(window: SortedWindow, capacity: number, x: number): void {
  if (window.values.length !== capacity) Object.assign(window, sortedFrom(sortedOldestFirst(window), capacity));
  const { values, ages } = window;
  let n = window.length;
  if (n === capacity) {
    const i = ages.indexOf((window.pushes - capacity) & AGE_MASK);
    values.copyWithin(i, i + 1, n);
    ages.copyWithin(i, i + 1, n);
    n--;
  }
  const stored = Math.fround(x);
  const j = lowerBound(values.subarray(0, n), stored);
  values.copyWithin(j + 1, j, n);
  ages.copyWithin(j + 1, j, n);
  values[j] = stored;
  ages[j] = window.pushes;
  window.length = n + 1;
  window.pushes = (window.pushes + 1) & AGE_MASK;
}

/** The value pushed `lag` pushes ago (1: the latest); `lag` must be at most the window's length. */
export function laggedValue(window: RingWindow, lag: number): number {
  const n = window.values.length;
  return window.values[(((window.head - lag) % n) + n) % n];
}

export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Median absolute deviation from `centre`: the two sides of the sorted array merged outwards, O(n). */
export function madOfSorted(sorted: ArrayLike<number>, centre: number): number {
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
export function countsAround(sorted: ArrayLike<number>, x: number): { atLeast: number; atMost: number } {
  return { atLeast: sorted.length - lowerBound(sorted, x), atMost: upperBound(sorted, x) };
}

/** Bytes the window holds in memory. */
export function windowBytes(window: RingWindow | SortedWindow): number {
  return window.values.byteLength + ('ages' in window ? window.ages.byteLength : 0);
}

function toBase64(values: Float32Array): string {
  // Float32Array is little-endian on every platform Node runs on in production (x64, arm64).
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

export function encodeWindow(window: RingWindow): EncodedWindow {
  return { values: toBase64(windowValues(window)), head: window.head };
}

export function encodeSorted(window: SortedWindow): EncodedWindow {
  return { values: toBase64(sortedOldestFirst(window)), head: 0 };
}

/** Version 1 states (before typed arrays) stored each window as a JSON ring of numbers. */
export type VersionOneWindow = { values: number[]; head: number };

/** The saved values oldest first: a full ring starts at `head`, one still filling at 0. */
function savedOldestFirst(saved: EncodedWindow | VersionOneWindow): Float32Array {
  const ring = typeof saved.values === 'string' ? fromBase64(saved.values) : Float32Array.from(saved.values);
  const start = saved.head < ring.length ? saved.head : 0;
  return Float32Array.from({ length: ring.length }, (_, i) => ring[(start + i) % ring.length]);
}

/** Reads encodeWindow's shape, and version 1's (numbers rounded to Float32 on the way in). */
export function decodeWindow(saved: EncodedWindow | VersionOneWindow): RingWindow {
  const values = savedOldestFirst(saved);
  return { values, length: values.length, head: 0 };
}

/** Reads encodeSorted's shape, and version 1's; the capacity is the one the next push gives. */
export function decodeSorted(saved: EncodedWindow | VersionOneWindow): SortedWindow {
  const values = savedOldestFirst(saved);
  return sortedFrom(values, Math.max(values.length, 1));
}
