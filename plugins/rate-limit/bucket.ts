/**
 * The token bucket, as pure arithmetic (the Redis store runs the same steps in Lua): a bucket
 * holds up to `capacity` tokens (the burst), refills at `perMs` tokens per millisecond, and each
 * request takes one. Chosen over fixed windows because it has no edge where 2× the limit passes
 * (end of one window + start of the next) and needs only two numbers per key.
 */
export interface BucketLimit {
  /** Most tokens the bucket holds: requests that may pass at once. */
  capacity: number
  /** Refill rate, tokens per millisecond. */
  perMs: number
}

export interface BucketState {
  tokens: number
  /** When `tokens` was computed (ms). */
  at: number
}

export interface TakeResult {
  allowed: boolean
  /** Tokens left after this request (fractional). */
  tokens: number
}

/** A store of buckets: local memory or shared (Redis). May throw/reject when it cannot answer. */
export interface BucketStore {
  take(key: string, limit: BucketLimit): TakeResult | Promise<TakeResult>
}

export function takeToken(state: BucketState | undefined, now: number, limit: BucketLimit): { state: BucketState; allowed: boolean } {
  const elapsed = state ? Math.max(0, now - state.at) : 0
  const tokens = state ? Math.min(limit.capacity, state.tokens + elapsed * limit.perMs) : limit.capacity
  const allowed = tokens >= 1
  return { allowed, state: { tokens: allowed ? tokens - 1 : tokens, at: now } }
}

/** Whole seconds until the next token (for Retry-After), at least 1. */
export const secondsUntilToken = (tokens: number, limit: BucketLimit) => Math.max(1, Math.ceil((1 - tokens) / limit.perMs / 1000))

/** Whole seconds until the bucket is full again (RateLimit-Reset). */
export const secondsUntilFull = (tokens: number, limit: BucketLimit) => Math.max(0, Math.ceil((limit.capacity - tokens) / limit.perMs / 1000))
