/**
 * Serving on Deno: Deno.serve, with its per-request info (`remoteAddr`) as Hono's `c.env` (Hono's
 * own convention). Close = `server.shutdown()`: stop accepting, let in-flight requests finish,
 * bounded by `graceMs` (after which the process is expected to exit).
 *
 * HTTPS: Deno.serve takes one certificate, so with several the gateway listens itself with
 * Deno's internal SNI resolver and runs Deno.serve's HTTP server on that listener (internals.ts).
 * On a certificate change the server is shut down gracefully (it stops listening at once; its
 * requests in flight finish, idle keep-alive connections close) and a new one listens on the
 * same port, usually within a few milliseconds, during which connection attempts are refused.
 *
 * Deno.serve has no header-read or idle timeout and none can be added from outside, so
 * `limits.headerTimeout` and `limits.idleTimeout` do not apply on Deno.
 */
import { deno, type DenoHttpServer, type DenoServeInfo } from './api.ts'
import { denoInternals } from './internals.ts'
import { guardWebRequests } from '../io/web-guard.ts'
import type { RunningServer, ServeOptions, TlsCertificate } from '../types.ts'

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>

const onError = () => new Response('gatehouse: internal error\n', { status: 500 })

export async function denoServe(fetch: Fetch, opts: ServeOptions): Promise<RunningServer> {
  const guarded = guardWebRequests(fetch, { limits: opts.limits, hsts: opts.tls?.hsts, onRefused: opts.onRefused })
  const handler = (req: Request, info: DenoServeInfo) => guarded(req, info)
  const tls = opts.tls
  const internals = tls && denoInternals()
  const start = (port: number): DenoHttpServer => {
    if (tls && internals) return internals.serve(internals.listenTls({ port, hostname: opts.hostname, alpn: opts.http2 ? ['h2', 'http/1.1'] : ['http/1.1'], resolve: resolver(tls.current()) }), handler, onError)
    const first = tls?.current()[0] // public Deno.serve: one certificate, no SNI
    const options = { port, hostname: opts.hostname, onListen() {}, onError, ...(first && { cert: first.cert, key: first.key }) }
    return deno.serve(options as Parameters<typeof deno.serve>[0], handler)
  }
  let server = start(opts.port)
  const port = server.addr.port
  const draining: Promise<void>[] = []
  let swapping = Promise.resolve()
  const swap = async () => {
    draining.push(server.shutdown())
    // The port is free once the old listener's pending accept is cancelled: usually the next turn.
    for (let tries = 0; ; tries++) {
      try {
        server = start(port)
        return
      } catch (err) {
        if (tries === 200) console.error(`gatehouse: cannot listen again on port ${port} (${(err as Error).message}); still trying`)
        await new Promise((r) => setTimeout(r, tries < 200 ? 1 : 100))
      }
    }
  }
  const unsubscribe = tls?.subscribe(() => void (swapping = swapping.then(swap)))
  return {
    port,
    async close(graceMs = 10_000) {
      unsubscribe?.()
      await swapping
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
      await Promise.race([Promise.all([server.shutdown(), ...draining]), late])
      clearTimeout(timer)
    },
  }
}

/** SNI → certificate: exact names, then `*.` wildcards, else the first (default) certificate. */
function resolver(certs: readonly TlsCertificate[]): (sni: string) => { cert: string; key: string } {
  const exact = new Map<string, TlsCertificate>()
  const wildcard = new Map<string, TlsCertificate>()
  for (const c of certs) {
    for (const host of c.hosts) {
      const [map, key] = host.startsWith('*.') ? [wildcard, host.slice(1)] : [exact, host]
      if (!map.has(key)) map.set(key, c)
    }
  }
  return (sni) => {
    const name = sni.toLowerCase()
    const dot = name.indexOf('.')
    const c = exact.get(name) ?? (dot > 0 ? wildcard.get(name.slice(dot)) : undefined) ?? certs[0]!
    return { cert: c.cert, key: c.key }
  }
}
