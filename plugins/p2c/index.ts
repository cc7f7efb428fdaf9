/**
 * Power of two choices: draw two distinct upstreams at random and send the request to the less
 * loaded one (`inflight / weight`). Pick it for large pools or many gateway instances: it avoids
 * the herd behaviour of pure least-connections (every gateway rushing the same idle upstream)
 * while keeping the maximum load exponentially closer to the mean than random choice does
 * (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing"). Chosen because it is
 * O(1) per pick whatever the pool size, needs no state, and the most loaded upstream never wins
 * a draw. Ties go to the first draw, itself uniform. Envoy and HAProxy's `random(2)` use it.
 *
 * @example
 * ```ts
 * import { p2c } from 'gatehouse/plugins/p2c'
 * pools: { web: { discovery: dns({ srv: '_web._tcp.service.consul' }), balancer: p2c() } }
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { Balancer } from '../../core/types.ts'

const schema = z.strictObject({
  /** Source of uniform numbers in [0, 1). Default `Math.random`. */
  random: z
    .custom<() => number>((v) => typeof v === 'function', { error: 'expected a function returning a number in [0, 1)' })
    .optional(),
})

export type PowerOfTwoChoicesOptions = z.input<typeof schema>

export function powerOfTwoChoices(options: PowerOfTwoChoicesOptions = {}): Balancer {
  return definePlugin('balancer', 'powerOfTwoChoices', schema, options, ({ random: rand = Math.random }) => {
    const draw = (n: number) => Math.min(n - 1, (rand() * n) >>> 0)
    return {
      pick(candidates) {
        const n = candidates.length
        if (n < 2) return candidates[0]
        const i = draw(n)
        let j = draw(n - 1)
        if (j >= i) j++ // skip i: j is uniform over the other n - 1
        const a = candidates[i]!
        const b = candidates[j]!
        // a.inflight / a.weight <= b.inflight / b.weight, without division.
        return a.inflight * b.weight <= b.inflight * a.weight ? a : b
      },
    }
  })
}

/** Short alias of {@link powerOfTwoChoices}. */
export const p2c = powerOfTwoChoices
