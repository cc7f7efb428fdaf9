/**
 * A route's middleware around the proxy (Hono's onion: `(c, next)`). Headers a middleware sets
 * for the response before `next()` (c.header(): cors, security-headers, rate-limit) are merged by
 * Hono into `c.res` when it is assigned; on Node's fast path the proxied head is on the wire by
 * then (DESIGN.md §5), so they join the upstream's head through a response-head hook instead,
 * and the transport's own Response is returned (on Node RESPONSE_ALREADY_SENT, which Node's Hono
 * adapter must get back as is, or it writes a second head and cuts the body being streamed).
 * A middleware that replaces `c.res` after `next()` still has the last word.
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { Exchange } from '../proxy/exchange.ts'
import { mergePendingHeaders } from '../proxy/request-headers.ts'

export async function aroundProxy(c: Context, ex: Exchange, chain: MiddlewareHandler, proxy: () => Promise<Response>): Promise<Response> {
  let proxied: Response | undefined
  let assigned: Response | undefined
  await chain(c, async () => {
    const pending = c.res.headers
    ex.onResponseHead((_status, headers) => mergePendingHeaders(headers, pending))
    proxied = await proxy()
    c.res = proxied // Hono's merged copy, for middleware that reads or replaces c.res after next()
    assigned = c.res
  })
  return ex.headSent && c.res === assigned ? proxied! : c.res
}
