/**
 * The upstream clients of the Node transport (also on Bun's and Deno's node:http2 listeners) and of
 * the Web dispatch transport: undici for HTTP/1.1 (Deno's own fetch always decompresses bodies),
 * node:http2 for HTTP/2, both driven through undici's `dispatch(options, handler)`; and their
 * error codes read as the core's failure kinds.
 */
// The deep path: Bun maps the bare name `undici` to a built-in stub without Client or Pool.
import { Pool, type Dispatcher } from 'undici/index.js'
import { UpstreamClients } from './upstream-clients.ts'
import { Http2Upstream } from './node-http2/h2-client.ts'
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

/**
 * A transport's upstream clients, one per upstream address, made with the first request's connect
 * timeout: for HTTP/1.1 a keep-alive undici Pool; for `h2c` and `h2` one node:http2 session
 * multiplexing every request to it (../node-http2/h2-client.ts). Not undici's HTTP/2 client: on
 * Node it cost ~15 % more CPU per gRPC call (1,190–1,420 vs 1,415–1,660 calls/s side by side, 10
 * in flight), undici 7 sends a POST with a body only when nothing else runs on the connection
 * (gRPC calls went one at a time; fixed in undici 8), and on Deno it lost response bodies.
 */
export function dispatchClients(): UpstreamClients<DispatchClient, OutboundRequest> {
  return new UpstreamClients<DispatchClient, OutboundRequest>(
    (url, req, protocol) =>
      protocol ? new Http2Upstream(url, { connectTimeout: req.timeouts.connect, idleMs: IDLE_MS }) : new Pool(url.origin, { connectTimeout: req.timeouts.connect, keepAliveTimeout: IDLE_MS, pipelining: 1 }),
    (client) => void client.close().catch(() => client.destroy()), // in-flight requests finish first
  )
}

/** An upstream connection with no request on it is closed after this. */
const IDLE_MS = 30_000

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
