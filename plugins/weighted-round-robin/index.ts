/**
 * Smooth weighted round robin, as in nginx: an upstream of weight 5 gets 5 of every 7 picks next
 * to two of weight 1, interleaved (a a b a c a a) rather than in a burst (a a a a a b c). Pick it
 * when upstreams differ in capacity and you want exact, predictable shares. Chosen because it is
 * nginx's proven algorithm: each pick adds every candidate's weight to its "current weight",
 * takes the highest, and subtracts the total from the winner. That is O(n) per pick (one pass
 * over the candidates, no allocation), fine for pools of tens to hundreds of upstreams. Current
 * weights live in a WeakMap keyed by the upstream's state object, which the core keeps across
 * discovery snapshots, so the sequence continues unbroken when the pool is re-listed and a
 * removed upstream's entry is garbage-collected with it. A weight change takes effect at once.
 *
 * @example
 * ```ts
 * import { weightedRoundRobin } from 'gatehouse/plugins/weighted-round-robin'
 * pools: { web: { discovery: staticList([{ url: 'http://big:80', weight: 5 }, 'http://small:80']),
 *                 balancer: weightedRoundRobin() } }
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { Balancer, UpstreamState } from '../../core/types.ts'

const schema = z.strictObject({})

export type WeightedRoundRobinOptions = z.input<typeof schema>

export function weightedRoundRobin(options: WeightedRoundRobinOptions = {}): Balancer {
  return definePlugin('balancer', 'weightedRoundRobin', schema, options, () => {
    const current = new WeakMap<UpstreamState, number>()
    return {
      pick(candidates) {
        let best: UpstreamState | undefined
        let bestWeight = 0
        let total = 0
        for (const up of candidates) {
          const weight = up.weight > 0 ? up.weight : 0
          const cw = (current.get(up) ?? 0) + weight
          current.set(up, cw)
          total += weight
          // Strictly greater: the first of equal current weights wins, as in nginx.
          if (best === undefined || cw > bestWeight) {
            best = up
            bestWeight = cw
          }
        }
        if (best !== undefined) current.set(best, bestWeight - total)
        return best
      },
    }
  })
}
