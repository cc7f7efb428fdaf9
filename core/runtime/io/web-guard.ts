/**
 * What Bun.serve and Deno.serve do not do by themselves (or not the same way as Node), checked
 * around the app for each Web `Request`:
 *
 * - request line + headers over `maxHeaderBytes`, or more than `maxHeaderCount` header fields → 431
 *   (each runtime also has its own hard limits, which answer first: Bun 431 above 16 KB or ~200
 *   lines, Deno 400 above ~64 KB or 128 lines). Repeated header names arrive joined, so they count once;
 * - HSTS on every response without its own Strict-Transport-Security.
 */
import type { ServeLimits, ServeOptions } from '../types.ts'

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } })

export function guardWebRequests(fetch: Fetch, opts: { limits?: ServeLimits; hsts?: string; onRefused?: ServeOptions['onRefused'] }): Fetch {
  const { limits, hsts, onRefused } = opts
  return (req, env) => {
    if (limits) {
      let count = 0
      let bytes = req.method.length + targetLength(req.url) + 12 // "GET /x HTTP/1.1\r\n"
      req.headers.forEach((value, name) => {
        count++
        bytes += name.length + value.length + 4 // ": " and CRLF
      })
      if (count > limits.maxHeaderCount) {
        onRefused?.('too-many-headers')
        return text(431, 'gatehouse: too many request header fields\n')
      }
      if (bytes > limits.maxHeaderBytes) {
        onRefused?.('header-too-large')
        return text(431, 'gatehouse: request header fields too large\n')
      }
    }
    if (!hsts) return fetch(req, env)
    return Promise.resolve(fetch(req, env)).then((r) => withHsts(r, hsts))
  }
}

function targetLength(url: string): number {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return start === -1 ? 1 : url.length - start
}

function withHsts(res: Response, value: string): Response {
  if (res.status === 101 || res.headers.has('strict-transport-security')) return res
  try {
    res.headers.set('strict-transport-security', value)
    return res
  } catch {
    // Immutable headers (a Response from fetch()): copy the head, keep the body stream.
    const copy = new Response(res.body, res)
    copy.headers.set('strict-transport-security', value)
    return copy
  }
}
