/** Serving on Node: @hono/node-server (raw req/res reach the app as c.env), with a graceful close. */
import { createAdaptorServer } from '@hono/node-server'
import type { Server } from 'node:http'
import type { RunningServer, ServeOptions } from '../types.ts'

export async function nodeServe(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  opts: ServeOptions,
): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch, hostname: opts.hostname }) as Server
  server.keepAliveTimeout = 30_000
  server.headersTimeout = 30_000 // slow-loris: a request head must arrive within this
  server.requestTimeout = 0 // long uploads and SSE are bounded by the proxy's own timeouts
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
        const force = setTimeout(() => server.closeAllConnections(), graceMs)
        // A keep-alive connection turns idle once its last response is sent: close it then.
        const sweep = setInterval(() => server.closeIdleConnections(), 50)
        server.close(() => {
          clearTimeout(force)
          clearInterval(sweep)
          resolve()
        })
        server.closeIdleConnections()
      })
    },
  }
}
