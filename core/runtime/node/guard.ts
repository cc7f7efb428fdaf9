/**
 * What Node's HTTP server does not do by itself, checked before the app sees a request:
 * too many header lines → 431 (node:http would silently drop the extra ones), and HSTS on HTTPS
 * responses. (The body limit of a chunked upload is set once the route is known: body-limit.ts.)
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

export function guardNodeRequests(fetch: Fetch, opts: { maxHeaderCount?: number; hsts?: string; onRefused?: ServeOptions['onRefused'] }): Fetch {
  const maxRaw = opts.maxHeaderCount === undefined ? Infinity : 2 * opts.maxHeaderCount
  return (req, env) => {
    const { incoming, outgoing } = env as { incoming: IncomingMessage; outgoing?: ServerResponse }
    if (incoming.rawHeaders.length > maxRaw && headerCount(incoming) * 2 > maxRaw) {
      opts.onRefused?.('too-many-headers')
      return new Response('gatehouse: too many request header fields\n', { status: 431, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } })
    }
    if (opts.hsts && outgoing) outgoing.setHeader('strict-transport-security', opts.hsts)
    if (incoming.httpVersionMajor !== 2) return fetch(req, env)
    return Promise.resolve(fetch(req, env)).then((res) => (outgoing ? headOnlyGrpc(res, outgoing) : res))
  }
}
