/** Serving on Node: @hono/node-server (raw req/res reach the app as c.env), with a graceful close. */
import { createAdaptorServer } from '@hono/node-server'
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { handleUpgrades } from './websocket.ts'
import type { RunningServer, ServeOptions } from '../types.ts'

export async function nodeServe(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  opts: ServeOptions,
): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch, hostname: opts.hostname }) as Server
  server.keepAliveTimeout = 30_000
  server.headersTimeout = 30_000 // slow-loris: a request head must arrive within this
  server.requestTimeout = 0 // long uploads and SSE are bounded by the proxy's own timeouts
  const websockets = new Set<Socket>() // spliced WebSockets: the HTTP server no longer tracks them
  handleUpgrades(server, fetch, websockets)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.hostname, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections()
          for (const s of websockets) s.destroy()
        }, graceMs)
        // A keep-alive connection turns idle once its last response is sent: close it then.
        const sweep = setInterval(() => server.closeIdleConnections(), 50)
        let httpClosed = false
        const check = () => {
          if (!httpClosed || websockets.size > 0) return
          clearTimeout(force)
          clearInterval(sweep)
          clearInterval(waitWs)
          resolve()
        }
        // Open WebSockets may finish within the grace period too.
        const waitWs = setInterval(check, 50)
        server.close(() => {
          httpClosed = true
          check()
        })
        server.closeIdleConnections()
      })
    },
  }
}
