/**
 * What Node's HTTP server does not do by itself, checked before the app sees a request:
 * too many header lines → 431 (node:http would silently drop the extra ones), and HSTS on HTTPS
 * responses. (The body limit of a chunked upload is set once the route is known: body-limit.ts.)
 *
 * An HTTP/1.1 head over `maxHeaderBytes` → 431 too: node:http's parser refuses it first where it
 * is given `maxHeaderSize`, but HTTP/1.1 inside node:http2's secure server (allowHTTP1: every
 * HTTPS listener with HTTP/2) ignores that option on Node 22 and on Deno 2.9.5 (its parser's own
 * 16 KB limit applies): a 10 KB head went through with `maxHeaderBytes: '8kb'`.
 * An HTTP/2 header list over `maxHeaderBytes` → 431 as well, counted as RFC 9113 §6.5.2 does
 * (name + value + 32 octets per field, pseudo-headers included): SETTINGS_MAX_HEADER_LIST_SIZE is
 * advisory, and nghttp2 applies it only to streams opened after the client acknowledged the
 * SETTINGS (a hostile client sends its HEADERS first). No answer goes to an HTTP/2 stream that is
 * gone by the time it is ready (reset by the client, or refused by the HTTP/2 layer).
 *
 * HSTS goes in with `res.setHeader()` before the app runs: the fast path's `writeHead(status,
 * rawHeaders)` merges it, so proxied responses, the gateway's own answers and HEAD responses
 * all carry it, and an upstream's own Strict-Transport-Security wins.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import type { ServeOptions } from '../types.ts'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { respondHeadOnly } from './http2.ts'

/** Header lines as the limit counts them: HTTP/2's pseudo-headers (`:method`, `:path` …) are not headers. */
function headerCount(incoming: IncomingMessage): number {
  const raw = incoming.rawHeaders
  if (incoming.httpVersionMajor !== 2) return raw.length / 2
  let n = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]![0] !== ':') n++
  return n
}

/** The gateway's own gRPC answer (core/proxy/grpc.ts) to an HTTP/2 client: one HEADERS frame, as gRPC needs (http2.ts). */
function headOnlyGrpc(res: Response, outgoing: ServerResponse): Response {
  if (res.body !== null || !res.headers.has('grpc-status')) return res
  const flat: string[] = []
  res.headers.forEach((value, name) => void flat.push(name, value))
  respondHeadOnly(outgoing as unknown as Http2ServerResponse, res.status, flat)
  return RESPONSE_ALREADY_SENT
}

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

/**
 * The least an HTTP/1.1 head can have taken on the wire: request line and header lines, each as
 * `name:value` CRLF. Never more than node:http's parser counts against maxHeaderSize, so this
 * never refuses what the parser let through where it enforces the limit (Node's own listeners).
 */
function headBytes(incoming: IncomingMessage): number {
  const raw = incoming.rawHeaders
  let bytes = (incoming.method?.length ?? 0) + (incoming.url?.length ?? 0) + 12 // "GET /x HTTP/1.1\r\n"
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 3
  return bytes
}

/** An HTTP/2 header list's size as RFC 9113 §6.5.2 counts it. */
function headerListBytes(incoming: IncomingMessage): number {
  const raw = incoming.rawHeaders
  let bytes = 0
  for (let i = 0; i < raw.length; i++) bytes += raw[i]!.length + (i % 2 ? 0 : 32)
  return bytes
}

const listTooLarge = () =>
  new Response('gatehouse: request header fields too large\n', { status: 431, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-gatehouse-error': 'header-too-large' } })

const tooLarge = (what: string) =>
  new Response(`gatehouse: ${what}\n`, { status: 431, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } })

export function guardNodeRequests(fetch: Fetch, opts: { maxHeaderCount?: number; maxHeaderBytes?: number; hsts?: string; onRefused?: ServeOptions['onRefused'] }): Fetch {
  const maxRaw = opts.maxHeaderCount === undefined ? Infinity : 2 * opts.maxHeaderCount
  const maxBytes = opts.maxHeaderBytes ?? Infinity
  return (req, env) => {
    const { incoming, outgoing } = env as { incoming: IncomingMessage; outgoing?: ServerResponse }
    const http2 = incoming.httpVersionMajor === 2
    if (http2 && headerListBytes(incoming) > maxBytes) {
      opts.onRefused?.('header-too-large')
      return listTooLarge()
    }
    if (incoming.rawHeaders.length > maxRaw && headerCount(incoming) * 2 > maxRaw) {
      opts.onRefused?.('too-many-headers')
      return tooLarge('too many request header fields')
    }
    if (incoming.httpVersionMajor === 1 && headBytes(incoming) > maxBytes) {
      opts.onRefused?.('header-too-large')
      return tooLarge('request header fields too large')
    }
    if (opts.hsts && outgoing) outgoing.setHeader('strict-transport-security', opts.hsts)
    if (!http2) return fetch(req, env)
    const stream = (incoming as unknown as { stream: { destroyed: boolean } }).stream
    return Promise.resolve(fetch(req, env)).then((res) => (stream.destroyed ? RESPONSE_ALREADY_SENT : outgoing ? headOnlyGrpc(res, outgoing) : res))
  }
}
