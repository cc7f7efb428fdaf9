/**
 * Uniform random balancing: every available upstream is equally likely, whatever its weight or
 * load. Pick it for a fleet of identical, stateless replicas when you want zero coordination
 * (no shared counter, no per-upstream state, nothing to reset when the pool changes); it is what
 * em-proxy does over a static list (seed 000). Chosen as the simplest baseline: O(1) per pick,
 * and with many requests the spread converges to even. Prefer `powerOfTwoChoices()` when request
 * costs vary, and `weightedRoundRobin()` when weights matter. Randomness is injected for tests.
 *
 * @example
 * ```ts
 * import { random } from 'gatehouse/plugins/random'
 * pools: { web: { discovery: staticList(['http://10.0.0.1:3000', 'http://10.0.0.2:3000']), balancer: random() } }
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

export type RandomOptions = z.input<typeof schema>

export function random(options: RandomOptions = {}): Balancer {
  return definePlugin('balancer', 'random', schema, options, ({ random: rand = Math.random }) => {
    return {
      pick(candidates) {
        const n = candidates.length
        if (n === 0) return undefined
        // `>>> 0` and the clamp keep a misbehaving source (1, NaN, negative) inside the array.
        return candidates[Math.min(n - 1, (rand() * n) >>> 0)]
      },
    }
  })
}
