/**
 * What Bun.serve and Deno.serve do not do by themselves (or not the same way as Node), checked
 * around the app for each Web `Request`:
 *
 * - request line + headers over `maxHeaderBytes`, or more than `maxHeaderCount` header fields → 431
 *   (each runtime also has its own hard limits, which answer first: Bun 431 above 16 KB or ~200
 *   lines, Deno 400 above ~64 KB or 128 lines). Repeated header names arrive joined, so they count once;
 * - the body limit of an upload of unknown length (./body-limit.ts): the `Request`'s `body` and
 *   `signal` are replaced by counting ones, so the transports read them unchanged; past the
 *   limit the signal aborts (the transport sees a client that went away and aborts the upstream),
 *   the stream errors, and the client gets 413 unless the response has already started;
 * - HSTS on every response without its own Strict-Transport-Security.
 */
import { onBodyLimit, PAYLOAD_TOO_LARGE } from './body-limit.ts'
import type { ServeLimits } from '../types.ts'

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } })

export function guardWebRequests(fetch: Fetch, opts: { limits?: ServeLimits; hsts?: string }): Fetch {
  const { limits, hsts } = opts
  return (req, env) => {
    if (limits) {
      let count = 0
      let bytes = req.method.length + targetLength(req.url) + 12 // "GET /x HTTP/1.1\r\n"
      req.headers.forEach((value, name) => {
        count++
        bytes += name.length + value.length + 4 // ": " and CRLF
      })
      if (count > limits.maxHeaderCount) return text(431, 'gatehouse: too many request header fields\n')
      if (bytes > limits.maxHeaderBytes) return text(431, 'gatehouse: request header fields too large\n')
    }
    let exceeded: Promise<Response> | undefined
    if (req.body && !req.headers.has('content-length')) {
      let answer!: (res: Response) => void
      exceeded = new Promise<Response>((resolve) => (answer = resolve))
      onBodyLimit(req, (max) => limitBody(req, max, () => answer(text(413, PAYLOAD_TOO_LARGE))))
    }
    if (!hsts && !exceeded) return fetch(req, env)
    const res = Promise.resolve(fetch(req, env))
    return (exceeded ? Promise.race([res, exceeded]) : res).then((r) => (hsts ? withHsts(r, hsts) : r))
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

function limitBody(req: Request, max: number, onExceeded: () => void): void {
  const reader = req.body!.getReader()
  const gone = new AbortController()
  let seen = 0
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const { done, value } = await reader.read()
        if (done) return ctrl.close()
        seen += value.byteLength
        if (seen <= max) return ctrl.enqueue(value)
        gone.abort(new Error('request body over the route limit')) // first: the transport must see a client that left
        onExceeded()
        ctrl.error(new Error('request body over the route limit'))
        reader.cancel().catch(() => {})
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
  Object.defineProperty(req, 'body', { value: body, configurable: true })
  Object.defineProperty(req, 'signal', { value: AbortSignal.any([req.signal, gone.signal]), configurable: true })
}
