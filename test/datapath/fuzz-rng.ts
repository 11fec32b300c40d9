/**
 * The fuzz suite's seeded randomness: mulberry32 (small, fast, reproducible) with the few
 * helpers the generators use. One seed gives the same Service table and the same frames.
 */

/** Rng draws reproducible numbers from one seed. */
export interface Rng {
  /** next returns a float in [0, 1). */
  next(): number;
  /** int returns an integer in [0, n). */
  int(n: number): number;
  /** pick returns one element of a non-empty list. */
  pick<T>(xs: readonly T[]): T;
  /** chance is true with probability p. */
  chance(p: number): boolean;
}

/** makeRng returns the generator for `seed`. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new Error("pick: empty list");
      return xs[int(xs.length)]!;
    },
    chance: (p) => next() < p,
  };
}
