/**
 * Serving on Bun: Bun.serve, with the Bun server as Hono's `c.env` (Hono's own convention, so
 * `server.requestIP(req)` gives the peer). Bun's defaults are raised where they would cut
 * proxied traffic: bodies above 128 MB are refused by default (`maxRequestBodySize`), and a
 * connection idle for 10 s is closed, even one waiting on a slow upstream or a quiet event
 * stream. Idle client connections are closed after 30 s (like the Node adapter); each request in
 * flight is exempt, bounded instead by the pool's own connect/first-byte/idle timeouts.
 */
import { bun, type BunServer } from './api.ts'
import { websocketHandlers } from './websocket.ts'
import type { RunningServer, ServeOptions } from '../types.ts'

const CLIENT_IDLE_S = 30

export async function bunServe(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  opts: ServeOptions,
): Promise<RunningServer> {
  const server = bun.serve({
    port: opts.port,
    hostname: opts.hostname,
    development: false,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: CLIENT_IDLE_S,
    fetch(req: Request, srv: BunServer) {
      srv.timeout(req, 0)
      return fetch(req, srv)
    },
    error: () => new Response('gatehouse: internal error\n', { status: 500 }),
    websocket: websocketHandlers as never,
  })
  return {
    port: server.port,
    async close(graceMs = 10_000) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => void server.stop(true).then(resolve, resolve), graceMs)
      })
      await Promise.race([server.stop(false), forced])
      clearTimeout(timer)
    },
  }
}
