/**
 * Assembles a gateway from a validated config: the pool registry, discovery sources, the route
 * table and the Hono app; `start()` serves it, `stop()` drains and stops everything.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { GatewayConfig } from '../config/schema.ts'
import type { RouteConfig } from '../config/route-schema.ts'
import type { DiscoverySnapshot, GatewayEnv, Logger } from '../types.ts'
import type { RunningServer, Runtime } from '../runtime/types.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import { PoolRegistry } from '../pools/registry.ts'
import { trustChecker } from '../proxy/client-address.ts'
import { plain } from '../proxy/failure.ts'
import { compileRoutes } from './compile-routes.ts'
import { DiscoveredRoutes } from './discovered-routes.ts'
import { createRequestHandler } from './handle-request.ts'
import { startDiscovery } from './start-discovery.ts'
import { GatewayEvents } from './events.ts'
import { gatewayView } from './gateway-view.ts'
import { httpsRedirect } from './https-redirect.ts'
import { hstsHeader } from '../config/tls-schema.ts'
import type { LimitsConfig } from '../config/limits-schema.ts'
import type { ServeLimits } from '../runtime/types.ts'
import { startCertificates, type LiveCertificates } from '../tls/live-certificates.ts'
import type { PluginContext } from '../plugin/contract.ts'
import { pluginContext } from '../plugin/context.ts'
import { middlewareSetup } from '../plugin/middleware.ts'
import { openDoors } from '../routing/open-doors.ts'
import { RouteChanges, routeHosts } from './route-hosts.ts'

export interface GatewayOptions {
  runtime: Runtime
  log: Logger
  /** How long startup waits for each discovery source's first snapshot. Default 5s. */
  discoveryWaitMs?: number
}

export interface Gateway {
  readonly app: Hono<GatewayEnv>
  readonly registry: PoolRegistry
  /** What happens while it runs: requests, pool changes, health flips, discovery results. */
  readonly events: GatewayEvents
  /** The routes in force (config and discovered). */
  routes(): readonly RouteConfig[]
  /** The HTTPS listener's certificates (served, and what their source manages); undefined without TLS or before start. */
  certificates(): ReturnType<LiveCertificates['list']> | undefined
  /** Starts discovery, then listens. */
  start(): Promise<RunningServer>
  /** Stops accepting, lets in-flight requests finish within `graceMs` (default: config shutdown.grace), stops discovery. */
  stop(graceMs?: number): Promise<void>
}

export function createGateway(config: GatewayConfig, { runtime, log, discoveryWaitMs = 5_000 }: GatewayOptions): Gateway {
  const events = new GatewayEvents()
  const registry = new PoolRegistry(config.pools, log, (up) => runtime.transport.release(up), events)
  const discoveredRoutes = new DiscoveredRoutes(config.routes, log)
  const discovery = new AbortController()
  // What every plugin is started with (each gets the log prefixed with its name).
  const plugins: PluginContext = { log, signal: discovery.signal, io: runtime.io }
  const middleware = middlewareSetup(plugins)
  // Swapped whole when discovered routes change; a request reads whichever table is current.
  let table = compileRoutes(config.routes, registry, middleware)

  const app = new Hono<GatewayEnv>()
  if (config.healthPath) app.get(config.healthPath, (c) => c.text('ok\n'))
  // ACME HTTP-01 on the main listener too (a CA follows redirects to it; or it is the plain one); unknown tokens go on to the routes.
  const certificateSource = config.listen.tls?.certificates
  if (certificateSource?.challenge) {
    app.get('/.well-known/acme-challenge/:token', (c, next) => {
      const answer = certificateSource.challenge!(c.req.param('token'))
      return answer === undefined ? next() : c.text(answer)
    })
  }
  app.all('*', createRequestHandler({ runtime, events, routes: () => table, trusted: trustChecker(config.trustedProxies) }))
  app.onError((err) => {
    // Duck-typed: middleware from a config bundle may carry its own copy of Hono.
    if (err instanceof HTTPException || typeof (err as HTTPException).getResponse === 'function') return (err as HTTPException).getResponse()
    log.error('request failed', { error: String((err as Error)?.stack ?? err) })
    return plain(500, 'gatehouse: internal error\n')
  })

  // Discovered routes that name a pool nobody defines are left out (with an error naming the field)
  // until a source reports that pool; so the table is rebuilt when the set of known pools changes.
  let knownPools = ''
  let doors = new Set(openDoors(config.routes))
  const onSnapshot = (source: string, snapshot: DiscoverySnapshot) => {
    if (registry.apply(source, snapshot).length) return // rejected whole: the last good one stays
    const routesChanged = snapshot.routes !== undefined && discoveredRoutes.apply(source, snapshot.routes)
    const known = registry.all().filter((p) => registry.known(p.name)).map((p) => p.name).join(',')
    if (!routesChanged && known === knownPools) return
    knownPools = known
    const routes = discoveredRoutes.effective().filter((r) => {
      const from = discoveredRoutes.sourceOf(r)
      if (from === 'config' || registry.known(r.pool)) return true
      unknownPools.report(`discovery ${from}: route ${routeLabel(r)}: pool: no pool named "${r.pool}" (known: ${known || 'none'}); route left out until a source reports it`)
      return false
    })
    unknownPools.settle()
    const next = new Set(openDoors(routes, (i) => (i < config.routes.length ? `routes[${i}]` : `route ${routeLabel(routes[i]!)} from ${discoveredRoutes.sourceOf(routes[i]!)}`)))
    for (const w of next) if (!doors.has(w)) log.warn(w)
    doors = next
    if (!routesChanged && routes.length === activeRoutes.length && routes.every((r, i) => r === activeRoutes[i])) return
    table = compileRoutes(routes, registry, middleware)
    activeRoutes = routes
    routeChanges.notify()
    log.info(`routes: ${routes.length} active after a change from ${source}`)
  }
  const unknownPools = onceEach((line) => log.error(line))

  let server: RunningServer | undefined
  let redirectServer: RunningServer | undefined
  let certificates: LiveCertificates | undefined
  const routeChanges = new RouteChanges()
  let listening: () => void = () => {}

  let activeRoutes: readonly RouteConfig[] = config.routes
  return {
    app,
    registry,
    events,
    routes: () => activeRoutes,
    certificates: () => certificates?.list(),
    async start() {
      for (const w of doors) log.warn(w)
      // Observers first: they see every snapshot and pool change, the first ones included.
      const checkers = new Map<string, (up: UpstreamRuntime) => Promise<boolean>>()
      const view = gatewayView(registry, events, { routes: () => activeRoutes, routeSource: (r) => discoveredRoutes.sourceOf(r), checkers, certificates: () => certificates?.list() })
      for (const observer of config.observe) await observer.start({ ...pluginContext(observer, plugins), gateway: view })
      await startDiscovery(config, { ...plugins, onSnapshot, waitMs: discoveryWaitMs })
      for (const [name, pool] of Object.entries(config.pools)) {
        const health = pool.health?.start({ ...pluginContext(pool.health, plugins), pool: registry.ensure(name).healthView })
        if (health) checkers.set(name, (up) => health.checkNow(up))
      }
      const { host, tls } = config.listen
      const limits = serveLimits(config.limits)
      const facts = {
        hosts: () => routeHosts(activeRoutes),
        onHostsChange: (listener: () => void) => routeChanges.subscribe(listener),
        listening: new Promise<void>((resolve) => (listening = resolve)),
        challenges: runtime.tlsAlpnChallenges ? (['http-01', 'tls-alpn-01'] as const) : (['http-01'] as const),
      }
      certificates = tls && (await startCertificates(tls.certificates, plugins, { hsts: tls.hsts && hstsHeader(tls.hsts), facts }))
      server = await runtime.serve(app.fetch, { port: config.listen.port, hostname: host, limits, tls: certificates })
      log.info(`gatehouse listening on ${tls ? 'https' : 'http'}://${host}:${server.port} (${runtime.name})`)
      if (tls && certificates) log.info(`certificates from ${tls.certificates.name}: ${certificates.describe()}`)
      if (tls?.redirectHttp) {
        const httpsPort = tls.redirectHttp.httpsPort ?? server.port
        const redirect = httpsRedirect({ httpsPort, healthPath: config.healthPath, challenge: tls.certificates.challenge?.bind(tls.certificates) })
        redirectServer = await runtime.serve(redirect, { port: tls.redirectHttp.port, hostname: host, limits })
        log.info(`redirecting http://${host}:${redirectServer.port} to https (port ${httpsPort})`)
      }
      listening()
      return server
    },
    async stop(graceMs = config.shutdown.grace) {
      discovery.abort()
      await Promise.all([server?.close(graceMs), redirectServer?.close(graceMs)])
      for (const pool of registry.all()) for (const up of pool.upstreams) runtime.transport.release(up)
    },
  }
}

const routeLabel = (r: RouteConfig) => JSON.stringify(r.name ?? `${r.host === undefined ? '' : [r.host].flat().join(',')}${r.path}`)

/** Logs each line once while it keeps being reported; a line that stops and comes back is logged again. */
function onceEach(log: (line: string) => void) {
  let before = new Set<string>()
  let now = new Set<string>()
  return {
    report(line: string) {
      if (!before.has(line) && !now.has(line)) log(line)
      now.add(line)
    },
    settle() {
      before = now
      now = new Set()
    },
  }
}

function serveLimits(l: LimitsConfig): ServeLimits {
  return { maxHeaderBytes: l.maxHeaderBytes, maxHeaderCount: l.maxHeaderCount, headerTimeoutMs: l.headerTimeout, idleTimeoutMs: l.idleTimeout }
}
