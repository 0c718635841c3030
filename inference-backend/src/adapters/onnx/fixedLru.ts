/**
 * Code units of a key per chunk of the character pool: a key takes ⌈length / CHUNK_CHARS⌉ chunks,
 * chained. Syslog feature keys run to 100–200 code units; 32 wastes at most 62 bytes a key.
 */
const CHUNK_CHARS = 32;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashOf(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h | 0;
}

/**
 * The `capacity` most recently used string keys, each numbered by an entry in [0, capacity) that
 * the caller indexes its own typed arrays of values with. Every array is allocated, and written
 * once, at full capacity when the table is made: filling the table allocates nothing, neither on
 * V8's heap nor in native memory, so a long-running service's memory does not grow with it
 * (issue 13: RSS flat over a soak). Keys' characters live in a pool of `CHUNK_CHARS`-code-unit
 * chunks (`charsPerEntry` a key on average); open addressing with linear probing finds them, and
 * a doubly linked list orders entries from least to most recently used. The least recently used
 * entry goes when a new key finds the table full, or finds too few free chunks for its
 * characters (a second bound, reached only when keys are longer than `charsPerEntry` on average).
 */
export class FixedLru {
  readonly capacity: number;
  /** Entry + 1 per slot; 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly lengths: Int32Array;
  private readonly firstChunk: Int32Array;
  /** Per entry, the next older and newer entry (-1 at the ends); `newer` links free entries. */
  private readonly older: Int32Array;
  private readonly newer: Int32Array;
  private readonly chunkNext: Int32Array;
  private readonly chars: Uint16Array;
  private oldest = -1;
  private newest = -1;
  private freeEntry: number;
  private freeChunk: number;
  private freeChunks: number;
  private count = 0;
  private keyCodeUnits = 0;
  /** Entries dropped to make room since the table was made. */
  evictions = 0;

  constructor(capacity: number, charsPerEntry = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a cache holds 1 entry or more, got ${capacity}`);
    if (!(charsPerEntry > 0)) throw new RangeError(`a cache's characters per entry must be positive, got ${charsPerEntry}`);
    this.capacity = capacity;
    let size = 2;
    while (size < 2 * capacity) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.hashes = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.firstChunk = new Int32Array(capacity);
    this.older = new Int32Array(capacity);
    this.newer = new Int32Array(capacity);
    const chunks = Math.max(1, Math.ceil((capacity * charsPerEntry) / CHUNK_CHARS));
    this.chunkNext = new Int32Array(chunks);
    this.chars = new Uint16Array(chunks * CHUNK_CHARS);
    // Every page written now: large typed arrays come zeroed from the system, untouched, and would
    // otherwise enter the resident set one page at a time as the cache fills.
    for (const array of [this.slots, this.hashes, this.lengths, this.firstChunk, this.older, this.chars]) array.fill(0);
    for (let e = 0; e < capacity; e++) this.newer[e] = e + 1 < capacity ? e + 1 : -1;
    for (let c = 0; c < chunks; c++) this.chunkNext[c] = c + 1 < chunks ? c + 1 : -1;
    this.freeEntry = 0;
    this.freeChunk = 0;
    this.freeChunks = chunks;
  }

  get size(): number {
    return this.count;
  }

  /** Code units of the keys held (their chunks hold up to CHUNK_CHARS − 1 more each). */
  get keyChars(): number {
    return this.keyCodeUnits;
  }

  /** The entry holding `key`, or -1; its recency is unchanged. */
  find(key: string): number {
    const h = hashOf(key);
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s] - 1;
      if (e < 0) return -1;
      if (this.hashes[e] === h && this.holds(e, key)) return e;
    }
  }

  /** Makes `entry` the most recently used. */
  use(entry: number): void {
    if (entry === this.newest) return;
    this.unlink(entry);
    this.linkNewest(entry);
  }

  /**
   * Stores `key`, which the table must not hold, as the most recently used entry, dropping the
   * least recently used ones as needed; -1 (nothing stored) for a key longer than the whole pool.
   */
  add(key: string): number {
    const needed = Math.ceil(key.length / CHUNK_CHARS);
    if (needed > this.chunkNext.length) return -1;
    while (this.count === this.capacity || this.freeChunks < needed) this.evict(this.oldest);
    const e = this.freeEntry;
    this.freeEntry = this.newer[e];
    const h = hashOf(key);
    this.hashes[e] = h;
    this.lengths[e] = key.length;
    let previous = -1;
    for (let from = 0; from < key.length; from += CHUNK_CHARS) {
      const c = this.freeChunk;
      this.freeChunk = this.chunkNext[c];
      this.freeChunks--;
      if (previous < 0) this.firstChunk[e] = c;
      else this.chunkNext[previous] = c;
      const base = c * CHUNK_CHARS;
      const to = Math.min(key.length, from + CHUNK_CHARS);
      for (let i = from; i < to; i++) this.chars[base + i - from] = key.charCodeAt(i);
      previous = c;
    }
    if (previous < 0) this.firstChunk[e] = -1;
    else this.chunkNext[previous] = -1;
    let s = h & this.mask;
    while (this.slots[s] !== 0) s = (s + 1) & this.mask;
    this.slots[s] = e + 1;
    this.linkNewest(e);
    this.count++;
    this.keyCodeUnits += key.length;
    return e;
  }

  private holds(e: number, key: string): boolean {
    if (this.lengths[e] !== key.length) return false;
    let c = this.firstChunk[e];
    for (let from = 0; from < key.length; from += CHUNK_CHARS, c = this.chunkNext[c]) {
      const base = c * CHUNK_CHARS;
      const to = Math.min(key.length, from + CHUNK_CHARS);
      for (let i = from; i < to; i++) if (this.chars[base + i - from] !== key.charCodeAt(i)) return false;
    }
    return true;
  }

  private evict(e: number): void {
    // Backward-shift deletion: the slots after e's that probed past it move up, no tombstones.
    let hole = this.hashes[e] & this.mask;
    while (this.slots[hole] !== e + 1) hole = (hole + 1) & this.mask;
    for (let s = (hole + 1) & this.mask; this.slots[s] !== 0; s = (s + 1) & this.mask) {
      const home = this.hashes[this.slots[s] - 1] & this.mask;
      const stays = hole <= s ? hole < home && home <= s : hole < home || home <= s;
      if (!stays) {
        this.slots[hole] = this.slots[s];
        hole = s;
      }
    }
    this.slots[hole] = 0;
    for (let c = this.firstChunk[e]; c >= 0;) {
      const next = this.chunkNext[c];
      this.chunkNext[c] = this.freeChunk;
      this.freeChunk = c;
      this.freeChunks++;
      c = next;
    }
    this.unlink(e);
    this.newer[e] = this.freeEntry;
    this.freeEntry = e;
    this.count--;
    this.keyCodeUnits -= this.lengths[e];
    this.evictions++;
  }

  private unlink(e: number): void {
    const older = this.older[e];
    const newer = this.newer[e];
    if (older >= 0) this.newer[older] = newer;
    else this.oldest = newer;
    if (newer >= 0) this.older[newer] = older;
    else this.newest = older;
  }

  private linkNewest(e: number): void {
    this.older[e] = this.newest;
    this.newer[e] = -1;
    if (this.newest >= 0) this.newer[this.newest] = e;
    else this.oldest = e;
    this.newest = e;
  }
}
