/**
 * Buckets in this process' memory: exact and free, but per gateway (N gateways let N× through).
 * Bounded: at most `maxKeys` buckets, the least recently used dropped first (a dropped bucket
 * comes back full, which errs on letting a rare client through, never on refusing one).
 */
import { takeToken, type BucketLimit, type BucketState, type TakeResult } from './bucket.ts'

export function localStore(maxKeys: number, now: () => number = Date.now): { take(key: string, limit: BucketLimit): TakeResult } {
  const buckets = new Map<string, BucketState>() // insertion order = recency
  return {
    take(key: string, limit: BucketLimit): TakeResult {
      const previous = buckets.get(key)
      const { state, allowed } = takeToken(previous, now(), limit)
      if (previous) buckets.delete(key)
      buckets.set(key, state)
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!)
      return { allowed, tokens: state.tokens }
    },
  }
}
