/**
 * Route middleware as the request path runs it: a MiddlewarePlugin is set up once per object (so
 * its state, such as rate-limit buckets, survives route-table rebuilds); a plain function runs as is.
 */
import type { GatewayMiddleware } from '../types.ts'
import type { MiddlewarePlugin, PluginContext } from './contract.ts'
import { pluginContext } from './context.ts'
import type { RouteMiddleware } from './slots.ts'

export function middlewareSetup(gateway: PluginContext): (m: RouteMiddleware) => GatewayMiddleware {
  const ready = new WeakMap<MiddlewarePlugin, GatewayMiddleware>()
  return (m) => {
    if (typeof m === 'function') return m
    let handler = ready.get(m)
    if (!handler) ready.set(m, (handler = m.setup(pluginContext(m, gateway))))
    return handler
  }
}

/** The access guard a route's middleware declares (jwt, api-key …), for the open-door warning. */
export function guardOf(m: RouteMiddleware): string | undefined {
  return typeof m === 'object' && m !== null ? m.guards : undefined
}
