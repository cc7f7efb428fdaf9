/**
 * The one Hono handler every request goes through: refuse malformed requests (request-checks.ts),
 * read the target, normalize the path, match a route, run its middleware, proxy to its pool.
 * 400 for a target that cannot be normalized, 404 when no route matches.
 */
import type { Context } from 'hono'
import type { BalanceContext, GatewayEnv } from '../types.ts'
import type { PoolRegistry } from '../pools/registry.ts'
import type { ContentEncoding, Inbound, Runtime } from '../runtime/types.ts'
import type { RouteTable } from '../routing/route-table.ts'
import { matchingPath, normalizePath } from '../routing/normalize-path.ts'
import { normalizeHost } from '../routing/host-pattern.ts'
import { clientAddress, type TrustCheck } from '../proxy/client-address.ts'
import { applyResponseRules, buildRequestHeaders, mergePendingHeaders } from '../proxy/request-headers.ts'
import { forwardPath } from '../proxy/forward-path.ts'
import { withUpstreamHeaders } from '../proxy/upstream-headers.ts'
import { plain } from '../proxy/failure.ts'
import { limitRequestBody, PAYLOAD_TOO_LARGE } from '../runtime/io/body-limit.ts'
import { proxy } from '../proxy/proxy.ts'
import { encodeWebBody } from '../runtime/web/compression.ts'
import type { CompiledRoute } from './compile-routes.ts'
import { cookieValue, parseTarget } from './request-target.ts'
import { refuseMalformed, validHost } from './request-checks.ts'
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
    const refused = refuseMalformed(inbound)
    if (refused) return refused
    const target = parseTarget(inbound.target)
    const path = target && normalizePath(target.path)
    if (!target || path === undefined || (target.authority !== undefined && !validHost(target.authority))) {
      return plain(400, 'gatehouse: bad request target\n', { connection: 'close' })
    }

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
    if (route.maxBodySize !== undefined && inbound.hasBody) {
      const tooLarge = bodyOverLimit(c, inbound, route.maxBodySize)
      if (tooLarge) return tooLarge
    }

    const balance: BalanceContext = {
      clientIp,
      header: (name) => inbound.header(name.toLowerCase()),
      cookie: (name) => cookieValue(inbound.header('cookie'), name),
    }
    // Headers middleware set for the response before next() (c.header(), as cors, security-headers
    // and rate-limit do): merged into the upstream's head, like Hono merges them into a Response.
    let pending: Headers | undefined
    let headSent = false
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
      const encoder = c.get('responseEncoder')
      let encoding: ContentEncoding | undefined
      const proxied = proxy(
        c,
        {
          inbound,
          pool: route.pool,
          path: forwardPath(path, target.query, route.pathRules),
          headers,
          upstreamHost: route.hostHeader === 'upstream',
          balance,
          onResponseHead: (rules || pending || encoder) && ((status, h) => {
            if (rules) applyResponseRules(h, rules)
            if (pending) mergePendingHeaders(h, pending)
            headSent = true
            return (encoding = encoder?.(status, h, runtime.compression))
          }),
          record: rec && (handOver!(), (rec.consumer = c.get('consumer')), rec),
          report,
        },
        runtime.transport,
        registry,
      )
      // Bun and Deno return a Web Response: its body is encoded here (Node's transport did it already).
      return encoder && !runtime.compression.inTransport ? proxied.then((res) => (encoding ? encodeWebBody(res, encoding) : res)) : proxied
    }
    if (!route.chain) return send()
    let proxied: Response | undefined
    let assigned: Response | undefined
    await route.chain(c, async () => {
      pending = c.res.headers
      proxied = await send()
      c.res = proxied
      assigned = c.res
    })
    // The upstream's head already has the pending headers: return the transport's own Response,
    // not Hono's merged copy of it (on Node it is RESPONSE_ALREADY_SENT, which Node's Hono adapter
    // must get back as is, or it writes a second head and cuts the body being streamed).
    return headSent && c.res === assigned ? proxied! : c.res
  }
}

/**
 * A route's `maxBodySize`: a declared Content-Length over it is answered 413 here, before any
 * upstream is contacted (with `Connection: close`, so the body is not read); a body of unknown
 * length is counted by the runtime as it arrives (core/runtime/io/body-limit.ts).
 */
function bodyOverLimit(c: Context, inbound: Inbound, max: number): Response | undefined {
  const length = inbound.header('content-length')
  if (length !== undefined && inbound.header('transfer-encoding') === undefined) {
    return Number(length) > max ? plain(413, PAYLOAD_TOO_LARGE, { connection: 'close', 'x-gatehouse-error': 'body-too-large' }) : undefined
  }
  limitRequestBody(c.req.raw, max)
  return undefined
}
