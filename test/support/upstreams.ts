/** Fake balancer inputs: upstream states with mutable load, and request contexts. */
import type { BalanceContext, UpstreamState } from '../../core/types.ts'

/** An UpstreamState whose load and weight a test may set. */
export interface FakeUpstream extends UpstreamState {
  inflight: number
  weight: number
}

export function upstream(
  id: string,
  { weight = 1, inflight = 0, labels = {} }: { weight?: number; inflight?: number; labels?: Record<string, string> } = {},
): FakeUpstream {
  return { id, url: new URL(`http://${id}.test:8000`), weight, labels, available: true, inflight }
}

/** `upstreams('a', 'b', 'c')` → three fresh upstreams of weight 1 and no load. */
export function upstreams(...ids: string[]): FakeUpstream[] {
  return ids.map((id) => upstream(id))
}

/** `upstreamsWithWeights({ a: 5, b: 1 })` */
export function upstreamsWithWeights(weights: Record<string, number>): FakeUpstream[] {
  return Object.entries(weights).map(([id, weight]) => upstream(id, { weight }))
}

/** A request context with the given client address, headers and cookies. */
export function context({
  clientIp = '',
  headers = {},
  cookies = {},
}: { clientIp?: string; headers?: Record<string, string>; cookies?: Record<string, string> } = {}): BalanceContext {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    clientIp,
    header: (name) => lower[name.toLowerCase()],
    cookie: (name) => cookies[name],
  }
}

/** The n-th of many distinct requests: a distinct client IP, `x-key` header and `k` cookie. */
export function keyedContext(n: number): BalanceContext {
  const key = `key-${n}`
  return context({ clientIp: `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, headers: { 'x-key': key }, cookies: { k: key } })
}

/** Counts picks per upstream id. */
export function tally(picks: Iterable<UpstreamState | undefined>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const p of picks) {
    const id = p?.id ?? '(none)'
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}
