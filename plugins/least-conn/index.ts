/**
 * Least connections: send the request to the upstream with the fewest requests in flight per
 * unit of weight (`inflight / weight`). Pick it when request durations vary a lot (slow reports
 * next to fast reads, long polls): a stuck or slow upstream accumulates in-flight work and stops
 * receiving more, which round robin cannot see. It is nginx's `least_conn` (seed 003). Chosen
 * because the core already tracks `inflight` exactly, so the choice is one O(n) pass with integer
 * cross-multiplication (no float rounding). Ties, the common case on a quiet pool, are broken at
 * random in proportion to weight (weighted reservoir sampling in the same pass), so equal loads
 * spread evenly instead of piling onto the first upstream. For very large pools prefer
 * `powerOfTwoChoices()`, which is O(1) and nearly as good.
 *
 * @example
 * ```ts
 * import { leastConn } from 'gatehouse/plugins/least-conn'
 * pools: { web: { discovery: docker({ label: 'gatehouse.pool=web', port: 8000 }), balancer: leastConn() } }
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { Balancer, UpstreamState } from '../../core/types.ts'

const schema = z.strictObject({
  /** Source of uniform numbers in [0, 1), used to break ties. Default `Math.random`. */
  random: z
    .custom<() => number>((v) => typeof v === 'function', { error: 'expected a function returning a number in [0, 1)' })
    .optional(),
})

export type LeastConnOptions = z.input<typeof schema>

export function leastConn(options: LeastConnOptions = {}): Balancer {
  return definePlugin('balancer', 'leastConn', schema, options, ({ random: rand = Math.random }) => {
    return {
      pick(candidates) {
        let best: UpstreamState | undefined
        let tieWeight = 0
        for (const up of candidates) {
          if (best === undefined) {
            best = up
            tieWeight = up.weight
            continue
          }
          // up.inflight / up.weight  vs  best.inflight / best.weight, without division.
          const diff = up.inflight * best.weight - best.inflight * up.weight
          if (diff < 0) {
            best = up
            tieWeight = up.weight
          } else if (diff === 0) {
            // Keep each tied upstream with probability weight / (weight of ties so far).
            tieWeight += up.weight
            if (rand() * tieWeight < up.weight) best = up
          }
        }
        return best
      },
    }
  })
}
