/**
 * The admin listener: a separate port (127.0.0.1:9901 by default) with the JSON admin API,
 * Prometheus `/metrics`, and a live dashboard at `/dashboard`. Bound anywhere but 127.0.0.1, ::1
 * or localhost it needs a `token`, and the config is refused without one.
 *
 * | endpoint | what |
 * |---|---|
 * | `GET /metrics` | Prometheus text (the `metrics` option; its own `metrics()` by default) |
 * | `GET /api/config` | the config in force: its generation (1 at start, +1 per reload) and when it loaded |
 * | `GET /api/routes`, `GET /api/pools`, `GET /api/state` | routes; pools with upstream state, request rates and, for a pool that scales, `scale` (state, replicas); all of these plus recent changes (scaling decisions too) |
 * | `GET /api/events` | the same state as server-sent events, every `interval` and at once on pool, health and scale changes |
 * | `GET /api/certificates` | certificates served by the HTTPS listener; for ACME, each host: valid, pending, failing (lastError), next renewal |
 * | `POST /api/pools/:pool/upstreams/:id/disable` / `enable` | drain an upstream (no new requests) / take it back |
 * | `GET /api/pools/:pool/release` | a pool's release: versions, weights, canary step, last verdict with its figures |
 * | `PUT /api/pools/:pool/release` | `{"weights": {"v1": 90, "v2": 10}}`: weights by hand (a canary under way pauses) |
 * | `POST /api/pools/:pool/release/promote` / `pause` / `resume` / `abort` | steer a rollout (abort rolls back; after blue-green, switches back) |
 * | `GET /dashboard` | the page (with a token: open `/dashboard?token=…` once; a cookie keeps it) |
 *
 * @example
 * const m = metrics()
 * observe: [m, accessLog(), admin({ metrics: m })]
 * observe: [admin({ listen: { host: '0.0.0.0', port: 9901 }, token: process.env.ADMIN_TOKEN })]
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import { duration } from '../../core/config/duration.ts'
import type { ObserverPlugin } from '../../core/types.ts'
import { metrics as createMetrics, PROMETHEUS_CONTENT_TYPE, type Metrics } from '../metrics/index.ts'
import { GATEHOUSE_VERSION } from '../../core/version.ts'
import { UpstreamStats } from './upstream-stats.ts'
import { DiscoveryResults } from './discovery-results.ts'
import { healthFlips } from '../access-log/health-flips.ts'
import { adminApi } from './api.ts'
import { adminAuth, isLocalOnly } from './auth.ts'
import { DASHBOARD_HTML } from './dashboard.ts'
import { RecentChanges, RequestRates, scaleChange } from './live.ts'

const metricsPlugin = z.custom<Metrics>((v) => typeof v === 'object' && v !== null && typeof (v as Metrics).render === 'function', {
  error: 'expected metrics() from "gatehouse/plugins/metrics", or false',
})

const optionsSchema = z
  .strictObject({
    /** Where the admin listener binds. Default 127.0.0.1:9901. */
    listen: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(9901),
        host: z.string().min(1).default('127.0.0.1'),
      })
      .prefault({}),
    /** Required on every request when set; required to bind anything but loopback. */
    token: z.string().min(16, { error: 'expected a token of at least 16 characters' }).optional(),
    /** The metrics served at /metrics. Default: a metrics() of its own; false for none. */
    metrics: z.union([metricsPlugin, z.literal(false)]).optional(),
    /** Serve the dashboard at /dashboard. Default true. */
    dashboard: z.boolean().default(true),
    /** How often /api/events pushes the state. Default 1s. */
    interval: duration().default(1_000),
  })
  .superRefine((o, ctx) => {
    if (o.token === undefined && !isLocalOnly(o.listen.host)) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: `required: the admin listener binds ${o.listen.host}, which is not 127.0.0.1, ::1 or localhost` })
    }
  })

export type AdminOptions = z.input<typeof optionsSchema>

export interface AdminPlugin extends ObserverPlugin {
  /** The port the listener got (useful with `port: 0`); undefined before start. */
  readonly port: number | undefined
}

export function admin(options: AdminOptions = {}): AdminPlugin {
  return definePlugin('observer', 'admin', optionsSchema, options, (o) => {
    let port: number | undefined
    return {
      get port() {
        return port
      },
      async start(ctx) {
        const { gateway, log, signal } = ctx
        const serve = ctx.io.serve
        const metrics = o.metrics === false ? undefined : (o.metrics ?? createMetrics())
        await metrics?.start(ctx)

        const rates = new RequestRates()
        const upstreams = new UpstreamStats()
        const discovery = new DiscoveryResults()
        const startedAt = Math.round(ctx.io.processStats().startTimeSeconds * 1000)
        const runtime = ctx.io.processStats().runtime
        const about = () => ({ version: GATEHOUSE_VERSION, runtime: `${runtime.name} ${runtime.version}`, startedAt })
        const changes = new RecentChanges()
        const streams = new Set<() => void>()
        const wakeAll = () => streams.forEach((wake) => wake())
        let soon: ReturnType<typeof setTimeout> | undefined
        const wakeSoon = () => (soon ??= setTimeout(() => ((soon = undefined), wakeAll()), 50))
        let stopping = false
        const flips = healthFlips(gateway, signal)
        const off = [
          gateway.events.on('request', (r) => {
            rates.record(r)
            upstreams.record(r)
          }),
          gateway.events.on('pool', (e) => {
            if (e.change === 'removed') upstreams.forget(e.pool, e.id, e.upstream)
            changes.add({ time: Date.now(), pool: e.pool, upstream: e.upstream, change: e.change, detail: e.source })
            wakeSoon()
          }),
          gateway.events.on('health', (e) => {
            const f = flips(e)
            if (f) changes.add({ time: Date.now(), pool: f.pool, upstream: f.upstream, change: f.available ? 'available' : 'unavailable', detail: f.reason ?? '' })
            wakeSoon()
          }),
          gateway.events.on('discovery', (e) => {
            discovery.record(e)
            wakeSoon()
          }),
          gateway.events.on('scale', (e) => {
            changes.add(scaleChange(e))
            wakeSoon()
          }),
          // A release decision shows at once (the split, the step, the verdict).
          gateway.events.on('release', () => wakeSoon()),
        ]

        const app = new Hono()
        app.use('*', async (c, next) => {
          await next()
          c.header('cache-control', 'no-store')
          c.header('x-content-type-options', 'nosniff')
        })
        app.use('*', adminAuth(o.token))
        const subscribe = (wake: () => void) => (streams.add(wake), () => void streams.delete(wake))
        app.route('/', adminApi({ view: gateway, rates, changes, upstreams, discovery, about, intervalMs: o.interval, subscribe, stopping: () => stopping }))
        if (metrics) app.get('/metrics', (c) => c.body(metrics.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }))
        if (o.dashboard) {
          app.get('/', (c) => c.redirect('/dashboard', 303))
          app.get('/dashboard', (c) => {
            c.header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'")
            return c.html(DASHBOARD_HTML)
          })
        }
        app.notFound((c) => c.json({ error: 'not found' }, 404))

        const server = await serve(app.fetch, { port: o.listen.port, hostname: o.listen.host })
        port = server.port
        const host = o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host
        log.info(`admin listening on http://${host}:${port}${o.dashboard ? ` (dashboard: /dashboard)` : ''}${metrics ? ', metrics: /metrics' : ''}${o.token ? ', token required' : ''}`)
        signal.addEventListener('abort', () => {
          stopping = true
          clearTimeout(soon)
          off.forEach((f) => f())
          wakeAll()
          void server.close()
        })
      },
    }
  })
}

export default admin
