/**
 * The one Hono handler every request goes through: refuse malformed requests (request-checks.ts),
 * read the target, normalize the path, match a route, run its middleware, proxy to its pool.
 * 400 for a target that cannot be normalized, 404 when no route matches.
 */
import type { Context } from 'hono'
import type { BalanceContext, GatewayEnv } from '../types.ts'
import type { Inbound, Runtime } from '../runtime/types.ts'
import { matchingPath, normalizePath } from '../routing/normalize-path.ts'
import { normalizeHost } from '../routing/host-pattern.ts'
import { clientAddress } from '../proxy/client-address.ts'
import { applyResponseRules, buildRequestHeaders } from '../proxy/request-headers.ts'
import { forwardPath } from '../proxy/forward-path.ts'
import { withUpstreamHeaders } from '../proxy/upstream-headers.ts'
import { plain } from '../proxy/failure.ts'
import { Exchange } from '../proxy/exchange.ts'
import { PAYLOAD_TOO_LARGE } from '../runtime/io/body-limit.ts'
import { proxy } from '../proxy/proxy.ts'
import { grpcAnswer, grpcTimeoutMs } from '../proxy/grpc.ts'
import type { GatewayState } from './state.ts'
import { aroundProxy } from './around-proxy.ts'
import { encodeWebBody } from '../runtime/web/compression.ts'
import { cookieValue, parseTarget } from './request-target.ts'
import { refuseMalformed, validHost } from './request-checks.ts'
import type { GatewayEvents, Rejection, RequestRecord } from './events.ts'
import { splitTagHost } from '../release/tag-host.ts'
import type { Traffic } from './traffic.ts'
import type { RequestTracing } from './request-tracing.ts'
import { REQUEST_ID, requestId, setRequestIdHeader } from './request-id.ts'

export interface HandlerDeps {
  events: GatewayEvents
  runtime: Runtime
  /** The state in force (swapped whole by the watcher): read once per request. */
  state: () => GatewayState
  /** Requests in flight, gateway-wide (for observers). */
  traffic?: Traffic
  /** The tracer in force, if a tracing observer runs. */
  tracing?: RequestTracing
}

/** A traced request keeps a record for its trace even when no observer listens for records. */
const KEEP_RECORD = () => {}

export function createRequestHandler(deps: HandlerDeps) {
  const { runtime, events, traffic, tracing } = deps
  const report = (r: RequestRecord) => events.emit('request', r)
  const handle = route(deps)
  return async (c: Context<GatewayEnv>): Promise<Response> => {
    const request = runtime.request(c)
    const trace = tracing?.tracer?.begin(request.inbound)
    const ex = new Exchange(request, events.has('request') ? report : trace && KEEP_RECORD, trace)
    if (trace) c.set('trace', trace)
    if (traffic) {
      traffic.inflight++
      ex.onEnd(traffic.ended)
    }
    let res: Response
    try {
      res = await handle(c, ex)
    } catch (err) {
      // Answered by app.onError: an HTTPException's status, else 500.
      ex.threw((err as { status?: number })?.status ?? 500, ex.observed ? c.get('consumer') : undefined)
      throw err
    }
    // A gRPC client reads the gateway's own refusals and failures only as a gRPC status (grpc.ts).
    if (!ex.headSent && res.status !== 200 && ex.grpc) {
      res = await grpcAnswer(res)
      ex.grpcStatus(Number(res.headers.get('grpc-status')))
    }
    ex.respond(res.status, ex.observed ? c.get('consumer') : undefined)
    // The gateway's own answer (an upstream's head got the ID through the exchange's hook).
    const id = c.get('requestId')
    if (id !== undefined && !ex.headSent) {
      try {
        res.headers.set(REQUEST_ID, id)
      } catch {
        // Immutable headers: a response passed through from elsewhere.
      }
    }
    return res
  }
}

function route({ state: current, runtime }: HandlerDeps) {
  return async (c: Context<GatewayEnv>, ex: Exchange): Promise<Response> => {
    const { inbound } = ex.request
    const state = current()
    const peer = inbound.remoteAddress
    const isTrusted = state.trusted(peer)
    const id = requestId(isTrusted ? inbound.header(REQUEST_ID) : undefined)
    c.set('requestId', id)
    if (ex.record) ex.record.requestId = id
    const refused = refuseMalformed(inbound)
    if (refused) return rejected(ex, refused, refused.headers.get('x-gatehouse-error') as Rejection)
    const target = parseTarget(inbound.target)
    const path = target && normalizePath(target.path)
    if (!target || path === undefined || (target.authority !== undefined && !validHost(target.authority))) {
      return rejected(ex, plain(400, 'gatehouse: bad request target\n', { connection: 'close' }), 'bad-target')
    }

    let addressed = target.authority ?? inbound.header('host') ?? ''
    const host = normalizeHost(addressed)
    const routed = { method: inbound.method, path: matchingPath(path) ?? path, header: inbound.header }
    // A tag host (`v2--app.example.com`) routes as its host, pinned to the version, where the pool's release allows it.
    const tagged = host.includes('--') ? splitTagHost(host) : undefined
    let match: ReturnType<typeof state.routes.match> | undefined
    let pinned: string | undefined
    if (tagged) {
      const m = state.routes.match({ host: tagged.host, ...routed })
      if (m && state.config.pools[m.payload.pool]?.release?.tagHost) {
        match = m
        pinned = tagged.tag
        addressed = addressed.slice(tagged.tag.length + 2)
      }
    }
    match ??= state.routes.match({ host, ...routed })
    if (!match) return rejected(ex, plain(404, 'gatehouse: no route for this host and path\n'), 'no-route')
    const route = match.payload

    const pool = state.pools.get(route.pool)!
    const clientIp = isTrusted ? clientAddress(peer, inbound.header('x-forwarded-for'), state.trusted) : peer
    ex.routed(path, route.name, route.pool, clientIp)
    if (ex.record) ex.record.requestBytes = inbound.hasBody ? lengthOf(declaredLength(inbound)) : 0
    c.set('clientIp', clientIp)
    c.set('pool', route.pool)
    c.set('params', match.params)
    // gRPC keeps its status in trailers: where this connection cannot carry them (HTTP/1.1, Deno.serve's
    // HTTP/2), a gRPC error that says so (UNIMPLEMENTED, grpc.ts), not a call whose status never arrives.
    if (ex.grpc && !ex.request.trailers) return rejected(ex, plain(501, GRPC_WITHOUT_TRAILERS, { 'x-gatehouse-error': 'grpc-without-trailers' }), 'grpc-without-trailers')
    let overLimit: Promise<Response> | undefined
    if (route.maxBodySize !== undefined && inbound.hasBody) {
      // A declared length over the limit: 413 before any upstream is contacted (`Connection: close`,
      // so the body is not read). A body of unknown length is counted by the runtime as it arrives.
      const length = declaredLength(inbound)
      if (length === undefined) overLimit = ex.limitBody(route.maxBodySize)
      else if (Number(length) > route.maxBodySize) return rejected(ex, plain(413, PAYLOAD_TOO_LARGE, { connection: 'close', 'x-gatehouse-error': 'body-too-large' }), 'body-too-large')
    }

    const balance: BalanceContext = {
      clientIp,
      header: (name) => inbound.header(name.toLowerCase()),
      cookie: (name) => cookieValue(inbound.header('cookie'), name),
    }
    const rules = route.responseRules
    if (rules) ex.onResponseHead((_status, headers) => applyResponseRules(headers, rules))
    ex.onResponseHead((_status, headers) => setRequestIdHeader(headers, id))
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
          requestId: id,
        },
        withUpstreamHeaders(route.requestRules, c.get('upstreamHeaders')),
        inbound.websocket,
      )
      const consumer = ex.observed || pool.release ? c.get('consumer') : undefined
      const grpcMs = ex.grpc ? grpcTimeoutMs(inbound.header('grpc-timeout')) : undefined
      const deadline = grpcMs === undefined ? undefined : Date.now() + grpcMs
      const call = { pool, path: forwardPath(path, target.query, route.pathRules), clientPath: path, headers, upstreamHost: route.hostHeader === 'upstream', balance, consumer, version: pinned, deadline }
      // A response encoder (compress) set by middleware: the exchange asks it once the head is known.
      const encoder = c.get('responseEncoder')
      const compression = ex.request.compression ?? runtime.compression
      if (encoder) ex.encodeWith((status, h) => encoder(status, h, compression))
      const proxied = proxy(ex, call, runtime.transport)
      // Bun and Deno return a Web Response: its body is encoded here (Node's transport did it already).
      return encoder && !compression.inTransport ? proxied.then((res) => (ex.encoding ? encodeWebBody(res, ex.encoding) : res)) : proxied
    }
    const answer = route.chain ? aroundProxy(c, ex, route.chain, send) : send()
    // A body over the limit as it arrives: the runtime's 413 wins if no response has started.
    return overLimit ? Promise.race([answer, overLimit]) : answer
  }
}

/** Notes why the request was refused (metrics count refusals by it), then refuses it. */
const GRPC_WITHOUT_TRAILERS = 'gatehouse: gRPC needs response trailers, which this connection cannot carry (HTTP/1.1, or HTTP/2 from Deno.serve): call over HTTP/2 a gateway on Node or Bun\n'

function rejected(ex: Exchange, response: Response, reason: Rejection): Response {
  if (ex.record) ex.record.rejected = reason
  return response
}

function lengthOf(declared: string | undefined): number | undefined {
  return declared === undefined ? undefined : Number(declared)
}

/** The body's Content-Length, unless Transfer-Encoding makes its length unknown. */
function declaredLength(inbound: Inbound): string | undefined {
  return inbound.header('transfer-encoding') === undefined ? inbound.header('content-length') : undefined
}
