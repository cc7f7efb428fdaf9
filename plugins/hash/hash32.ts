/**
 * A fast, non-cryptographic 32-bit string hash: FNV-1a over the UTF-16 code units, then
 * MurmurHash3's `fmix32` finalizer so that near-identical inputs (`web-1#0`, `web-1#1`) land far
 * apart on the ring. Not for anything an attacker must not predict.
 *
 * @example
 * ```ts
 * hash32('10.0.0.7') // => an unsigned 32-bit integer, the same on every runtime
 * ```
 */
export function hash32(input: string): number {
  let h = 0x811c9dc5 // FNV offset basis
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i)
    h = Math.imul(h, 0x01000193) // FNV prime
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
