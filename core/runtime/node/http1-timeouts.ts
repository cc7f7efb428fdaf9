/**
 * Header-read and keep-alive idle timeouts for HTTP/1.1 connections on Bun's node:http layer
 * (serve.ts, layer 'compat'; Deno's behaves the same, measured before Deno's listeners went back to
 * Deno.serve). On Node, node:http times them itself (`headersTimeout`, `keepAliveTimeout`). Bun's
 * and Deno's node:http do so only for connections their server
 * accepted itself, and on these layers none is: the h2c listener's come from the node:net server
 * in front (http2.ts frontH2c), the HTTPS listener's through node:http2's secure server
 * (allowHTTP1). Unchecked, a client trickling its request head held its connection for good, and
 * on Bun an idle keep-alive connection was never closed (checked on Bun 1.4.5 and Deno 2.9.5).
 * So the gateway times them, as Node would:
 * - a request head must be complete `headerTimeoutMs` after the connection was handed over (for
 *   TLS: after the handshake, which `handshakeTimeout` bounds), else the client gets Node's 408
 *   and the connection closes (through the server's 'clientError', so it is counted as Node's:
 *   client-errors.ts, refusal `header-timeout`);
 * - once its last response is sent, a connection that sends nothing for `idleTimeoutMs` (plus
 *   Node's keepAliveTimeoutBuffer, 1 s: the client was told `Keep-Alive: timeout=…`) is closed;
 *   one that has sent part of its next request by then gets `headerTimeoutMs` more to finish the
 *   head, and bytes of an answered request's body, still arriving, count as activity (as on Node).
 * A WebSocket upgrade leaves both: the connection is the tunnel's from then on.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

/** Node's `server.keepAliveTimeoutBuffer` (Node ≥ 24): the server closes this long after the advertised timeout. */
const KEEP_ALIVE_BUFFER_MS = 1_000

interface Connection {
  timer: ReturnType<typeof setTimeout> | undefined
  /** Requests dispatched and not yet answered. */
  active: number
  /** The last request: its body may still be arriving after its answer (node:http reads it to the end). */
  last: IncomingMessage | undefined
}

export function timeHttp1Connections(server: Server, opts: { headerTimeoutMs: number; idleTimeoutMs: number; tls: boolean }): void {
  const connections = new WeakMap<Socket, Connection>()

  const clear = (conn: Connection) => {
    if (conn.timer) clearTimeout(conn.timer)
    conn.timer = undefined
  }
  const expectHead = (socket: Socket, conn: Connection) => {
    clear(conn)
    if (opts.headerTimeoutMs <= 0) return
    conn.timer = setTimeout(() => {
      conn.timer = undefined
      if (conn.active > 0 || socket.destroyed) return
      const err = Object.assign(new Error('request head not received in time'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' })
      server.emit('clientError', err, socket)
    }, opts.headerTimeoutMs)
    conn.timer.unref?.()
  }
  const expectIdle = (socket: Socket, conn: Connection) => {
    clear(conn)
    if (opts.idleTimeoutMs <= 0) return
    const seen = socket.bytesRead
    conn.timer = setTimeout(() => {
      conn.timer = undefined
      if (conn.active > 0 || socket.destroyed) return
      if (socket.bytesRead === seen) return void socket.destroy()
      const last = conn.last
      if (last && !last.complete && !last.destroyed) expectIdle(socket, conn) // the answered request's body, still coming
      else expectHead(socket, conn) // the next request has begun
    }, opts.idleTimeoutMs + KEEP_ALIVE_BUFFER_MS)
    conn.timer.unref?.()
  }
  const track = (socket: Socket) => {
    if (connections.has(socket)) return
    const conn: Connection = { timer: undefined, active: 0, last: undefined }
    connections.set(socket, conn)
    socket.once('close', () => {
      clear(conn)
      conn.last = undefined
    })
    expectHead(socket, conn)
  }

  if (opts.tls) {
    // node:http2's secure server: HTTP/2 sessions (ALPN h2) are not HTTP/1.1 connections.
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') track(socket)
    })
  } else server.on('connection', track)

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    const conn = socket && connections.get(socket)
    if (!conn) return // an HTTP/2 stream
    clear(conn)
    conn.active++
    conn.last = req
    let done = false
    const finished = () => {
      if (done) return
      done = true
      if (--conn.active === 0 && !socket.destroyed) expectIdle(socket, conn)
    }
    res.once('finish', finished)
    res.once('close', finished)
  })
  const untrack = (req: IncomingMessage) => {
    const conn = req.socket && connections.get(req.socket)
    if (conn) clear(conn)
    if (req.socket) connections.delete(req.socket)
  }
  server.on('upgrade', untrack)
  server.on('connect', untrack)
}
