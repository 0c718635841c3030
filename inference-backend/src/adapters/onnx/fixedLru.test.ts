import { FixedLru } from './fixedLru';

/** The reference: a Map in recency order (first = least recently used). */
class MapLru {
  readonly map = new Map<string, number>();
  constructor(private readonly capacity: number) {}
  has(key: string): boolean {
    return this.map.has(key);
  }
  use(key: string): void {
    const value = this.map.get(key) as number;
    this.map.delete(key);
    this.map.set(key, value);
  }
  add(key: string, value: number): void {
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('FixedLru', () => {
  it('When keys come and go at random, then it holds exactly the most recently used ones, as a Map in recency order does', () => {
    const next = random(7);
    // Few distinct keys of every length around a chunk's, many repeats: hits, misses and evictions.
    const universe = Array.from({ length: 300 }, (_, i) => `k${i}:${'x\u00e9<'.repeat(Math.floor(next() * 40))}`);
    universe.push('');
    const capacity = 50;
    const table = new FixedLru(capacity, 200);
    const reference = new MapLru(capacity);
    const values = new Int32Array(capacity);
    let hits = 0;
    for (let step = 0; step < 10_000; step++) {
      const key = universe[Math.floor(next() ** 2 * universe.length)];
      const e = table.find(key);
      if ((e >= 0) !== reference.has(key)) expect({ step, key, found: e >= 0 }).toEqual({ step, key, found: reference.has(key) });
      if (e >= 0) {
        hits++;
        expect(values[e]).toBe(reference.map.get(key));
        table.use(e);
        reference.use(key);
      } else {
        const added = table.add(key);
        expect(added).toBeGreaterThanOrEqual(0);
        expect(added).toBeLessThan(capacity);
        values[added] = step;
        reference.add(key, step);
      }
      expect(table.size).toBe(reference.map.size);
      if (step % 100 === 0) expect(table.keyChars).toBe([...reference.map.keys()].reduce((n, k) => n + k.length, 0));
    }
    expect(hits).toBeGreaterThan(2_500);
    expect(table.evictions).toBeGreaterThan(500);
    for (const key of universe) expect(table.find(key) >= 0).toBe(reference.has(key));
  });

  it('When the table is full, then the least recently used key goes first', () => {
    const table = new FixedLru(3);
    for (const key of ['a', 'b', 'c']) table.add(key);
    table.use(table.find('a'));
    table.add('d');
    expect(['a', 'b', 'c', 'd'].map((k) => table.find(k) >= 0)).toEqual([true, false, true, true]);
    expect(table.size).toBe(3);
    expect(table.evictions).toBe(1);
  });

  it('When keys are longer than the characters set aside for them, then older ones go to make room and the bound holds', () => {
    // 4 entries × 32 code units: one chunk each.
    const table = new FixedLru(4, 32);
    const long = (c: string) => c.repeat(64);
    table.add('a');
    table.add('b');
    table.add(long('c'));
    expect(table.size).toBe(3);
    // 'd' needs two chunks and one is free: the oldest two entries go.
    table.add(long('d'));
    expect(['a', 'b', long('c'), long('d')].map((k) => table.find(k) >= 0)).toEqual([false, false, true, true]);
    expect(table.add('e'.repeat(32 * 4 + 1))).toBe(-1);
    expect(table.find(long('d'))).toBeGreaterThanOrEqual(0);
  });

  it('When keys share a hash slot or differ in one character, then each finds its own entry', () => {
    // 2 slots of table per entry: 64 keys over 128 slots collide often.
    const table = new FixedLru(64);
    const keys = Array.from({ length: 64 }, (_, i) => `line ${'a'.repeat(i % 40)}${String.fromCharCode(65 + (i % 26))}${i}`);
    const entries = keys.map((k) => table.add(k));
    expect(new Set(entries).size).toBe(64);
    keys.forEach((k, i) => expect(table.find(k)).toBe(entries[i]));
    expect(table.find(`${keys[0]}!`)).toBe(-1);
    expect(table.find(keys[0].slice(0, -1))).toBe(-1);
  });

  it('When asked for no room or a negative key size, then it says so', () => {
    expect(() => new FixedLru(0)).toThrow('a cache holds 1 entry or more, got 0');
    expect(() => new FixedLru(4, 0)).toThrow("a cache's characters per entry must be positive, got 0");
  });
});
