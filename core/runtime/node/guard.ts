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
import type { ServeOptions } from '../types.ts'

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

export function guardNodeRequests(fetch: Fetch, opts: { maxHeaderCount?: number; hsts?: string; onRefused?: ServeOptions['onRefused'] }): Fetch {
  const maxRaw = opts.maxHeaderCount === undefined ? Infinity : 2 * opts.maxHeaderCount
  return (req, env) => {
    const { incoming, outgoing } = env as { incoming: IncomingMessage; outgoing?: ServerResponse }
    if (incoming.rawHeaders.length > maxRaw) {
      opts.onRefused?.('too-many-headers')
      return new Response('gatehouse: too many request header fields\n', { status: 431, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } })
    }
    if (opts.hsts && outgoing) outgoing.setHeader('strict-transport-security', opts.hsts)
    return fetch(req, env)
  }
}
