/**
 * Route middleware across reloads. A MiddlewarePlugin is set up once per object (so its state,
 * such as rate-limit buckets, survives route-table rebuilds), and a reloaded config whose slot
 * (`routes[2].use[0]`) holds the same plugin (name and options) keeps the handler already set up:
 * a reload does not reset rate limits or refetch JWKS. Each plugin gets its own abort signal; one
 * a reload dropped is stopped once the running requests had the shutdown grace to finish.
 */
import type { GatewayConfig } from '../config/schema.ts'
import type { MiddlewarePlugin, PluginContext } from '../plugin/contract.ts'
import { pluginContext } from '../plugin/context.ts'
import type { RouteMiddleware } from '../plugin/slots.ts'
import type { GatewayMiddleware } from '../types.ts'
import { runKey } from './plugin-runs.ts'

interface SetUp {
  handler: GatewayMiddleware
  stop: AbortController
}

export class RouteMiddlewares {
  private readonly ready = new WeakMap<MiddlewarePlugin, SetUp>()
  private live = new Map<string, SetUp>()

  constructor(private readonly gateway: PluginContext) {}

  /** The handler of a route's `use` entry (set up by `prepare`; a plain function runs as is). */
  handler = (m: RouteMiddleware): GatewayMiddleware => {
    if (typeof m === 'function') return m
    let entry = this.ready.get(m)
    if (!entry) this.ready.set(m, (entry = this.setUp(m, new AbortController()))) // a route built outside prepare (none today)
    return entry.handler
  }

  /**
   * Sets up every middleware plugin of `config`, reusing the handlers of the running config's
   * same slots. Throws when a setup throws, having stopped what it set up, so nothing changes;
   * returns the commit that stops what the new config no longer holds.
   */
  prepare(config: GatewayConfig, graceMs: number): () => void {
    const next = new Map<string, SetUp>()
    const made: SetUp[] = []
    try {
      config.routes.forEach((route, i) =>
        route.use.forEach((m, j) => {
          if (typeof m === 'function') return
          const key = runKey(`routes[${i}].use[${j}]`, m)
          // The same object (on several routes, or already running) is set up once; else the same slot's.
          let entry = this.ready.get(m) ?? next.get(key) ?? this.live.get(key)
          if (!entry) made.push((entry = this.setUp(m, new AbortController())))
          this.ready.set(m, entry)
          next.set(key, entry)
        }),
      )
    } catch (err) {
      for (const m of made) m.stop.abort()
      throw err
    }
    return () => {
      const dropped = [...this.live].filter(([key, e]) => !next.has(key) && ![...next.values()].includes(e)).map(([, e]) => e)
      this.live = next
      if (!dropped.length) return
      const timer = setTimeout(() => dropped.forEach((e) => e.stop.abort()), graceMs)
      ;(timer as { unref?: () => void }).unref?.()
    }
  }

  stopAll(): void {
    for (const e of this.live.values()) e.stop.abort()
  }

  private setUp(m: MiddlewarePlugin, stop: AbortController): SetUp {
    const signal = AbortSignal.any([stop.signal, this.gateway.signal])
    return { handler: m.setup(pluginContext(m, { ...this.gateway, signal })), stop }
  }
}
