/**
 * Serving on Node: @hono/node-server (raw req/res reach the app as c.env), plain HTTP or HTTPS
 * (tls.ts: SNI from a live map), with a graceful close.
 *
 * Limits map onto node:http's own: `maxHeaderSize` (request line + headers; Node answers 431),
 * `headersTimeout` (a request head must be complete in time, checked every
 * `connectionsCheckingInterval`; Node answers 408 and closes), `keepAliveTimeout`, and for HTTPS
 * `handshakeTimeout` (a client that never finishes the TLS handshake). Header count: guard.ts.
 */
import { createAdaptorServer } from '@hono/node-server'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureServer } from 'node:http2'
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import { guardNodeRequests } from './guard.ts'
import { nodeTls } from './tls.ts'
import { handleUpgrades } from './websocket.ts'
import { acceptH2c, frontH2c, http2Options, trackSessions } from './http2.ts'
import { answerClientErrors } from './client-errors.ts'
import { timeHttp1Connections } from './http1-timeouts.ts'
import type { RunningServer, ServeOptions } from '../types.ts'

const DEFAULT_TIMEOUT_MS = 30_000
const CONNECT_BODY = 'gatehouse: CONNECT is not served here (not a forward proxy)\n'
const CONNECT_REFUSED =
  `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: text/plain; charset=utf-8\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n` +
  `x-gatehouse-error: method-not-allowed\r\ncontent-length: ${CONNECT_BODY.length}\r\nconnection: close\r\n\r\n${CONNECT_BODY}`

export async function nodeServe(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  opts: ServeOptions,
  /** Bun's node layer runs this (node-http2/listeners.ts): h2c needs a listener in front (http2.ts). */
  layer: 'node' | 'compat' = 'node',
): Promise<RunningServer> {
  const headerTimeout = opts.limits?.headerTimeoutMs ?? DEFAULT_TIMEOUT_MS
  const tls = opts.tls && nodeTls(opts.tls, opts.http2 !== undefined)
  const guarded = guardNodeRequests(fetch, { maxHeaderCount: opts.limits?.maxHeaderCount, maxHeaderBytes: opts.limits?.maxHeaderBytes, hsts: opts.tls?.hsts, onRefused: opts.onRefused })
  const serverOptions = {
    ...(opts.limits && { maxHeaderSize: opts.limits.maxHeaderBytes }),
    // headersTimeout is only checked this often: keep it well under the timeout itself.
    connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(headerTimeout / 10))),
    ...(tls && { ...tls.serverOptions, handshakeTimeout: headerTimeout }),
    // HTTPS with HTTP/2: one node:http2 server answers both (ALPN h2, else node:http inside it).
    ...(tls && opts.http2 && { ...http2Options(opts.http2, opts.limits), allowHTTP1: true }),
  }
  const server = createAdaptorServer({
    fetch: guarded,
    hostname: opts.hostname,
    // @hono/node-server would swap the global Request and Response for its own lighter ones, which
    // the runtime's own server (its other listeners) need not take.
    ...(layer === 'compat' && { overrideGlobalObjects: false }),
    serverOptions,
    ...(tls && { createServer: opts.http2 ? createSecureServer : createHttpsServer }),
  } as Parameters<typeof createAdaptorServer>[0]) as Server
  const appListener = server.listeners('request')[0] as never
  const fronted = !tls && opts.http2?.h2c && layer === 'compat' ? frontH2c(server, appListener, http2Options(opts.http2, opts.limits), headerTimeout) : undefined
  const h2c = fronted?.h2 ?? (!tls && opts.http2?.h2c ? acceptH2c(server, appListener, http2Options(opts.http2, opts.limits), headerTimeout) : undefined)
  // What listens on the port: node:http's server, or the sniffing one in front of it.
  const listening = fronted?.front ?? server
  // The server behind the front does not listen itself; node:http layers that read `listening` (Deno's
  // closed every keep-alive connection after its first response) must see the front's.
  if (fronted) Object.defineProperty(server, 'listening', { configurable: true, get: () => fronted.front.listening })
  const sessions = tls && opts.http2 ? trackSessions(server as never) : h2c ? trackSessions(h2c) : undefined
  // node:http2's TLS server leaves Nagle on (node:http turns it off): small HTTP/2 frames would wait for ACKs.
  if (tls && opts.http2) server.on('connection', (socket: Socket) => socket.setNoDelay(true))
  server.keepAliveTimeout = opts.limits?.idleTimeoutMs ?? DEFAULT_TIMEOUT_MS
  server.headersTimeout = headerTimeout // slow-loris: a request head must arrive within this
  // node:http2's secure server (HTTPS with HTTP/2) ignores the option on Node 22 (fixed at 30 s, so a
  // slow-loris head was cut after up to 30 s); it reads the property when it starts listening.
  Object.assign(server, { connectionsCheckingInterval: serverOptions.connectionsCheckingInterval })
  server.requestTimeout = 0 // long uploads and SSE are bounded by the proxy's own timeouts
  // One more than allowed, so that guard.ts sees the excess and answers 431.
  if (opts.limits) server.maxHeadersCount = opts.limits.maxHeaderCount + 1
  const unfollow = tls?.follow(server as unknown as TlsServer)
  const websockets = new Set<Socket>() // spliced WebSockets: the HTTP server no longer tracks them
  handleUpgrades(server, guarded, websockets)
  answerClientErrors(server, opts.onRefused, layer === 'compat')
  // Bun's node:http does not time the connections these listeners hand over (http1-timeouts.ts).
  if (layer === 'compat') timeHttp1Connections(server, { headerTimeoutMs: headerTimeout, idleTimeoutMs: server.keepAliveTimeout, tls: Boolean(tls) })
  // Every client connection (TLS ones from their TCP accept), counted until it closes: per connection, not per request.
  let open = 0
  listening.on('connection', (socket: Socket) => {
    open++
    socket.once('close', () => open--)
  })
  // node:http hands CONNECT to a 'connect' listener, never to the app: answer it here as the core
  // does on Bun and Deno (core/gateway/request-checks.ts), instead of closing without a word.
  server.on('connect', (_req, socket: Socket) => {
    socket.on('error', () => {})
    socket.end(CONNECT_REFUSED)
  })
  await new Promise<void>((resolve, reject) => {
    listening.once('error', reject)
    // reusePort (Node ≥ 22.12 / 23.1, Linux): each worker listens on the same port, the kernel spreads connections.
    listening.listen({ port: opts.port, host: opts.hostname, ...(opts.reusePort && { reusePort: true }) }, () => {
      listening.off('error', reject)
      resolve()
    })
  })
  const address = listening.address()
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    openConnections: () => open,
    close(graceMs = 10_000) {
      unfollow?.()
      return new Promise<void>((resolve) => {
        for (const session of sessions ?? []) session.close() // GOAWAY: open streams finish, no new ones
        const force = setTimeout(() => {
          for (const session of sessions ?? []) session.destroy()
          server.closeAllConnections?.() // node:http2's server has none: its HTTP/1.1 sockets end with the process
          for (const s of websockets) s.destroy()
        }, graceMs)
        // A keep-alive connection turns idle once its last response is sent: close it then.
        const sweep = setInterval(() => server.closeIdleConnections?.(), 50)
        let httpClosed = false
        const check = () => {
          if (!httpClosed || websockets.size > 0 || (sessions?.size ?? 0) > 0) return
          clearTimeout(force)
          clearInterval(sweep)
          clearInterval(waitWs)
          resolve()
        }
        // Open WebSockets may finish within the grace period too.
        const waitWs = setInterval(check, 50)
        if (fronted) fronted.front.close()
        server.close(() => {
          httpClosed = true
          check()
        })
        server.closeIdleConnections?.()
      })
    },
  }
}
