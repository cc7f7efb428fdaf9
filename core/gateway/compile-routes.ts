/** Turns validated route configs into table entries with everything the request path needs precomputed. */
import { every } from 'hono/combine'
import type { MiddlewareHandler } from 'hono'
import type { RouteConfig } from '../config/route-schema.ts'
import type { HeaderRules } from '../proxy/request-headers.ts'
import type { PathRules } from '../proxy/forward-path.ts'
import { RouteTable } from '../routing/route-table.ts'
import type { RouteMiddleware } from '../plugin/slots.ts'
import type { GatewayMiddleware } from '../types.ts'
import { traceGuard } from './trace-guard.ts'

export interface CompiledRoute {
  name: string
  /** The pool's name: a request takes the Pool from the state it read (`state.pools`). */
  pool: string
  hostHeader: RouteConfig['hostHeader']
  pathRules: PathRules
  requestRules?: HeaderRules
  responseRules?: HeaderRules
  /** The route's middleware composed with Hono's own `every`; undefined when there is none. */
  chain?: MiddlewareHandler
  /** Largest request body in bytes (`maxBodySize`); undefined: no limit. */
  maxBodySize?: number
}

/** `middleware` turns a route's `use` entry into its handler (plugins are set up once, core/plugin/middleware.ts). */
export function compileRoutes(routes: readonly RouteConfig[], middleware: (m: RouteMiddleware) => GatewayMiddleware): RouteTable<CompiledRoute> {
  return new RouteTable(
    routes.map((r) => ({
      hosts: r.host === undefined ? undefined : Array.isArray(r.host) ? r.host : [r.host],
      path: r.path,
      methods: r.methods,
      headers: r.headers,
      payload: {
        name: r.name ?? `${Array.isArray(r.host) ? r.host.join(',') : (r.host ?? '')}${r.path}`,
        pool: r.pool,
        hostHeader: r.hostHeader,
        pathRules: {
          stripPrefix: r.stripPrefix,
          rewrite: r.rewrite && { re: new RegExp(r.rewrite.pattern), replacement: r.rewrite.replacement },
        },
        requestRules: r.requestHeaders && toRules(r.requestHeaders),
        responseRules: r.responseHeaders && toRules(r.responseHeaders),
        chain: r.use.length ? (every(...r.use.map((m) => traceGuard(m, middleware(m)))) as MiddlewareHandler) : undefined,
        maxBodySize: r.maxBodySize,
      },
    })),
  )
}

function toRules(h: { set: Record<string, string>; remove: string[] }): HeaderRules {
  return {
    set: Object.fromEntries(Object.entries(h.set).map(([k, v]) => [k.toLowerCase(), v])),
    remove: new Set(h.remove.map((n) => n.toLowerCase())),
  }
}
