/**
 * HTTP/2 on Node's listeners (node:http2), the same Hono app behind it as for HTTP/1.1:
 * - HTTPS: `http2.createSecureServer({ allowHTTP1: true })`, ALPN `h2` then `http/1.1`; an
 *   HTTP/1.1 client (and its WebSocket upgrades) is served by node:http inside it as before.
 * - h2c (opt-in, plain listener): node:http2 has no HTTP/1.1 fallback in cleartext
 *   (`allowHTTP1` is TLS-only, checked on Node 26), so the first bytes of each connection
 *   decide: the HTTP/2 preface (`PRI * HTTP/2.0`) goes to an http2 server, anything else to
 *   node:http as before.
 *
 * Limits (RFC 9113 SETTINGS): max concurrent streams per connection, header list size (the
 * listener's `maxHeaderBytes`) and pairs (`maxHeaderCount`), 1 MB stream window. Abuse: Node's
 * nghttp2 (≥ 1.57, Node ≥ 18.18) rate-limits stream resets (rapid reset, CVE-2023-44487) and
 * (≥ 1.61, Node ≥ 18.20.1) caps CONTINUATION frames per header block (CVE-2024-27983); on top,
 * `maxSessionRejectedStreams` and `maxSessionInvalidFrames` close a session that keeps
 * opening refused streams or sending bad frames, without touching other sessions.
 */
import type { Server } from 'node:http'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { createServer as createH2cServer, type Http2Server, type ServerHttp2Session } from 'node:http2'
import type { ServeHttp2, ServeLimits } from '../types.ts'
import type { Http2ServerResponse } from 'node:http2'

const WINDOW = 1 << 20

export function http2Options(h2: ServeHttp2, limits: ServeLimits | undefined): Record<string, unknown> {
  return {
    settings: {
      maxConcurrentStreams: h2.maxConcurrentStreams,
      initialWindowSize: WINDOW,
      ...(limits && { maxHeaderListSize: limits.maxHeaderBytes }),
    },
    // node:http2 counts pairs with some slack of its own; one more than allowed lets guard.ts answer 431.
    ...(limits && { maxHeaderListPairs: limits.maxHeaderCount + 1 + 4 }),
    maxSessionRejectedStreams: 100,
    maxSessionInvalidFrames: 1000,
  }
}

/** The sessions of an http2 server, to close them gracefully (GOAWAY) on shutdown. */
export function trackSessions(server: { on(event: 'session', fn: (s: ServerHttp2Session) => void): unknown }): Set<ServerHttp2Session> {
  const sessions = new Set<ServerHttp2Session>()
  server.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
    s.on('error', () => {})
  })
  return sessions
}

/** 'PRI' opens the HTTP/2 preface; it is no HTTP/1.1 method the gateway serves (nghttp2 checks the rest). */
const isPreface = (chunk: Buffer) => chunk.length >= 3 && chunk[0] === 0x50 && chunk[1] === 0x52 && chunk[2] === 0x49

/**
 * Serves cleartext HTTP/2 (prior knowledge) on `http1`'s listener: connections that open with
 * the HTTP/2 preface go to an http2 server running `listener`, the others to node:http.
 * Node only: Bun's node:http server parses its connections natively, before any 'connection'
 * listener could divert one (frontH2c is its way). A connection that sends nothing within
 * `firstBytesMs` is closed: node:http's headersTimeout only counts once it has the socket.
 */
export function acceptH2c(http1: Server, listener: (...args: never[]) => void, options: Record<string, unknown>, firstBytesMs: number): Http2Server {
  const h2 = createH2cServer(options, listener as never)
  const http1Listeners = http1.listeners('connection') as ((socket: Socket) => void)[]
  http1.removeAllListeners('connection')
  http1.on('connection', (socket: Socket) => {
    const silent = setTimeout(() => socket.destroy(), firstBytesMs)
    socket.once('close', () => clearTimeout(silent))
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(silent)
      socket.pause()
      socket.unshift(chunk)
      if (isPreface(chunk)) {
        socket.setNoDelay(true) // as node:http does for its own connections: no Nagle delay on small frames (gRPC)
        h2.emit('connection', socket) // node:http2 reads the unshifted bytes from the socket's buffer
        return
      }
      for (const l of http1Listeners) l.call(http1, socket)
      socket.resume()
    })
  })
  return h2
}

/**
 * h2c beside HTTP/1.1 on Bun's node layer: a node:net server listens in front and
 * hands each connection, by its first bytes, to `http1` or to an http2 server running `listener`;
 * neither of those listens itself. A connection that sends nothing within `firstBytesMs` is closed.
 */
export function frontH2c(http1: Server, listener: (...args: never[]) => void, options: Record<string, unknown>, firstBytesMs: number): { front: NetServer; h2: Http2Server } {
  const h2 = createH2cServer(options, listener as never)
  const front = createNetServer((socket: Socket) => {
    socket.on('error', () => {})
    const silent = setTimeout(() => socket.destroy(), firstBytesMs)
    socket.once('close', () => clearTimeout(silent))
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(silent)
      socket.pause()
      if (isPreface(chunk)) socket.setNoDelay(true)
      socket.unshift(chunk)
      ;(isPreface(chunk) ? h2 : http1).emit('connection', socket)
      socket.resume() // these layers read the stream, which must flow again
    })
  })
  return { front, h2 }
}

/**
 * Sends a bodyless answer to an HTTP/2 client as one HEADERS frame with END_STREAM. gRPC reads a
 * status in the head only from such a "trailers-only" answer; node:http2's compat `end()` sends
 * an empty DATA frame after the head instead, which gRPC clients take as a call without status.
 * `headers`: flat [name, value…] (repeated names kept).
 */
export function respondHeadOnly(outgoing: Http2ServerResponse, status: number, headers: readonly string[]): void {
  // A stream the client reset meanwhile (a gRPC client cancelling at its deadline) takes no answer:
  // respond() would throw ERR_HTTP2_INVALID_STREAM outside any handler, and the process would exit.
  if (outgoing.stream.destroyed || outgoing.stream.headersSent) return
  const head: Record<string, string | string[] | number> = { ':status': status }
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase()
    const had = head[name]
    head[name] = had === undefined ? headers[i + 1]! : ([] as string[]).concat(had as string | string[], headers[i + 1]!)
  }
  // Headers set on the response before (HSTS by guard.ts) go along, unless the answer has its own.
  for (const [name, value] of Object.entries(outgoing.getHeaders())) if (!(name in head) && value !== undefined) head[name] = value as string | string[]
  outgoing.stream.respond(head, { endStream: true })
}

/**
 * @hono/node-server ends an HTTP/2 request whose body is still unread shortly after the handler
 * returned (its `outgoingEnded` hook destroys both streams). A proxied request's body is still
 * being streamed to the upstream then (a bidirectional gRPC call sends for as long as it lasts),
 * so the transport removes the hook for the requests it takes over; the gateway's own answers keep it.
 */
export function keepRequestStreaming(outgoing: object): void {
  const hook = Object.getOwnPropertySymbols(outgoing).find((s) => s.description === 'outgoingEnded')
  if (hook) delete (outgoing as Record<symbol, unknown>)[hook]
}
