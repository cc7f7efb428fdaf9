/**
 * Assembles a gateway from a validated config: the upstream store, the watcher that builds and
 * swaps its state, the plugins that run, and the Hono app; `start()` serves it, `reload()` swaps
 * in a new config without a restart, `stop()` drains and stops everything.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { GatewayConfig } from '../config/schema.ts'
import type { RouteConfig } from '../config/route-schema.ts'
import type { GatewayEnv, Logger } from '../types.ts'
import type { RunningServer, Runtime } from '../runtime/types.ts'
import { UpstreamStore } from '../pools/upstream-store.ts'
import type { Pool } from '../pools/pool.ts'
import { plain } from '../proxy/failure.ts'
import { createRequestHandler } from './handle-request.ts'
import { Traffic } from './traffic.ts'
import { RequestTracing } from './request-tracing.ts'
import { ListenerRefusals } from './listener-refusals.ts'
import { GatewayEvents } from './events.ts'
import { httpsRedirect } from './https-redirect.ts'
import { hstsHeader } from '../config/tls-schema.ts'
import type { LimitsConfig } from '../config/limits-schema.ts'
import type { ServeHttp2, ServeLimits } from '../runtime/types.ts'
import type { Http2Config } from '../config/http2-schema.ts'
import { startCertificates, type LiveCertificates } from '../tls/live-certificates.ts'
import { RouteChanges, routeHosts } from './route-hosts.ts'
import type { PluginContext } from '../plugin/contract.ts'
import { Watcher } from './watcher.ts'
import type { GatewayState } from './state.ts'
import { RouteMiddlewares } from './route-middleware.ts'
import { RunningPlugins, type ReloadReport } from './running-plugins.ts'
import { restartNeeded } from './restart-needed.ts'
import { Scaling } from '../scale/scaling.ts'
import { answers } from '../scale/answers.ts'
import { upstreamProbe } from '../pools/upstream-probe.ts'
import { Releases } from '../release/releases.ts'
import type { CoordinationPlugin, CoordinationSession } from '../plugin/coordination.ts'
import { pluginContext } from '../plugin/context.ts'

/** Connects the coordination plugin; a gateway that cannot reach it does not start (it would act alone, unknowingly). */
async function startCoordination(plugin: CoordinationPlugin, plugins: PluginContext): Promise<CoordinationSession> {
  try {
    return await plugin.start(pluginContext(plugin, plugins))
  } catch (err) {
    throw new Error(`coordination: ${plugin.name} failed to start: ${String((err as Error)?.message ?? err)}`)
  }
}

export interface GatewayOptions {
  runtime: Runtime
  log: Logger
  /** How long startup (and a reload) waits for each new discovery source's first snapshot. Default 5s. */
  discoveryWaitMs?: number
  /**
   * With `workers` (core/workers/): a `primary` runs plugins and control loops but serves no
   * traffic; a `worker` serves traffic on a shared port (SO_REUSEPORT) from the primary's feed and
   * starts no discovery, health check, observer or control loop. Default `single`: both in one.
   */
  role?: 'single' | 'primary' | 'worker'
  /** A worker's listen port (the first worker's, when the config says 0). */
  port?: number
}

export interface Gateway {
  readonly app: Hono<GatewayEnv>
  /** What happens while it runs: requests, pool changes, health flips, discovery results. */
  readonly events: GatewayEvents
  /** Builds and swaps the state; `push(source, snapshot)` feeds it like a discovery source. */
  readonly watcher: Watcher
  /** Upstream state (health, load, ejection) by pool and id, outliving states. */
  readonly store: UpstreamStore
  /** The state in force. */
  state(): GatewayState
  /** The routes in force (config and discovered). */
  routes(): readonly RouteConfig[]
  /** The pool of that name in the state in force. */
  pool(name: string): Pool | undefined
  /** Pools that sleep, wake and scale (core/scale/). */
  readonly scaling: Scaling
  /** Pools with a release policy: versions, weights, canaries (core/release/). */
  readonly releases: Releases
  /** The HTTPS listener's certificates (served, and what their source manages); undefined without TLS or before start. */
  certificates(): ReturnType<LiveCertificates['list']> | undefined
  /** Starts observers and discovery, then listens. */
  start(): Promise<RunningServer>
  /**
   * Swaps in a new validated config without a restart: routes, pools, plugins and middleware at
   * once, upstream state and open connections kept. Throws (changing nothing) when the new
   * config's middleware cannot be set up.
   */
  reload(config: GatewayConfig): Promise<ReloadReport>
  /** Stops accepting, lets in-flight requests finish within `graceMs` (default: config shutdown.grace), stops every plugin. */
  stop(graceMs?: number): Promise<void>
}

export function createGateway(initial: GatewayConfig, { runtime, log, discoveryWaitMs = 5_000, role = 'single', port }: GatewayOptions): Gateway {
  const events = new GatewayEvents()
  const store = new UpstreamStore((address) => runtime.transport.release(address), events)
  const stopped = new AbortController()
  // What every plugin is started with (each gets the log prefixed with its name, and its own signal).
  const plugins: PluginContext = { log, signal: stopped.signal, io: runtime.io }
  const middlewares = new RouteMiddlewares(plugins)
  middlewares.prepare(initial, 0)()
  // Certificate sources (ACME) follow the hosts routes name: told after each swap that changed the routes.
  const routeChanges = new RouteChanges()
  const watcher = new Watcher(initial, { log, store, middleware: middlewares.handler, events, onRoutesChanged: () => routeChanges.notify() })
  let certificates: LiveCertificates | undefined
  const state = () => watcher.current()
  let coordination: CoordinationSession | undefined
  const probe = upstreamProbe(runtime.io)
  const scaling: Scaling = new Scaling({ store, state, log, events, probe: (pool, up) => (running.checker(pool) ?? answers(probe))(up), coordination: () => coordination })
  const releases = new Releases({ store, state, log, events, send: probe, coordination: () => coordination })
  const traffic = new Traffic()
  const tracing = new RequestTracing()
  const refusals = new ListenerRefusals(log)
  let server: RunningServer | undefined
  let redirectServer: RunningServer | undefined
  const listeners = () => ({
    openConnections: server?.openConnections && (server.openConnections() + (redirectServer?.openConnections?.() ?? 0)),
    refused: refusals.counts,
  })
  const running = new RunningPlugins({
    plugins, traffic, tracing, listeners, watcher, store, events, waitMs: discoveryWaitMs, certificates: () => certificates?.list(),
    onScaler: (slot, pool, scaler, signal) => scaling.register(slot, pool, scaler, signal),
    scaleOf: (pool) => scaling.view(pool),
    releases,
  })

  const app = new Hono<GatewayEnv>()
  // Registered once: a reload that changes healthPath names it as needing a restart.
  if (initial.healthPath) app.get(initial.healthPath, (c) => c.text('ok\n'))
  // ACME HTTP-01 on the main listener too (a CA follows redirects to it; or it is the plain one); unknown tokens go on to the routes.
  const certificateSource = initial.listen.tls?.certificates
  if (certificateSource?.challenge) {
    app.get('/.well-known/acme-challenge/:token', (c, next) => {
      const answer = certificateSource.challenge!(c.req.param('token'))
      return answer === undefined ? next() : c.text(answer)
    })
  }
  app.all('*', createRequestHandler({ runtime, events, state, traffic, tracing }))
  app.onError((err) => {
    // Duck-typed: middleware from a config bundle may carry its own copy of Hono.
    if (err instanceof HTTPException || typeof (err as HTTPException).getResponse === 'function') return (err as HTTPException).getResponse()
    log.error('request failed', { error: String((err as Error)?.stack ?? err) })
    return plain(500, 'gatehouse: internal error\n')
  })

  let reloading = Promise.resolve()

  return {
    app,
    events,
    watcher,
    store,
    scaling,
    releases,
    state,
    routes: () => state().routeList,
    pool: (name) => state().pools.get(name),
    certificates: () => certificates?.list(),
    async start() {
      if (role === 'worker') {
        server = await runtime.serve(app.fetch, { port: port ?? initial.listen.port, hostname: initial.listen.host, limits: serveLimits(initial.limits), reusePort: true, http2: serveHttp2(initial.listen.http2, false, runtime), onRefused: refusals.refused })
        log.info(`gatehouse worker listening on http://${initial.listen.host}:${server.port} (${runtime.name}, pid ${runtime.pid})`)
        return server
      }
      // Before discovery: a pool that starts asleep must not be woken by two gateways at once.
      if (initial.coordination) coordination = await startCoordination(initial.coordination, plugins)
      await running.start(initial)
      scaling.start()
      releases.start()
      const { host, tls } = initial.listen
      const limits = serveLimits(initial.limits)
      let listening: () => void = () => {}
      const facts = {
        hosts: () => routeHosts(state().routeList),
        onHostsChange: (listener: () => void) => routeChanges.subscribe(listener),
        listening: new Promise<void>((resolve) => (listening = resolve)),
        challenges: runtime.tlsAlpnChallenges ? (['http-01', 'tls-alpn-01'] as const) : (['http-01'] as const),
      }
      certificates = tls && (await startCertificates(tls.certificates, plugins, { hsts: tls.hsts && hstsHeader(tls.hsts), facts }))
      if (role === 'primary') {
        listening()
        return { port: initial.listen.port, close: async () => {} } // the workers serve (core/workers/primary.ts)
      }
      const http2 = serveHttp2(initial.listen.http2, Boolean(tls), runtime)
      server = await runtime.serve(app.fetch, { port: initial.listen.port, hostname: host, limits, tls: certificates, http2, onRefused: refusals.refused })
      log.info(`gatehouse listening on ${tls ? 'https' : 'http'}://${host}:${server.port} (${runtime.name})`)
      if (tls && certificates) log.info(`certificates from ${tls.certificates.name}: ${certificates.describe()}`)
      if (tls?.redirectHttp) {
        const httpsPort = tls.redirectHttp.httpsPort ?? server.port
        const redirect = httpsRedirect({ httpsPort, healthPath: initial.healthPath, challenge: tls.certificates.challenge?.bind(tls.certificates) })
        redirectServer = await runtime.serve(redirect, { port: tls.redirectHttp.port, hostname: host, limits, onRefused: refusals.refused })
        log.info(`redirecting http://${host}:${redirectServer.port} to https (port ${httpsPort})`)
      }
      listening()
      return server
    },
    reload(config) {
      // One reload at a time, in order: the last one always wins.
      const run = reloading.then(async () => {
        const before = state()
        const commit = middlewares.prepare(config, before.config.shutdown.grace) // throws before anything changes
        const report = role === 'worker' ? workerReload(watcher, config) : await running.reload(config)
        commit()
        scaling.sync()
        releases.sync()
        const after = state()
        report.restartNeeded = restartNeeded(initial, config)
        log.info(`config reloaded: generation ${after.generation}, ${after.routeList.length} routes, ${after.pools.size} pools`, summary(report))
        if (report.restartNeeded.length) log.warn(`config reloaded, but these take effect only after a restart: ${report.restartNeeded.join('; ')}`)
        return report
      })
      reloading = run.then(() => {}, () => {})
      return run
    },
    async stop(graceMs = state().config.shutdown.grace) {
      stopped.abort()
      scaling.stop()
      releases.stop()
      running.stopAll()
      middlewares.stopAll()
      await Promise.all([server?.close(graceMs), redirectServer?.close(graceMs)])
      await tracing.closed() // the drained requests' spans, exported before the process exits
      for (const members of store.all()) for (const up of members.list()) runtime.transport.release({ id: up.id, url: up.url })
    },
  }
}

/** A worker runs no plugins: a reload is the new config, with the sources' snapshots the primary fed. */
function workerReload(watcher: Watcher, config: GatewayConfig): ReloadReport {
  watcher.useConfig(config)
  const none = { kept: [], started: [], stopped: [] }
  return { discovery: none, health: none, observers: none, restartNeeded: [] }
}

function summary(r: ReloadReport): Record<string, unknown> {
  const part = (c: { kept: string[]; started: string[]; stopped: string[] }) => ({ kept: c.kept.length, started: c.started, stopped: c.stopped })
  return { discovery: part(r.discovery), health: part(r.health), observers: part(r.observers) }
}

/** What the listener gets of `listen.http2`; h2c on a runtime that cannot serve it is a config error, not a silent HTTP/1.1. */
function serveHttp2(h: Http2Config, tls: boolean, runtime: Runtime): ServeHttp2 | undefined {
  if (h.h2c && !runtime.http2?.h2c) throw new Error(`listen.http2.h2c: not available on ${runtime.name} (${runtime.http2?.why ?? 'no HTTP/2 server'})`)
  if (!h.enabled || (!tls && !h.h2c)) return undefined
  return { h2c: h.h2c, maxConcurrentStreams: h.maxConcurrentStreams }
}

function serveLimits(l: LimitsConfig): ServeLimits {
  return { maxHeaderBytes: l.maxHeaderBytes, maxHeaderCount: l.maxHeaderCount, headerTimeoutMs: l.headerTimeout, idleTimeoutMs: l.idleTimeout }
}
