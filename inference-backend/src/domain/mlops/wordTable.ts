import { AS_IS_CLASS, AsIs, MAX_MASKED_TOKEN_CHARS } from '../logs/masking';

/**
 * The words of a masked, lower-cased text exactly as the featurizer's `words()` finds them with
 * `/<[a-z*]+>|[\p{L}\p{N}_]+/gu` (a `<placeholder>`, or a run of Unicode letters, digits and `_`;
 * one code unit alone is dropped), found by scanning char codes and looked up by a hash of them.
 * Serving met each word as a fresh substring of a regex match array, hashed again by a Map: half
 * of featurizing (issue 9: predict throughput). Here a word already in the table costs no
 * allocation at all.
 */

const LESS_THAN = 60;
const GREATER_THAN = 62;
const ASTERISK = 42;
const LOWER_A = 97;
const LOWER_Z = 122;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const WORD_CHAR_RE = /^[\p{L}\p{N}_]$/u;
/** ASCII letters, digits and `_`. */
const ASCII_WORD = Uint8Array.from({ length: 128 }, (_, c) => (WORD_CHAR_RE.test(String.fromCharCode(c)) ? 1 : 0));
/** The lower-case code of each ASCII word character that may stand in a text masking leaves as it is; 0 for any other. */
const AS_IS_WORD = Uint8Array.from({ length: 128 }, (_, c) =>
  ASCII_WORD[c] === 1 && AS_IS_CLASS[c] === AsIs.Token ? lowerAscii(c) : 0
);
/** Whether each BMP code unit is a word character: 0 not yet asked, 1 yes, 2 no (asked of the regex on first sight). */
const bmpWordClass = new Uint8Array(0x10000);

function isBmpWordChar(code: number): boolean {
  let known = bmpWordClass[code];
  if (known === 0) {
    // A lone surrogate is a code point of its own under the `u` flag, and no letter.
    known = WORD_CHAR_RE.test(String.fromCharCode(code)) ? 1 : 2;
    bmpWordClass[code] = known;
  }
  return known === 1;
}

/** Code units taken by the word character at `i` (2 for a letter outside the BMP); 0 when it is none. */
function wordCharWidth(s: string, i: number): number {
  const code = s.charCodeAt(i);
  if (code < 128) return ASCII_WORD[code];
  if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
    const low = s.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) {
      return WORD_CHAR_RE.test(String.fromCharCode(code, low)) ? 2 : 0;
    }
  }
  return isBmpWordChar(code) ? 1 : 0;
}

/** The code of an ASCII upper-case letter's lower case; any other code as it is. */
function lowerAscii(code: number): number {
  return code >= 65 && code <= 90 ? code | 32 : code;
}

function hashOf(s: string, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * Entries by word: permanent ones (the model's vocabulary words) and, up to `cacheSize`, words
 * met while serving; when that many are cached, they are all forgotten (memory stays bounded).
 * With `secondSighting`, a word is cached only when it is met again (a doorkeeper: see
 * Doorkeeper); at its first sighting `create` makes a transient entry for that occurrence alone,
 * which the table does not keep. Most words outside a model's vocabulary are met once (ids and
 * random tokens that masking leaves: 96% of them in simulated syslog), and caching them made
 * the heap grow for as long as the service ran until the cache was full (issue 13: soak RSS).
 * Open addressing with linear probing over one typed array, a slot being four numbers: the
 * entry's number + 1 (0: empty), the word's hash, and where its characters are in a pool of
 * them and how many. A lookup compares a word with its characters there, next to each other,
 * instead of reading the hash from an array of its own, then the entry, then its string: a
 * cache miss each for most words of a batch (issue 9: predict throughput).
 */
export class WordTable<T extends { readonly text: string }> {
  private slots = new Int32Array(SLOT_FIELDS * 1024);
  private chars = new Uint16Array(4096);
  private charsUsed = 0;
  private readonly entries: T[] = [];
  private permanent = 0;
  private permanentChars = 0;

  private readonly doorkeeper: Doorkeeper | undefined;

  /**
   * `create` makes the entry of a word, `transient` when it is for one occurrence only (the
   * table forgets it at once). `forgetting` is told every entry, permanent and cached, each time
   * the cached ones are about to be forgotten (what hangs off them may go too).
   */
  constructor(
    private readonly create: (word: string, transient: boolean) => T,
    private readonly cacheSize: number,
    private readonly forgetting?: (entries: readonly T[]) => void,
    options: { secondSighting?: boolean } = {}
  ) {
    this.doorkeeper = options.secondSighting ? new Doorkeeper() : undefined;
  }

  /** How many words are cached now (the permanent ones aside). */
  get cachedCount(): number {
    return this.entries.length - this.permanent;
  }

  /** Adds an entry that is never forgotten; only before the first scan. */
  addPermanent(entry: T): void {
    this.insert(entry, hashOf(entry.text, 0, entry.text.length));
    this.permanent = this.entries.length;
    this.permanentChars = this.charsUsed;
  }

  /** The entries of the words of `s` (masked and lower-cased already), in order, into `out` (its length set). */
  scan(s: string, out: T[]): void {
    const length = s.length;
    let n = 0;
    let i = 0;
    while (i < length) {
      const code = s.charCodeAt(i);
      if (code === LESS_THAN) {
        let j = i + 1;
        for (let c = s.charCodeAt(j); j < length && ((c >= LOWER_A && c <= LOWER_Z) || c === ASTERISK);) {
          c = s.charCodeAt(++j);
        }
        if (j > i + 1 && j < length && s.charCodeAt(j) === GREATER_THAN) {
          out[n++] = this.entryOf(s, i, j + 1, hashOf(s, i, j + 1), false);
          i = j + 1;
        } else {
          i++;
        }
        continue;
      }
      const start = i;
      let h = FNV_OFFSET;
      for (let width = wordCharWidth(s, i); width > 0 && i < length; width = i < length ? wordCharWidth(s, i) : 0) {
        h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
        if (width === 2) h = Math.imul(h ^ s.charCodeAt(i + 1), FNV_PRIME);
        i += width;
      }
      if (i === start) i++;
      else if (i - start > 1) out[n++] = this.entryOf(s, start, i, h, false);
    }
    out.length = n;
  }

  /**
   * scan of the lower-cased `text` when masking leaves it as it is (isMaskedAsIs), checked in
   * the same pass: true and `out` filled when it holds; false (and `out` to be ignored) when it
   * does not, and the caller scans the masked text instead. Upper-case letters are folded as
   * they are read, so neither the lower-cased copy nor a pass of its own for the check is made
   * (issue 9: predict throughput).
   */
  scanIfMaskedAsIs(text: string, out: T[]): boolean {
    const length = text.length;
    let n = 0;
    let i = 0;
    let tokenChars = 0;
    while (i < length) {
      const code = text.charCodeAt(i);
      const kind = code < 128 ? AS_IS_CLASS[code] : AsIs.Breaks;
      if (kind === AsIs.Breaks) return false;
      if (kind === AsIs.Space) {
        tokenChars = 0;
        i++;
        continue;
      }
      if (++tokenChars > MAX_MASKED_TOKEN_CHARS) return false;
      let folded = AS_IS_WORD[code];
      if (folded === 0) {
        i++;
        continue;
      }
      // A run of word characters: letters and `_` (a digit would have broken the test).
      const start = i;
      let h = FNV_OFFSET;
      for (;;) {
        h = Math.imul(h ^ folded, FNV_PRIME);
        if (++i === length) break;
        const next = text.charCodeAt(i);
        folded = next < 128 ? AS_IS_WORD[next] : 0;
        if (folded === 0) break;
        if (++tokenChars > MAX_MASKED_TOKEN_CHARS) return false;
      }
      if (i - start > 1) out[n++] = this.entryOf(text, start, i, h, true);
    }
    out.length = n;
    return true;
  }

  private entryOf(s: string, from: number, to: number, h: number, fold: boolean): T {
    const { slots, chars } = this;
    const mask = slots.length / SLOT_FIELDS - 1;
    const size = to - from;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const at = slot * SLOT_FIELDS;
      const number = slots[at];
      if (number === 0) break;
      if (slots[at + 1] !== h || slots[at + 3] !== size) continue;
      const start = slots[at + 2];
      let k = 0;
      if (fold) while (k < size && chars[start + k] === lowerAscii(s.charCodeAt(from + k))) k++;
      else while (k < size && chars[start + k] === s.charCodeAt(from + k)) k++;
      if (k === size) return this.entries[number - 1];
    }
    const word = fold ? s.slice(from, to).toLowerCase() : s.slice(from, to);
    if (this.doorkeeper !== undefined && !this.doorkeeper.metBefore(h)) return this.create(word, true);
    if (this.entries.length - this.permanent >= this.cacheSize) this.forgetCached();
    const entry = this.create(word, false);
    this.insert(entry, h);
    return entry;
  }

  private insert(entry: T, h: number): void {
    this.entries.push(entry);
    if (this.entries.length * 2 > this.slots.length / SLOT_FIELDS) this.rebuild(this.slots.length * 2);
    else this.place(this.entries.length, h, this.pool(entry.text));
  }

  /** Copies `text` into the pool of characters; where it starts there. */
  private pool(text: string): number {
    const start = this.charsUsed;
    if (start + text.length > this.chars.length) {
      const grown = new Uint16Array(Math.max(start + text.length, this.chars.length * 2));
      grown.set(this.chars.subarray(0, start));
      this.chars = grown;
    }
    for (let k = 0; k < text.length; k++) this.chars[start + k] = text.charCodeAt(k);
    this.charsUsed = start + text.length;
    return start;
  }

  private place(number: number, h: number, start: number): void {
    const slots = this.slots;
    const mask = slots.length / SLOT_FIELDS - 1;
    let slot = h & mask;
    while (slots[slot * SLOT_FIELDS] !== 0) slot = (slot + 1) & mask;
    const at = slot * SLOT_FIELDS;
    slots[at] = number;
    slots[at + 1] = h;
    slots[at + 2] = start;
    slots[at + 3] = this.entries[number - 1].text.length;
  }

  /** The table again, `length` numbers long, with the characters of the entries kept, in their order. */
  private rebuild(length: number): void {
    this.slots = new Int32Array(length);
    this.charsUsed = 0;
    this.entries.forEach((entry, e) =>
      this.place(e + 1, hashOf(entry.text, 0, entry.text.length), this.pool(entry.text))
    );
  }

  private forgetCached(): void {
    this.forgetting?.(this.entries);
    this.entries.length = this.permanent;
    // The permanent entries' characters come first in the pool: the cached ones' are dropped.
    this.charsUsed = this.permanentChars;
    this.slots.fill(0);
    let start = 0;
    this.entries.forEach((entry, e) => {
      this.place(e + 1, hashOf(entry.text, 0, entry.text.length), start);
      start += entry.text.length;
    });
  }
}

/** Numbers per slot of a WordTable: entry number + 1, hash, start of the word in the pool, its length. */
const SLOT_FIELDS = 4;

/** Bits of a Doorkeeper's filter (128 KB), and after how many words it is emptied. */
const DOORKEEPER_BITS_LOG2 = 20;
const DOORKEEPER_RESET_AFTER = 1 << 16;

/**
 * Which words were met before, by their hash: a Bloom filter of 2^20 bits with two probes,
 * allocated once and emptied after 65,536 words (then at most about 1.4% of the words it was
 * never told are taken for met: they are cached a sighting early, which changes no output). A
 * word met just before it is emptied is cached at its third sighting. TinyLFU's doorkeeper.
 */
class Doorkeeper {
  private readonly bits = new Int32Array(1 << (DOORKEEPER_BITS_LOG2 - 5));
  private remembered = 0;

  /** Whether the word of hash `h` was met before; it is remembered as met from now on. */
  metBefore(h: number): boolean {
    const shift = 32 - DOORKEEPER_BITS_LOG2;
    const a = Math.imul(h, 0x9e3779b1) >>> shift;
    const b = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> shift;
    const bits = this.bits;
    const aMask = 1 << (a & 31);
    const bMask = 1 << (b & 31);
    if ((bits[a >>> 5] & aMask) !== 0 && (bits[b >>> 5] & bMask) !== 0) return true;
    bits[a >>> 5] |= aMask;
    bits[b >>> 5] |= bMask;
    if (++this.remembered >= DOORKEEPER_RESET_AFTER) {
      bits.fill(0);
      this.remembered = 0;
    }
    return false;
  }
}
