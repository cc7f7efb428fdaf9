/**
 * Consistent hashing: requests with the same key (client IP, a header such as a tenant or user
 * id, or a cookie) go to the same upstream, so per-upstream caches stay warm and sessions stay
 * sticky without shared storage. Pick it for cache-heavy or stateful backends. Chosen over
 * `hash % n` because it is a ketama-like ring: each upstream owns `replicas × weight` virtual
 * points (hashed from its stable id), so shares follow weights and adding or removing an
 * upstream moves only the keys that land on its points (about 1/n of them), never keys between
 * two others. The ring is built once per candidate array (the core reuses the array until the
 * pool changes) and a pick is a binary search, O(log(points)). Ring size is the sum of
 * `replicas × weight`; keep weights small (1–10) on large pools. When the request has no key
 * (missing header or cookie), the `fallback` balancer chooses instead.
 *
 * @example
 * ```ts
 * import { hash } from 'gatehouse/plugins/hash'
 * pools: { cache: { discovery: docker({ label: 'gatehouse.pool=cache', port: 8080 }),
 *                   balancer: hash({ on: { header: 'x-tenant-id' }, fallback: 'random' }) } }
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { BalanceContext, Balancer, UpstreamState } from '../../core/types.ts'
import { random } from '../random/index.ts'
import { roundRobin } from '../round-robin/index.ts'
import { hash32 } from './hash32.ts'

const keyError = 'expected "client-ip", { header: "<name>" } or { cookie: "<name>" }'

const schema = z.strictObject({
  /** What to hash: the client address, a request header, or a cookie. Required. */
  on: z.union([
    z.literal('client-ip', { error: keyError }),
    z.strictObject({ header: z.string().min(1) }),
    z.strictObject({ cookie: z.string().min(1) }),
  ]),
  /** Virtual nodes per unit of weight: more spreads keys more evenly. Default 100. */
  replicas: z.number().int().min(1).max(1000).default(100),
  /** Balancer for requests without a key. Default `'round-robin'` (as HAProxy does). */
  fallback: z.enum(['random', 'round-robin']).default('round-robin'),
  /** Source of uniform numbers in [0, 1) for the random fallback. Default `Math.random`. */
  random: z
    .custom<() => number>((v) => typeof v === 'function', { error: 'expected a function returning a number in [0, 1)' })
    .optional(),
})

export type HashOptions = z.input<typeof schema>

/** Sorted virtual-node hashes and, at the same index, the upstream owning each. */
interface Ring {
  points: Uint32Array
  owners: UpstreamState[]
}

export function hash(options: HashOptions): Balancer {
  return definePlugin('balancer', 'hash', schema, options, (opts) => {
    const fallback: Balancer = opts.fallback === 'random' ? random({ random: opts.random }) : roundRobin()
    const rings = new WeakMap<readonly UpstreamState[], Ring>()
    const keyOf = keyReader(opts.on)

    return {
      pick(candidates, ctx) {
        if (candidates.length === 0) return undefined
        const key = keyOf(ctx)
        if (!key) return fallback.pick(candidates, ctx)
        let ring = rings.get(candidates)
        if (!ring) rings.set(candidates, (ring = buildRing(candidates, opts.replicas)))
        return ring.owners.length ? lookup(ring, hash32(key)) : fallback.pick(candidates, ctx)
      },
    }
  })
}

function keyReader(on: z.output<typeof schema>['on']): (ctx: BalanceContext) => string | undefined {
  if (on === 'client-ip') return (ctx) => ctx.clientIp
  if ('header' in on) return (ctx) => ctx.header(on.header)
  return (ctx) => ctx.cookie(on.cookie)
}

function buildRing(candidates: readonly UpstreamState[], replicas: number): Ring {
  const nodes: { point: number; up: UpstreamState }[] = []
  for (const up of candidates) {
    const count = replicas * Math.max(0, up.weight)
    for (let i = 0; i < count; i++) nodes.push({ point: hash32(`${up.id}#${i}`), up })
  }
  // Colliding points are ordered by id, so the ring does not depend on the candidates' order.
  nodes.sort((a, b) => a.point - b.point || (a.up.id < b.up.id ? -1 : a.up.id > b.up.id ? 1 : 0))
  return { points: Uint32Array.from(nodes, (n) => n.point), owners: nodes.map((n) => n.up) }
}

/** The owner of the first point at or after `h`, wrapping around past the last point. */
function lookup({ points, owners }: Ring, h: number): UpstreamState {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (points[mid]! < h) lo = mid + 1
    else hi = mid
  }
  return owners[lo === points.length ? 0 : lo]!
}
