/**
 * Active health checks (HAProxy's `option httpchk` + `http-check expect` + `check inter rise fall`):
 * each upstream of the pool is probed off the request path every `interval` (± jitter, so many
 * gateways don't probe in step); `fall` consecutive failures make it unavailable, `rise`
 * consecutive successes make it available again. Verdicts live on the upstream, survive discovery
 * snapshots (same id, same state) and are read by every balancer. Probing stops when it leaves.
 *
 * @example
 * pools: { web: { discovery: docker({ label: 'gatehouse.pool=web' }),
 *   health: activeHealth({ path: '/', interval: '2s', rise: 2, fall: 5, expect: { body: 'Hello' } }) } }
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import { duration } from '../../core/config/duration.ts'
import type { HealthCheckRequest, HealthPlugin, Logger, UpstreamHealth } from '../../core/types.ts'
import { RiseFall } from './thresholds.ts'
import { checkFailure } from './check-detail.ts'

const status = z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, { error: 'expected a status or a range like "200-399"' })])

const optionsSchema = z.strictObject({
  /** Path probed. Default "/". */
  path: z.string().startsWith('/').default('/'),
  method: z.enum(['GET', 'HEAD', 'OPTIONS']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Host header of the probe. Default: the upstream's host:port. */
  host: z.string().optional(),
  /** Time between probes of one upstream. Default 2s. */
  interval: duration().default(2_000),
  /** A probe slower than this failed. Default 1s. */
  timeout: duration().default(1_000),
  /** Consecutive successes to become available. Default 2. */
  rise: z.number().int().min(1).max(100).default(2),
  /** Consecutive failures to become unavailable. Default 3. */
  fall: z.number().int().min(1).max(100).default(3),
  expect: z
    .strictObject({
      /** Accepted statuses. Default "200-399". */
      status: z.union([status, z.array(status).min(1)]).default('200-399'),
      /** Substring the body must contain. */
      body: z.string().optional(),
      bodyMatches: z.string().refine(isRegExp, { error: 'expected a valid regular expression' }).optional(),
    })
    .prefault({}),
  /** Fraction of the interval each wait varies by. Default 0.1. */
  jitter: z.number().min(0).max(0.5).default(0.1),
  /** A new upstream takes traffic at once, or only after its first rise. Default available. */
  initial: z.enum(['available', 'wait-for-rise']).default('available'),
  random: z.custom<() => number>((v) => typeof v === 'function').optional(),
})

export type ActiveHealthOptions = z.input<typeof optionsSchema>

export function activeHealth(options: ActiveHealthOptions = {}): HealthPlugin {
  return definePlugin('health', 'activeHealth', optionsSchema, options, (o) => {
    const accepts = statusMatcher(o.expect.status)
    const bodyRe = o.expect.bodyMatches ? new RegExp(o.expect.bodyMatches) : undefined
    const random = o.random ?? Math.random

    /** One probe; what it saw goes on the upstream (the dashboard shows why it fails). */
    const probe = async (up: UpstreamHealth, check: HealthCheckRequest): Promise<boolean> => {
      const at = Date.now()
      let ok = false
      let detail: string
      try {
        const headers: Record<string, string> = { 'user-agent': 'gatehouse-health', host: o.host ?? up.url.host, ...o.headers }
        const res = await check(new URL(o.path, up.url), { method: o.method, headers, timeoutMs: o.timeout, maxBodyBytes: 65_536 })
        if (!accepts(res.status)) detail = `status ${res.status} not accepted`
        else if ((o.expect.body !== undefined && !res.body.includes(o.expect.body)) || (bodyRe && !bodyRe.test(res.body))) detail = `status ${res.status}, body did not match`
        else (ok = true), (detail = String(res.status))
      } catch (err) {
        detail = checkFailure(err)
      }
      up.recordCheck({ ok, at, ms: Date.now() - at, detail })
      return ok
    }

    return {
      start({ pool, signal, log, io }) {
        const check = io.healthCheck
        const watched = new Map<UpstreamHealth, { stop(): void; now(): Promise<boolean> }>()
        const reconcile = () => {
          const current = new Set(pool.upstreams())
          for (const [up, w] of watched) if (!current.has(up)) (w.stop(), watched.delete(up))
          for (const up of current) if (!watched.has(up)) watched.set(up, watch(up, pool.name, check, log))
        }
        const watch = (up: UpstreamHealth, poolName: string, check: HealthCheckRequest, log: Logger) => {
          const state = new RiseFall(o.rise, o.fall, o.initial === 'available' ? up.healthy : false)
          up.setHealthy(state.healthy)
          let timer: ReturnType<typeof setTimeout> | undefined
          let stopped = false
          /** One probe, counted by rise/fall like any other; returns the verdict after it. */
          const once = async () => {
            const ok = await probe(up, check)
            if (stopped) return up.healthy
            const before = up.healthy
            up.setHealthy(state.record(ok))
            if (before !== up.healthy) log.info(`pool ${poolName}: upstream ${up.url.origin} is now ${up.healthy ? 'healthy' : 'unhealthy'} (active check ${o.method} ${o.path})`)
            return up.healthy
          }
          const loop = async () => {
            await once()
            if (!stopped) timer = setTimeout(loop, o.interval * (1 + o.jitter * (2 * random() - 1)))
          }
          // The first probe comes at once: a new upstream waiting for its rise should not wait an interval more.
          void loop()
          return { stop: () => ((stopped = true), clearTimeout(timer)), now: once }
        }
        pool.onChange(reconcile)
        reconcile()
        signal.addEventListener('abort', () => {
          for (const w of watched.values()) w.stop()
          watched.clear()
        })
        return { checkNow: (up) => watched.get(up)?.now() ?? Promise.resolve(up.healthy) }
      },
    }
  })
}

function statusMatcher(spec: string | number | (string | number)[]): (s: number) => boolean {
  const ranges = [spec].flat().map((s) => (typeof s === 'number' ? [s, s] : s.split('-').map(Number)) as [number, number])
  return (s) => ranges.some(([lo, hi]) => s >= lo && s <= hi)
}

function isRegExp(s: string): boolean {
  try {
    return new RegExp(s) instanceof RegExp
  } catch {
    return false
  }
}

export default activeHealth
