/**
 * One HTTP/2 request on a connection of its own (the gRPC health check, plugins/active-health):
 * node:http2's client, which Node, Bun and Deno all provide. `h2c` speaks HTTP/2 with prior
 * knowledge; `h2` offers it by ALPN over TLS, verified against the runtime's roots (its own plus
 * NODE_EXTRA_CA_CERTS, or DENO_CERT), as the proxied requests are. A Host header becomes
 * `:authority`. The connection is closed after the answer: a probe must see a fresh connect.
 */
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import type { Http2CheckRequest } from '../../plugin/io.ts'

type Answer = Awaited<ReturnType<Http2CheckRequest>>

export const http2Check: Http2CheckRequest = (url, { protocol, method, headers, body, timeoutMs, maxBodyBytes }) =>
  new Promise<Answer>((resolve, reject) => {
    let session: ClientHttp2Session | undefined
    let settled = false
    const done = (err: Error | undefined, answer?: Answer) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      session?.destroy()
      if (err) reject(err)
      else resolve(answer!)
    }
    const timer = setTimeout(() => done(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs)
    try {
      session = connect(`${protocol === 'h2' ? 'https' : 'http'}://${url.host}`)
      session.on('error', done)
      const { host, ...rest } = headers
      const stream = session.request({ ':method': method, ':path': url.pathname + url.search, ...(host !== undefined && { ':authority': host }), ...rest })
      let status = 0
      let head: Record<string, string> = {}
      let trailers: Record<string, string> = {}
      const chunks: Uint8Array[] = []
      let size = 0
      stream.on('response', (h) => ((status = Number(h[':status'])), (head = plain(h))))
      stream.on('trailers', (t) => void (trailers = plain(t)))
      stream.on('data', (chunk: Uint8Array) => {
        if (size < maxBodyBytes) chunks.push(chunk.subarray(0, maxBodyBytes - size))
        size += chunk.length
      })
      stream.on('end', () => done(undefined, { status, headers: head, trailers, body: concat(chunks) }))
      stream.on('error', done)
      // A stream reset before any answer (RST_STREAM, GOAWAY) ends without 'end'.
      stream.on('close', () => done(status ? undefined : new Error(`stream closed without an answer (code ${stream.rstCode})`), { status, headers: head, trailers, body: concat(chunks) }))
      stream.end(body)
    } catch (err) {
      done(err as Error)
    }
  })

/** Header values as single strings (pseudo-headers dropped, repeated ones joined). */
function plain(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(h)) if (!name.startsWith(':') && value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value)
  return out
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) (out.set(c, at), (at += c.length))
  return out
}
