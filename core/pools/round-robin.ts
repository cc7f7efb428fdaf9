/**
 * Plain round robin: each pick takes the next upstream in the list, so N upstreams share traffic
 * 1/N each, in a predictable order. Pick it for equal replicas serving requests of similar cost;
 * it is nginx's and HAProxy's default (seeds 001 and 004). Chosen for being deterministic and
 * O(1): a single counter taken modulo the current list length, so when the pool grows or shrinks
 * the rotation simply continues over the new list (no per-upstream bookkeeping to go stale) and
 * stays fair. Weights are ignored; use `weightedRoundRobin()` when they matter.
 *
 * @example
 * ```ts
 * import { roundRobin } from 'gatehouse/plugins/round-robin'
 * pools: { api: { discovery: etcd({ prefix: '/app/servers/' }), balancer: roundRobin() } }
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../plugin/define.ts'
import type { Balancer } from '../types.ts'

const schema = z.strictObject({})

export type RoundRobinOptions = z.input<typeof schema>

/** The default balancer of every pool (so it lives in core; gatehouse/plugins/round-robin re-exports it). */
export function roundRobin(options: RoundRobinOptions = {}): Balancer {
  return definePlugin('balancer', 'roundRobin', schema, options, () => {
    let counter = 0
    return {
      pick(candidates) {
        const n = candidates.length
        if (n === 0) return undefined
        const chosen = candidates[counter % n]
        counter = (counter + 1) >>> 0 // wraps at 2^32: one uneven step every four billion picks
        return chosen
      },
    }
  })
}
