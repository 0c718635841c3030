/**
 * Seeded randomness for the simulator. Never Math.random: the same seed must give the same data.
 *
 * Streams are counter-based: `rngFor(seed, device, hour, ...)` derives an independent generator
 * from a key, so what a device logs in a given hour does not depend on how the simulated period
 * is cut into slices (backfill by the hour, live by the second).
 */

// Bound once: jest's sandboxed global makes every `Math.x` lookup in a hot loop several times slower.
const { PI, cos, exp, floor, imul, log, max, round, sqrt } = Math;

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: a cheap bijective mix with good avalanche. */
export function mix32(value: number): number {
  let x = value >>> 0;
  x = imul(x ^ (x >>> 16), 0x85ebca6b);
  x = imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hash of a key of integers (each up to 2^53, e.g. a microsecond timestamp). */
export function hashKey(parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const lo = part >>> 0;
    const hi = floor(part / TWO_POW_32) >>> 0;
    h = mix32(h ^ lo) + 0x7f4a7c15;
    h = mix32(h ^ hi) + 0x165667b1;
  }
  return mix32(h);
}

/** FNV-1a, to turn names (hosts, incident ids) into key parts. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, and good enough for synthetic telemetry. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  reseed(seed: number): this {
    this.state = seed >>> 0;
    return this;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  }

  /** A fresh 32-bit seed for a sub-stream. */
  nextSeed(): number {
    return floor(this.next() * TWO_POW_32) >>> 0;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  /** Float in [min, max). */
  range(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[floor(this.next() * items.length)];
  }

  /** Picks by relative weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1][0];
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
  }

  exponential(mean: number): number {
    return -log(1 - this.next()) * mean;
  }

  /** Lognormal with the given median; sigma is the spread of the underlying normal. */
  logNormal(median: number, sigma: number): number {
    return median * exp(sigma * this.normal());
  }

  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return max(0, round(mean + sqrt(mean) * this.normal()));
    const limit = exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = floor(this.next() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

export function rngFor(seed: number, ...key: number[]): Rng {
  return new Rng(hashKey([seed, ...key]));
}

/** Stream tags so that two uses of the same key parts never share a stream. */
export const STREAM = {
  inventory: 1,
  profile: 2,
  background: 3,
  incidents: 4,
  plan: 5,
  metrics: 6,
  tickets: 7,
  injected: 8,
  demo: 9,
  maintenance: 10,
  plcCooling: 11,
} as const;
