/**
 * Assembles a gateway from a validated config: the pool registry, discovery sources, the route
 * table and the Hono app; `start()` serves it, `stop()` drains and stops everything.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { GatewayConfig } from '../config/schema.ts'
import type { DiscoveryPlugin, GatewayEnv, Logger } from '../types.ts'
import type { RunningServer, Runtime } from '../runtime/types.ts'
import { PoolRegistry } from '../pools/registry.ts'
import { trustChecker } from '../proxy/client-address.ts'
import { plain } from '../proxy/failure.ts'
import { staticUpstreams } from '../../plugins/static/index.ts'
import { compileRoutes } from './compile-routes.ts'
import { createRequestHandler } from './handle-request.ts'

export interface GatewayOptions {
  runtime: Runtime
  log: Logger
  /** How long startup waits for each discovery source's first snapshot. Default 5s. */
  discoveryWaitMs?: number
}

export interface Gateway {
  readonly app: Hono<GatewayEnv>
  readonly registry: PoolRegistry
  /** Starts discovery, then listens. */
  start(): Promise<RunningServer>
  /** Stops accepting, lets in-flight requests finish within `graceMs`, stops discovery. */
  stop(graceMs?: number): Promise<void>
}

export function createGateway(config: GatewayConfig, { runtime, log, discoveryWaitMs = 5_000 }: GatewayOptions): Gateway {
  const registry = new PoolRegistry(config.pools, log, (up) => runtime.transport.release(up))
  const table = compileRoutes(config.routes, registry)
  const app = new Hono<GatewayEnv>()
  app.all('*', createRequestHandler({ runtime, registry, routes: () => table, trusted: trustChecker(config.trustedProxies) }))
  app.onError((err) => {
    // Duck-typed: middleware from a config bundle may carry its own copy of Hono.
    if (err instanceof HTTPException || typeof (err as HTTPException).getResponse === 'function') return (err as HTTPException).getResponse()
    log.error('request failed', { error: String((err as Error)?.stack ?? err) })
    return plain(500, 'gatehouse: internal error\n')
  })

  const discovery = new AbortController()
  let server: RunningServer | undefined

  async function startDiscovery(): Promise<void> {
    const starts: Promise<void>[] = []
    for (const [name, pool] of Object.entries(config.pools)) {
      const sources: DiscoveryPlugin[] = [...(pool.upstreams ? [staticUpstreams(pool.upstreams)] : []), ...pool.discovery]
      sources.forEach((plugin, i) => {
        const id = `${plugin.name}@pools.${name}${sources.length > 1 ? `[${i}]` : ''}`
        starts.push(startSource(plugin, id, name))
      })
    }
    await Promise.all(starts)
  }

  async function startSource(plugin: DiscoveryPlugin, id: string, pool?: string): Promise<void> {
    const started = Promise.resolve()
      .then(() => plugin.start({ emit: (s) => void registry.apply(id, s), signal: discovery.signal, pool, log, serve: runtime.serve }))
      .catch((err) => log.error(`discovery ${id} failed to start`, { error: String(err?.message ?? err) }))
    let timer: ReturnType<typeof setTimeout> | undefined
    const waited = new Promise<void>((r) => (timer = setTimeout(() => (log.warn(`discovery ${id}: no snapshot yet, serving without it`), r()), discoveryWaitMs)))
    await Promise.race([started, waited])
    clearTimeout(timer)
  }

  return {
    app,
    registry,
    async start() {
      await startDiscovery()
      server = await runtime.serve(app.fetch, { port: config.listen.port, hostname: config.listen.host })
      log.info(`gatehouse listening on http://${config.listen.host}:${server.port} (${runtime.name})`)
      return server
    },
    async stop(graceMs = 10_000) {
      discovery.abort()
      await server?.close(graceMs)
      for (const pool of registry.all()) for (const up of pool.upstreams) runtime.transport.release(up)
    },
  }
}
