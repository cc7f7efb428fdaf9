/**
 * Passive health (Envoy's outlier detection, nginx's max_fails/fail_timeout): watches real
 * traffic, and after `consecutive` failures in a row ejects the upstream for `baseEjection`,
 * doubling on each repeated ejection up to `maxEjection`. At most `maxEjectedPercent` of the pool
 * is ejected at once, so a bad deploy cannot take the whole pool out. After the ejection time the
 * upstream takes traffic again; one more failure run ejects it for longer.
 *
 * @example
 * pools: { web: { upstreams: [...], outlier: outlierDetection({ consecutive: 5, on: ['connect', '5xx'] }) } }
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import { duration } from '../../core/config/duration.ts'
import type { ExchangeOutcome, OutlierPlugin, UpstreamHealth } from '../../core/types.ts'

const optionsSchema = z.strictObject({
  /** Failures in a row that eject. Default 5. */
  consecutive: z.number().int().min(1).max(1000).default(5),
  /** What counts as a failure. Default all: connect failures, timeouts, resets, 5xx answers. */
  on: z
    .array(z.enum(['connect', 'timeout', 'reset', '5xx']))
    .min(1)
    .default(['connect', 'timeout', 'reset', '5xx']),
  /** First ejection time; doubles on each repeat. Default 30s. */
  baseEjection: duration().default(30_000),
  /** Longest ejection. Default 5m. */
  maxEjection: duration().default(300_000),
  /** Share of the pool that may be ejected at once. Default 50. */
  maxEjectedPercent: z.number().min(0).max(100).default(50),
  now: z.custom<() => number>((v) => typeof v === 'function').optional(),
})

interface Record {
  failures: number
  ejections: number
}

export function outlierDetection(options: z.input<typeof optionsSchema> = {}): OutlierPlugin {
  return definePlugin('outlier', 'outlierDetection', optionsSchema, options, (o) => {
    const now = o.now ?? Date.now
    const records = new WeakMap<UpstreamHealth, Record>()
    const counts = (out: ExchangeOutcome): boolean | undefined => {
      if (out.failure === 'refused' || out.failure === 'connect-timeout') return o.on.includes('connect')
      if (out.failure === 'first-byte-timeout' || out.failure === 'idle-timeout' || out.failure === 'total-timeout') return o.on.includes('timeout')
      if (out.failure === 'reset' || out.failure === 'error') return o.on.includes('reset')
      if (out.status !== undefined && out.status >= 500) return o.on.includes('5xx') ? true : undefined
      return out.status !== undefined ? false : undefined // a client that left says nothing either way
    }
    return {
      observe(up, outcome, pool) {
        const failed = counts(outcome)
        if (failed === undefined) return
        let r = records.get(up)
        if (!r) records.set(up, (r = { failures: 0, ejections: 0 }))
        if (!failed) {
          r.failures = 0
          return
        }
        if (++r.failures < o.consecutive || up.ejectedUntil > now()) return
        const all = pool.upstreams()
        const ejected = all.filter((u) => u.ejectedUntil > now()).length
        if (((ejected + 1) / all.length) * 100 > o.maxEjectedPercent) return // keep enough of the pool serving
        const time = Math.min(o.baseEjection * 2 ** r.ejections, o.maxEjection)
        r.ejections++
        r.failures = 0
        up.eject(now() + time)
      },
    }
  })
}

export default outlierDetection
