/**
 * The admin API's JSON endpoints: routes, pools with each upstream's state, the dashboard's whole
 * state (once, or live as server-sent events), and operator actions on an upstream. Path
 * parameters are checked by zod before anything is touched.
 */
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { z } from 'zod'
import { formatIssues } from '../../core/config/errors.ts'
import { poolName } from '../../core/config/schema.ts'
import type { RouteConfig } from '../../core/config/route-schema.ts'
import type { GatewayView, PoolView, UpstreamView } from '../../core/types.ts'
import type { RecentChanges, RequestRates } from './live.ts'
import type { UpstreamStats } from './upstream-stats.ts'
import type { DiscoveryResults } from './discovery-results.ts'

/**
 * Core hooks this API uses when the gateway view has them (proposed; see README "Admin API"):
 * where a route came from, and an active health check run now.
 */
interface ViewHooks {
  routeSource?(route: RouteConfig): string
  checkNow?(pool: string, id: string): Promise<boolean | undefined>
}

export interface ApiDeps {
  view: GatewayView
  rates: RequestRates
  changes: RecentChanges
  /** Per upstream: rate, errors, latency, time in state. */
  upstreams: UpstreamStats
  /** Per discovery source: last applied and rejected snapshots. */
  discovery: DiscoveryResults
  /** The gateway's version, runtime and start (the dashboard's header). */
  about(): { version: string; runtime: string; startedAt: number }
  /** Push interval of `/api/events`; also woken early by pool, health and scale changes. */
  intervalMs: number
  /** Registers a stream's wake-up; returns its removal. */
  subscribe(wake: () => void): () => void
  /** True once the gateway stops: open streams end. */
  stopping(): boolean
}

const actionParams = z.strictObject({
  pool: poolName,
  id: z.string().min(1).max(1024),
  action: z.enum(['disable', 'enable', 'check']),
})

const releaseParams = z.strictObject({ pool: poolName, action: z.enum(['promote', 'pause', 'resume', 'abort']) })
const releaseBody = z.strictObject({
  /** Percent by version, summing to 100: `{"v1": 90, "v2": 10}`. */
  weights: z.record(z.string().min(1).max(100), z.number().min(0).max(100)),
})

export type UpstreamState = 'available' | 'warming' | 'unhealthy' | 'ejected' | 'disabled'

export function upstreamState(u: UpstreamView, now = Date.now()): UpstreamState {
  if (u.disabled) return 'disabled'
  // A replica of a scaling pool that has not answered its readiness probe: held back, not failing.
  if (u.warming) return 'warming'
  if (!u.healthy) return 'unhealthy'
  if (u.ejectedUntil > now) return 'ejected'
  return 'available'
}

export function adminApi(deps: ApiDeps): Hono {
  const { view } = deps
  const hooks = view as GatewayView & ViewHooks
  const routes = () => view.routes().map((r) => describeRoute(r, hooks.routeSource?.(r)))
  const pools = () => view.pools().map((p) => describePool(p, deps))
  const config = () => describeConfig(view.config())
  const certificates = () => view.certificates?.()?.served.map((c) => ({ hosts: c.hosts, serial: c.serial, notAfter: c.notAfter }))
  const state = () => ({
    time: Date.now(), about: deps.about(), config: config(), routes: routes(), pools: pools(), changes: deps.changes.all(),
    discovery: deps.discovery.all(), certificates: certificates(),
  })

  const app = new Hono()
  app.get('/api/config', (c) => c.json(config()))
  app.get('/api/routes', (c) => c.json({ routes: routes() }))
  app.get('/api/pools', (c) => c.json({ pools: pools() }))
  app.get('/api/state', (c) => c.json(state()))
  // Certificates served by the HTTPS listener and, for ACME, each host's state (pending, failing: lastError).
  app.get('/api/certificates', (c) => {
    const certificates = view.certificates?.()
    return certificates ? c.json(certificates) : c.json({ error: 'this gateway serves no HTTPS' }, 404)
  })
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let wake = () => {}
      const unsubscribe = deps.subscribe(() => wake())
      stream.onAbort(() => wake())
      try {
        while (!stream.aborted && !deps.stopping()) {
          await stream.writeSSE({ event: 'state', data: JSON.stringify(state()) })
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, deps.intervalMs)
            wake = () => (clearTimeout(timer), resolve())
          })
        }
      } finally {
        unsubscribe()
      }
    }),
  )
  // A pool's release (core/release/): versions, weights, step and last verdict; an operator's weights and actions.
  app.get('/api/pools/:pool/release', (c) => {
    const release = view.pools().find((p) => p.name === c.req.param('pool'))?.release
    return release ? c.json(release) : c.json({ error: `no pool ${c.req.param('pool')} with a release policy` }, 404)
  })
  app.put('/api/pools/:pool/release', async (c) => {
    const body = releaseBody.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'invalid request', problems: formatIssues(body.error.issues) }, 400)
    return releaseAnswer(c.req.param('pool'), view.steerRelease?.(c.req.param('pool'), { weights: body.data.weights }))
  })
  app.post('/api/pools/:pool/release/:action', (c) => {
    const parsed = releaseParams.safeParse(c.req.param())
    if (!parsed.success) return c.json({ error: 'invalid request', problems: formatIssues(parsed.error.issues) }, 400)
    return releaseAnswer(parsed.data.pool, view.steerRelease?.(parsed.data.pool, parsed.data.action))
  })
  const releaseAnswer = (pool: string, result: ReturnType<NonNullable<GatewayView['steerRelease']>>) => {
    if (!result) return Response.json({ error: `no pool ${pool} with a release policy` }, { status: 404 })
    const release = view.pools().find((p) => p.name === pool)?.release
    return Response.json({ ...result, release }, { status: result.ok ? 200 : 409 })
  }
  app.post('/api/pools/:pool/upstreams/:id/:action', async (c) => {
    const parsed = actionParams.safeParse(c.req.param())
    if (!parsed.success) return c.json({ error: 'invalid request', problems: formatIssues(parsed.error.issues) }, 400)
    const { pool, id, action } = parsed.data
    if (action === 'check') {
      if (!hooks.checkNow) return c.json({ error: 'this gateway cannot run a health check on demand (no checkNow hook in the core)' }, 501)
      const healthy = await hooks.checkNow(pool, id)
      if (healthy === undefined) return c.json({ error: `no upstream ${id} with active health checks in pool ${pool}` }, 404)
      return c.json({ pool, id, healthy })
    }
    if (!view.setEnabled(pool, id, action === 'enable')) return c.json({ error: `no upstream ${id} in pool ${pool}` }, 404)
    return c.json({ pool, id, enabled: action === 'enable' })
  })
  return app
}

function describePool(p: PoolView, deps: ApiDeps) {
  const now = Date.now()
  return {
    name: p.name,
    balancer: p.balancer,
    upstreams: p.upstreams.map((u) => {
      const state = upstreamState(u, now)
      return { ...u, state, since: deps.upstreams.since(p.name, u.id, state, now), ...deps.upstreams.rates(p.name, u.url, now) }
    }),
    // Only pools that scale: asleep / waking / awake, replicas running and asleep, min, max, the action under way.
    scale: p.scale,
    release: p.release,
    ...deps.rates.rates(p.name, now),
  }
}

/** A route as JSON. Header values and header rules may hold secrets: only their names are shown. */
function describeRoute(r: RouteConfig, source: string | undefined) {
  const hosts = r.host === undefined ? undefined : [r.host].flat()
  return {
    name: r.name ?? `${hosts?.join(',') ?? ''}${r.path}`,
    host: hosts,
    path: r.path,
    methods: r.methods,
    headers: r.headers && Object.keys(r.headers),
    pool: r.pool,
    stripPrefix: r.stripPrefix,
    rewrite: r.rewrite,
    hostHeader: r.hostHeader,
    requestHeaders: r.requestHeaders && { set: Object.keys(r.requestHeaders.set), remove: r.requestHeaders.remove },
    responseHeaders: r.responseHeaders && { set: Object.keys(r.responseHeaders.set), remove: r.responseHeaders.remove },
    middleware: r.use.length,
    use: r.use.map((m) => (typeof m === 'function' ? m.name || 'function' : m.name)),
    source,
  }
}

/** The config in force: its generation (1 at start, one more per reload) and when it was loaded. */
function describeConfig({ generation, loadedAt }: { generation: number; loadedAt: number }) {
  return { generation, loadedAt: new Date(loadedAt).toISOString() }
}
