/**
 * Serving on Deno: Deno.serve, with its per-request info (`remoteAddr`) as Hono's `c.env` (Hono's
 * own convention). Close = `server.shutdown()`: stop accepting, let in-flight requests finish,
 * bounded by `graceMs` (after which the process is expected to exit).
 */
import { deno, type DenoServeInfo } from './api.ts'
import type { RunningServer, ServeOptions } from '../types.ts'

export async function denoServe(
  fetch: (req: Request, env?: unknown) => Response | Promise<Response>,
  opts: ServeOptions,
): Promise<RunningServer> {
  const server = deno.serve(
    {
      port: opts.port,
      hostname: opts.hostname,
      onListen() {}, // the gateway logs its own line
      onError: () => new Response('gatehouse: internal error\n', { status: 500 }),
    },
    (req: Request, info: DenoServeInfo) => fetch(req, info),
  )
  return {
    port: server.addr.port,
    async close(graceMs = 10_000) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
      await Promise.race([server.shutdown(), late])
      clearTimeout(timer)
    },
  }
}
