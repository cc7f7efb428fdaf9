/**
 * Active health checks (HAProxy's `option httpchk` + `http-check expect` + `check inter rise fall`):
 * each upstream of the pool is probed off the request path every `interval` (± jitter, so many
 * gateways don't probe in step); `fall` consecutive failures make it unavailable, `rise`
 * consecutive successes make it available again. Verdicts live on the upstream, survive discovery
 * snapshots (same id, same state) and are read by every balancer. Probing stops when it leaves.
 *
 * With `grpc`, the probe is the standard gRPC health check (`grpc.health.v1.Health/Check` over
 * HTTP/2, grpc-check.ts): the upstream is healthy when it answers SERVING, for the server as a
 * whole or for `grpc.service`. The pool's upstreams must speak HTTP/2 (h2c://, h2://, or the
 * pool's `protocol`); the probe uses the same one.
 *
 * @example
 * pools: { web: { discovery: docker({ label: 'gatehouse.pool=web' }),
 *   health: activeHealth({ path: '/', interval: '2s', rise: 2, fall: 5, expect: { body: 'Hello' } }) } }
 * pools: { greeter: { upstreams: ['h2c://10.0.0.5:50051'], health: activeHealth({ grpc: { service: 'helloworld.Greeter' } }) } }
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import { duration } from '../../core/config/duration.ts'
import type { HealthPlugin, Logger, UpstreamHealth } from '../../core/types.ts'
import type { PluginIO } from '../../core/plugin/io.ts'
import { RiseFall } from './thresholds.ts'
import { checkFailure } from './check-detail.ts'
import { GRPC_HEALTH_PATH, grpcHealthVerdict, healthCheckRequest } from './grpc-check.ts'

const status = z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, { error: 'expected a status or a range like "200-399"' })])

const optionsSchema = z.strictObject({
  /**
   * Probe with the gRPC health protocol instead of an HTTP request: `true` asks about the server
   * as a whole (service ""), `{ service: 'pkg.Service' }` about one service. Default none.
   */
  grpc: z.union([z.literal(true, { error: 'expected true or { service: "pkg.Service" }' }), z.strictObject({ service: z.string().default('') })]).optional(),
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

/** An HTTP probe's own fields: with `grpc`, the path, method and expectation are gRPC's. */
const HTTP_ONLY = ['path', 'method', 'expect'] as const

/** The options as written, checked for fields that do not go together before the schema fills in defaults. */
const checkedSchema = z
  .unknown()
  .superRefine((raw, ctx) => {
    if (typeof raw !== 'object' || raw === null || (raw as { grpc?: unknown }).grpc === undefined) return
    for (const key of HTTP_ONLY) {
      if ((raw as Record<string, unknown>)[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `does not apply with grpc (the probe is ${GRPC_HEALTH_PATH}, healthy when SERVING)` })
    }
  })
  .pipe(optionsSchema)

export type ActiveHealthOptions = z.input<typeof optionsSchema>

export function activeHealth(options: ActiveHealthOptions = {}): HealthPlugin {
  return definePlugin('health', 'activeHealth', checkedSchema, options, (o) => {
    const accepts = statusMatcher(o.expect.status)
    const bodyRe = o.expect.bodyMatches ? new RegExp(o.expect.bodyMatches) : undefined
    const random = o.random ?? Math.random
    const service = o.grpc === undefined ? undefined : o.grpc === true ? '' : o.grpc.service
    const what = service === undefined ? `${o.method} ${o.path}` : `gRPC health${service ? ` of ${service}` : ''}`

    /** One HTTP probe: the verdict and what it saw. */
    const httpProbe = async (up: UpstreamHealth, io: PluginIO): Promise<{ ok: boolean; detail: string }> => {
      const headers: Record<string, string> = { 'user-agent': 'gatehouse-health', host: o.host ?? up.url.host, ...o.headers }
      const url = new URL(o.path, up.url)
      const probe = { method: o.method, headers, timeoutMs: o.timeout, maxBodyBytes: 65_536 }
      // In the upstream's protocol: an HTTP/2-only server gives an HTTP/1.1 probe no answer.
      const res = up.protocol ? await io.http2Check(url, { ...probe, protocol: up.protocol }).then((r) => ({ status: r.status, body: new TextDecoder().decode(r.body) })) : await io.healthCheck(url, probe)
      if (!accepts(res.status)) return { ok: false, detail: `status ${res.status} not accepted` }
      if ((o.expect.body !== undefined && !res.body.includes(o.expect.body)) || (bodyRe && !bodyRe.test(res.body))) return { ok: false, detail: `status ${res.status}, body did not match` }
      return { ok: true, detail: String(res.status) }
    }

    /** One gRPC health check, over the HTTP/2 the upstream speaks. */
    const grpcProbe = async (up: UpstreamHealth, io: PluginIO, service: string): Promise<{ ok: boolean; detail: string }> => {
      if (!up.protocol) return { ok: false, detail: 'not an HTTP/2 upstream: gRPC needs h2c:// or h2:// (or the pool\'s protocol)' }
      const headers: Record<string, string> = {
        'user-agent': 'gatehouse-health',
        host: o.host ?? up.url.host,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-accept-encoding': 'identity',
        'grpc-timeout': `${o.timeout}m`,
        ...o.headers,
      }
      const res = await io.http2Check(new URL(GRPC_HEALTH_PATH, up.url), { protocol: up.protocol, method: 'POST', headers, body: healthCheckRequest(service), timeoutMs: o.timeout, maxBodyBytes: 4096 })
      return grpcHealthVerdict(res)
    }

    /** One probe; what it saw goes on the upstream (the dashboard shows why it fails). */
    const probe = async (up: UpstreamHealth, io: PluginIO): Promise<boolean> => {
      const at = Date.now()
      let seen: { ok: boolean; detail: string }
      try {
        seen = service === undefined ? await httpProbe(up, io) : await grpcProbe(up, io, service)
      } catch (err) {
        seen = { ok: false, detail: checkFailure(err) }
      }
      up.recordCheck({ ...seen, at, ms: Date.now() - at })
      return seen.ok
    }

    return {
      start({ pool, signal, log, io }) {
        const watched = new Map<UpstreamHealth, { stop(): void; now(): Promise<boolean> }>()
        const reconcile = () => {
          const current = new Set(pool.upstreams())
          for (const [up, w] of watched) if (!current.has(up)) (w.stop(), watched.delete(up))
          for (const up of current) if (!watched.has(up)) watched.set(up, watch(up, pool.name, io, log))
        }
        const watch = (up: UpstreamHealth, poolName: string, io: PluginIO, log: Logger) => {
          const state = new RiseFall(o.rise, o.fall, o.initial === 'available' ? up.healthy : false)
          up.setHealthy(state.healthy)
          let timer: ReturnType<typeof setTimeout> | undefined
          let stopped = false
          /** One probe, counted by rise/fall like any other; returns the verdict after it. */
          const once = async () => {
            const ok = await probe(up, io)
            if (stopped) return up.healthy
            const before = up.healthy
            up.setHealthy(state.record(ok))
            if (before !== up.healthy) log.info(`pool ${poolName}: upstream ${up.url.origin} is now ${up.healthy ? 'healthy' : 'unhealthy'} (active check ${what})`)
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
