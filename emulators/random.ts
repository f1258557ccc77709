// Deterministic randomness for the emulators. Everything synthetic (catalogue titles, ids,
// native keys) must come out identical on every machine for the same inputs, so nothing here
// reads the clock or Math.random.
import { createHash } from 'node:crypto';

/** 32-bit FNV-1a hash of a string: cheap, stable, good enough to seed a PRNG. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Lowercase hex SHA-1 of the text, cut to `length` characters (max 40). */
export function hexDigest(text: string, length = 40): string {
  return createHash('sha1').update(text).digest('hex').slice(0, length);
}

/** A small seeded PRNG (mulberry32) with the helpers the generators need. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Seed from any mix of strings and numbers, e.g. `Rng.from(seed, 'movie', 3)`. */
  static from(...parts: Array<string | number>): Rng {
    return new Rng(hash32(parts.join('\u001f')));
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(list: readonly T[]): T {
    const value = list[Math.floor(this.next() * list.length)];
    if (value === undefined) throw new Error('Rng.pick on an empty list');
    return value;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(list: T[]): T[] {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = list[i] as T;
      list[i] = list[j] as T;
      list[j] = tmp;
    }
    return list;
  }
}

/** Murmur3's 32-bit finalizer: a fast integer mixer. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A pseudo-random bijection from 0..size-1 onto lo..lo+size-1, so ids drawn by index are unique
 * by construction yet look scattered. A 4-round Feistel network permutes the enclosing
 * power-of-two domain; values outside the range are walked through the permutation again.
 */
export function scatteredRange(lo: number, size: number, rng: Rng): (index: number) => number {
  let bits = 2;
  while (2 ** bits < size) bits += 2;
  const half = bits / 2;
  const mask = 2 ** half - 1;
  const roundKeys = [0, 1, 2, 3].map(() => rng.int(0, 0x7fffffff));
  const permute = (value: number): number => {
    let left = Math.floor(value / 2 ** half);
    let right = value & mask;
    for (const key of roundKeys) {
      [left, right] = [right, (left ^ mix32(right ^ key)) & mask];
    }
    return left * 2 ** half + right;
  };
  return (index: number) => {
    if (index < 0 || index >= size) throw new RangeError(`index ${index} outside 0..${size - 1}`);
    let value = permute(index);
    while (value >= size) value = permute(value);
    return lo + value;
  };
}
