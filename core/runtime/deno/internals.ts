/**
 * The two Deno internals behind HTTPS with SNI, because Deno.serve's public options take one
 * certificate only:
 *
 * - `resolverSymbol`: `Deno.listenTls({ [resolverSymbol]: (sni) => ({ cert, key }) })` picks the
 *   certificate per handshake (what Deno's own node:tls uses for SNICallback). Deno caches the
 *   answer per server name for the listener's life, so new certificates need a new listener.
 * - `serveHttpOnListener(listener, signal, handler, onError, onListen)`: Deno.serve's HTTP server
 *   on a listener of our own.
 *
 * Both are checked at start; without them (a future Deno) serve.ts falls back to public
 * Deno.serve with the first certificate only.
 *
 * (Deno also has `serveHttpOnConnection`, one connection at a time, which would allow header and
 * idle timeouts; but when such a connection is upgraded its server closes it, killing the
 * WebSocket, so it is not used.)
 */
import type { DenoHttpServer, DenoServeInfo } from './api.ts'

export interface DenoListener {
  readonly addr: { hostname: string; port: number }
  close(): void
}

export interface DenoInternals {
  listenTls(opts: { port: number; hostname: string; alpn: string[]; resolve: (sni: string) => { cert: string; key: string } }): DenoListener
  serve(
    listener: DenoListener,
    handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>,
    onError: (err: unknown) => Response,
  ): DenoHttpServer
}

interface RawDeno {
  internal: symbol
  listenTls(opts: object): DenoListener
  [key: symbol]: { resolverSymbol?: symbol; serveHttpOnListener?: (...args: unknown[]) => DenoHttpServer } | undefined
}

export function denoInternals(): DenoInternals | undefined {
  const d = (globalThis as unknown as { Deno?: RawDeno }).Deno
  const internal = d?.[d.internal]
  const resolverSymbol = internal?.resolverSymbol
  const serveOn = internal?.serveHttpOnListener
  if (!d || typeof resolverSymbol !== 'symbol' || typeof serveOn !== 'function') return undefined
  return {
    // HTTP/1.1 only, like the Node and Bun listeners.
    listenTls: ({ resolve, alpn, ...opts }) => d.listenTls({ ...opts, transport: 'tcp', alpnProtocols: alpn, [resolverSymbol]: resolve }),
    serve: (listener, handler, onError) => serveOn(listener, new AbortController().signal, handler, onError, () => {}),
  }
}
