/**
 * Serving on Bun: Bun.serve, with the Bun server as Hono's `c.env` (Hono's own convention, so
 * `server.requestIP(req)` gives the peer). Bun's defaults are raised where they would cut
 * proxied traffic: bodies above 128 MB are refused by default (`maxRequestBodySize`), and a
 * connection idle for 10 s is closed, even one waiting on a slow upstream or a quiet event
 * stream. Idle client connections are closed after `limits.idleTimeout` (30 s by default, whole
 * seconds, at most 255; idle.ts); each request in flight is exempt, bounded instead by the
 * pool's own connect/first-byte/idle timeouts. A request head must arrive within Bun's own
 * fixed ~10 s.
 *
 * HTTPS (tls.ts): certificates by SNI. On a certificate change the listening socket is handed
 * to a new server with the new certificates (stop accepting, listen again: well under a
 * millisecond); the old server finishes its open connections.
 */
import { bun, type BunServer, type BunServeOptions } from './api.ts'
import { bunTlsEntries, type BunTlsEntry } from './tls.ts'
import { whenSent } from './idle.ts'
import { websocketHandlers } from './websocket.ts'
import { guardWebRequests } from '../io/web-guard.ts'
import type { RunningServer, ServeOptions } from '../types.ts'

const CLIENT_IDLE_S = 30

export async function bunServe(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  opts: ServeOptions,
): Promise<RunningServer> {
  const guarded = guardWebRequests(fetch, { limits: opts.limits, hsts: opts.tls?.hsts, onRefused: opts.onRefused })
  const idleTimeout = opts.limits ? Math.min(255, Math.max(1, Math.ceil(opts.limits.idleTimeoutMs / 1000))) : CLIENT_IDLE_S
  const start = (port: number) =>
    bun.serve({
      port,
      hostname: opts.hostname,
      development: false,
      // Explicit: with idleTimeout set, Bun 1.4 binds with SO_REUSEPORT unless told not to, so a
      // second gateway on the same port started silently and took half the connections.
      reusePort: false,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout,
      ...(opts.tls && { tls: bunTlsEntries(opts.tls.current()) }),
      async fetch(req: Request, srv: BunServer) {
        srv.timeout(req, 0) // a request in flight is bounded by the pool's timeouts, not Bun's idle one
        const res = await guarded(req, srv)
        return req.headers.has('upgrade') ? res : whenSent(res, () => srv.timeout(req, idleTimeout))
      },
      error: () => new Response('gatehouse: internal error\n', { status: 500 }),
      websocket: websocketHandlers as never,
    } as BunServeOptions & { tls?: BunTlsEntry[] })
  let server = start(opts.port)
  const port = server.port
  const retiring: Promise<void>[] = []
  const unsubscribe = opts.tls?.subscribe(() => {
    const old = server
    retiring.push(old.stop(false))
    try {
      server = start(port)
    } catch (err) {
      // Listening again failed: nothing may be left listening, so try until it works.
      console.error(`gatehouse: could not listen again on port ${port} with the new certificates: ${(err as Error).message}; retrying`)
      const retry = setInterval(() => {
        try {
          server = start(port)
          clearInterval(retry)
        } catch {}
      }, 50)
    }
  })
  return {
    port,
    // No connection events on Bun.serve: connections busy with a request or holding a WebSocket.
    openConnections: () => server.pendingRequests + server.pendingWebSockets,
    async close(graceMs = 10_000) {
      unsubscribe?.()
      let timer: ReturnType<typeof setTimeout> | undefined
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => void server.stop(true).then(resolve, resolve), graceMs)
      })
      await Promise.race([Promise.all([server.stop(false), ...retiring]), forced])
      clearTimeout(timer)
    },
  }
}
