/** Index of the first differing element, -1 when equal (typed-array deep equality is slow in expect). */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Deterministic pseudo-random bytes (a linear congruential generator), masked with `mask`. */
export function noise(n: number, seed: number, mask = 255): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 24) & mask;
  }
  return out;
}
