/**
 * Canary routing: requests carrying a header (say `x-canary: 1`, set by your QA tooling or an
 * edge rule) go to the upstreams labelled as the canary track; everyone else goes to the stable
 * ones, except `percent` of them, sent to the canary as a gradual rollout. Pick it when one pool
 * holds two versions of a service told apart by a label (`track=stable`, `track=canary`). When
 * the chosen track has no available upstream, any candidate serves, so a canary that is down
 * never turns into errors. Within a track it rotates round robin. A third-party plugin: an npm
 * package exporting a factory, like the built-ins.
 *
 * @example
 * ```ts
 * import { canary } from 'gatehouse-plugin-canary'
 * pools: { api: { upstreams: [{ url: 'http://10.0.0.1:3000', labels: { track: 'stable' } },
 *                             { url: 'http://10.0.0.2:3000', labels: { track: 'canary' } }],
 *                 balancer: canary({ header: 'x-canary', percent: 5 }) } }
 * ```
 */
import { z } from 'zod'
import { definePlugin } from 'gatehouse'
import type { Balancer, UpstreamState } from 'gatehouse'

const schema = z.strictObject({
  /** Request header that opts a request into the canary. Default `'x-canary'`. */
  header: z.string().min(1).default('x-canary'),
  /** When set, the header must equal this value; otherwise its presence is enough. */
  value: z.string().optional(),
  /** Upstream label that names the track. Default `'track'`. */
  label: z.string().min(1).default('track'),
  /** Label value of the stable track. Default `'stable'`. */
  stable: z.string().min(1).default('stable'),
  /** Label value of the canary track. Default `'canary'`. */
  canary: z.string().min(1).default('canary'),
  /** Share (0–100) of requests without the header also sent to the canary. Default 0. */
  percent: z.number().min(0).max(100).default(0),
  /** Source of uniform numbers in [0, 1) for `percent`. Default `Math.random`. */
  random: z
    .custom<() => number>((v) => typeof v === 'function', { error: 'expected a function returning a number in [0, 1)' })
    .optional(),
})

export type CanaryOptions = z.input<typeof schema>

interface Tracks {
  stable: UpstreamState[]
  canary: UpstreamState[]
}

/** Bad options never throw: the plugin carries them as `problems`, and `gatehouse check` lists them with the rest. */
export function canary(options: CanaryOptions = {}): Balancer {
  return definePlugin('balancer', 'canary', schema, options, (opts) => {
    const rand = opts.random ?? Math.random
    // The core reuses a candidates array until the pool changes, so split it once per array.
    const split = new WeakMap<readonly UpstreamState[], Tracks>()
    let counter = 0

    return {
      pick(candidates, ctx) {
        if (candidates.length === 0) return undefined
        let tracks = split.get(candidates)
        if (!tracks) {
          const on = (track: string) => candidates.filter((u) => u.labels[opts.label] === track)
          split.set(candidates, (tracks = { stable: on(opts.stable), canary: on(opts.canary) }))
        }
        const sent = ctx.header(opts.header)
        const optedIn = sent !== undefined && (opts.value === undefined || sent === opts.value)
        const toCanary = optedIn || (opts.percent > 0 && rand() * 100 < opts.percent)
        const chosen = toCanary ? tracks.canary : tracks.stable
        const list = chosen.length ? chosen : candidates
        const picked = list[counter % list.length]
        counter = (counter + 1) >>> 0
        return picked
      },
    }
  })
}
