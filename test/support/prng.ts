/** Deterministic randomness for balancer tests. */

/** mulberry32: a tiny seeded PRNG with uniform output in [0, 1). Same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A scripted source returning `values` in order, then cycling: for asserting exact draws. */
export function sequence(...values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length]!
}
