/**
 * The undici client as both the Node and the Deno transport use it (Deno's own fetch always
 * decompresses bodies): one keep-alive Pool per upstream address, the dispatch call, and undici's
 * error codes read as the core's failure kinds.
 */
// The deep path: Bun maps the bare name `undici` to a built-in stub without Client or Pool.
import { Client, Pool, type Dispatcher } from 'undici/index.js'
import { UpstreamClients } from './upstream-clients.ts'
import type { FailureKind, OutboundRequest, UpstreamFailure, UpstreamTarget } from './types.ts'

const KIND_BY_CODE: Record<string, FailureKind> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EAI_AGAIN: 'refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  UND_ERR_HEADERS_TIMEOUT: 'first-byte-timeout',
  UND_ERR_BODY_TIMEOUT: 'idle-timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  // undici refused the request itself (a header or body it will not send): the request's fault.
  UND_ERR_INVALID_ARG: 'bad-request',
  UND_ERR_NOT_SUPPORTED: 'bad-request',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'bad-request',
}

export function classify(err: unknown): UpstreamFailure {
  const e = err as { code?: string; message?: string; cause?: { code?: string } }
  const kind = KIND_BY_CODE[e?.code ?? ''] ?? KIND_BY_CODE[e?.cause?.code ?? ''] ?? 'error'
  return { kind, message: e?.message ?? String(err) }
}

/** Streams one HTTP/2 connection to an upstream carries at once (the upstream's own SETTINGS may lower it). */
const H2_STREAMS = 100

/**
 * A transport's undici clients, one per upstream address, made with the first request's connect
 * timeout: a keep-alive Pool of HTTP/1.1 connections; for `h2c` one Client whose single
 * connection multiplexes up to H2_STREAMS requests (prior knowledge, undici's useH2c); for `h2`
 * a Pool whose connections offer h2 by ALPN (and fall back to HTTP/1.1 if the upstream does).
 * `http2Client`, where given, makes the clients of h2c and h2 upstreams instead.
 */
export function undiciPools(http2Client?: (url: URL, req: OutboundRequest) => DispatchClient): UpstreamClients<DispatchClient, OutboundRequest> {
  return new UpstreamClients<DispatchClient, OutboundRequest>(
    (url, req, protocol) => {
      if (protocol && http2Client) return http2Client(url, req)
      const common = { connectTimeout: req.timeouts.connect, keepAliveTimeout: 30_000 }
      // useH2c is in undici 7's Client (H2CClient uses it) but not yet in its typings.
      if (protocol === 'h2c') return multiplexBodies(new Client(url.origin, { ...common, allowH2: true, useH2c: true, pipelining: H2_STREAMS, maxConcurrentStreams: H2_STREAMS } as Client.Options))
      if (protocol === 'h2') return new Pool(url.origin, { ...common, allowH2: true, pipelining: 1, maxConcurrentStreams: H2_STREAMS })
      return new Pool(url.origin, { ...common, pipelining: 1 })
    },
    (client) => void client.close().catch(() => client.destroy()), // in-flight requests finish first
  )
}

/**
 * undici 7's HTTP/2 client sends a request that is not idempotent (POST: every gRPC call) or whose
 * body is a stream (every proxied body) only when no other request is running on the connection,
 * so such requests went one at a time over the single h2c connection: gRPC unary calls were
 * serialized (~350 calls/s at any concurrency, a quarter of direct) and a long streaming call held
 * back every other call to that upstream until it ended. HTTP/2 streams are independent (a body
 * that fails resets its own stream only), and undici 8 dropped both checks (nodejs/undici#5391,
 * #5538); the same is done here on each new connection's HTTP/2 context: its `busy()` is asked
 * about the request as if it were idempotent and bodiless, so every other check it makes (an
 * upgrade or CONNECT before the peer's SETTINGS; in undici 8 the stream limit) still holds. Found
 * by the symbol's description, as undici exports neither; where it is not found, nothing changes.
 */
function multiplexBodies(client: Client): Client {
  client.on('connect', () => {
    // 'connect' is emitted right after the context is made and before any queued request is written.
    const key = Object.getOwnPropertySymbols(client).find((s) => s.description === 'http context')
    const context = key && ((client as unknown as Record<symbol, unknown>)[key] as H2Context | null)
    if (context?.version !== 'h2' || typeof context.busy !== 'function') return
    const busy = context.busy.bind(context)
    context.busy = (request) => busy(request && { method: request.method, upgrade: request.upgrade, idempotent: true, body: null })
  })
  return client
}

interface H2Context {
  version: string
  busy(request: { method?: string; upgrade?: string | null; idempotent?: boolean; body?: unknown } | null): boolean
}

/** What a transport needs of an upstream client: undici's Client and Pool, or node-http2/h2-client.ts. */
export interface DispatchClient {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean
  close(): Promise<void>
  destroy(): unknown
}

/** Sends one request to one upstream through its keep-alive pool. */
export function dispatch(pool: DispatchClient, up: UpstreamTarget, req: OutboundRequest, body: Dispatcher.DispatchOptions['body'], handler: Dispatcher.DispatchHandler): void {
  try {
    pool.dispatch(
      {
        origin: up.url.origin,
        path: req.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body,
        headersTimeout: req.timeouts.firstByte,
        bodyTimeout: req.timeouts.idle,
        // undici would take the TLS name (SNI, certificate check) from the Host header, which is
        // the client's host when it is preserved: the upstream's own name is the one to verify.
        servername: serverName(up.url),
      } as Dispatcher.DispatchOptions,
      handler,
    )
  } catch (err) {
    handler.onError!(err as Error) // invalid options are thrown synchronously
  }
}

/** The TLS server name of an https upstream: its hostname, none for an IP address (no SNI for those). */
function serverName(url: URL): string | undefined {
  if (url.protocol !== 'https:' || url.hostname.startsWith('[') || /^[\d.]+$/.test(url.hostname)) return undefined
  return url.hostname
}

/** Raw header buffers as latin1 strings (header bytes are octets, not UTF-8). */
export function headerStrings(raw: Buffer[]): string[] {
  const out = new Array<string>(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]!.toString('latin1')
  return out
}

/** A flat [name, value…] list as the pairs `new Headers()` takes. */
export function headerPairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}
