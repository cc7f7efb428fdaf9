/**
 * The one Hono handler every request goes through: read the target, normalize the path,
 * match a route, run its middleware, proxy to its pool. 400 for a target that cannot be
 * normalized, 404 when no route matches.
 */
import type { Context } from 'hono'
import type { BalanceContext, GatewayEnv } from '../types.ts'
import type { PoolRegistry } from '../pools/registry.ts'
import type { Inbound, Runtime } from '../runtime/types.ts'
import type { RouteTable } from '../routing/route-table.ts'
import { matchingPath, normalizePath } from '../routing/normalize-path.ts'
import { normalizeHost } from '../routing/host-pattern.ts'
import { clientAddress, type TrustCheck } from '../proxy/client-address.ts'
import { applyResponseRules, buildRequestHeaders } from '../proxy/request-headers.ts'
import { forwardPath } from '../proxy/forward-path.ts'
import { withUpstreamHeaders } from '../proxy/upstream-headers.ts'
import { plain } from '../proxy/failure.ts'
import { proxy } from '../proxy/proxy.ts'
import type { CompiledRoute } from './compile-routes.ts'
import { cookieValue, parseTarget } from './request-target.ts'
import type { GatewayEvents, RequestRecord } from './events.ts'

export interface HandlerDeps {
  events: GatewayEvents
  runtime: Runtime
  registry: PoolRegistry
  /** Current route table (swapped when discovered routes change). */
  routes: () => RouteTable<CompiledRoute>
  trusted: TrustCheck
}

export function createRequestHandler(deps: HandlerDeps) {
  const { runtime, events } = deps
  const report = (r: RequestRecord) => events.emit('request', r)
  const handle = route(deps)
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const inbound = runtime.inbound(c)
    if (!events.has('request')) return handle(c, inbound)
    const rec: RequestRecord = {
      time: Date.now(), method: inbound.method, host: inbound.header('host') ?? '', path: inbound.target,
      status: 0, durationMs: 0, tries: 0, retryReasons: [], clientIp: inbound.remoteAddress,
    }
    let handedOver = false // the proxy reports once the exchange has really ended
    const res = await handle(c, inbound, rec, () => (handedOver = true), report)
    if (!handedOver) {
      rec.status = res.status
      rec.durationMs = Date.now() - rec.time
      rec.consumer = c.get('consumer')
      report(rec)
    }
    return res
  }
}

function route({ registry, routes, trusted, runtime }: HandlerDeps) {
  return async (
    c: Context<GatewayEnv>,
    inbound: Inbound,
    rec?: RequestRecord,
    handOver?: () => void,
    report?: (r: RequestRecord) => void,
  ): Promise<Response> => {
    const target = parseTarget(inbound.target)
    const path = target && normalizePath(target.path)
    if (!target || path === undefined) return plain(400, 'gatehouse: bad request target\n')

    const addressed = target.authority ?? inbound.header('host') ?? ''
    const match = routes().match({ host: normalizeHost(addressed), method: inbound.method, path: matchingPath(path) ?? path, header: inbound.header })
    if (!match) return plain(404, 'gatehouse: no route for this host and path\n')
    const route = match.payload
    if (rec) {
      rec.path = path
      rec.route = route.name
      rec.pool = route.pool.name
    }

    const peer = inbound.remoteAddress
    const isTrusted = trusted(peer)
    const clientIp = isTrusted ? clientAddress(peer, inbound.header('x-forwarded-for'), trusted) : peer
    c.set('clientIp', clientIp)
    if (rec) rec.clientIp = clientIp
    c.set('pool', route.pool.name)
    c.set('params', match.params)

    const balance: BalanceContext = {
      clientIp,
      header: (name) => inbound.header(name.toLowerCase()),
      cookie: (name) => cookieValue(inbound.header('cookie'), name),
    }
    const send = () => {
      const headers = buildRequestHeaders(
        inbound.rawHeaders,
        {
          peer,
          trusted: isTrusted,
          clientIp,
          proto: inbound.secure ? 'https' : 'http',
          host: addressed,
          hostHeader: route.hostHeader === 'preserve' ? addressed : route.hostHeader,
        },
        withUpstreamHeaders(route.requestRules, c.get('upstreamHeaders')),
        inbound.websocket,
      )
      const rules = route.responseRules
      return proxy(
        c,
        {
          inbound,
          pool: route.pool,
          path: forwardPath(path, target.query, route.pathRules),
          headers,
          upstreamHost: route.hostHeader === 'upstream',
          balance,
          onResponseHead: rules && ((_status, h) => applyResponseRules(h, rules)),
          record: rec && (handOver!(), (rec.consumer = c.get('consumer')), rec),
          report,
        },
        runtime.transport,
        registry,
      )
    }
    if (!route.chain) return send()
    await route.chain(c, async () => {
      c.res = await send()
    })
    return c.res
  }
}
