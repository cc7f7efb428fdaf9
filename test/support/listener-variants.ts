// The listeners a client can meet, per runtime, for suites that send raw bytes (test/security/):
// - `plain`: a plain HTTP listener — Node's node:http, Bun.serve, Deno.serve.
// - `h2c`: a plain listener with `http2: { h2c: true }` — on Bun this runs Node's serving code on
//   Bun's node:http layer (core/runtime/node-http2/listeners.ts), HTTP/1.1 clients handed over by a
//   node:net server in front (core/runtime/node/http2.ts frontH2c).
// - `tls`: an HTTPS listener (HTTP/2 on, the default) — on Bun the node:http2 secure server with
//   allowHTTP1; an HTTP/1.1 client (no ALPN) meets Bun's node:http parser behind TLS.
// Deno has the plain variant only: every Deno listener is Deno.serve, whatever its HTTP/2 setting.
// E2E_ONLY=bun,bun:h2c limits the variants (a runtime name, or a variant key).
import { createTestCa, type TestCa } from './certs.ts'
import { freePort } from './ports.ts'
import type { RawTls } from './raw-http.ts'
import { RUNTIMES, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from './runtimes.ts'

export type ListenerKind = 'plain' | 'h2c' | 'tls'

export interface ListenerVariant {
  runtime: RuntimeName
  listener: ListenerKind
  /** `node`, `bun`, `deno` for the plain listener; `bun:h2c`, `deno:tls`, `node:h2c` … for the others. */
  key: string
  /** For describe titles: `bun`, `bun (node:http layer, h2c listener)`, `node (TLS listener)`. */
  title: string
  /** Node's serving code answers (core/runtime/node/): always on Node, on Bun for h2c and TLS. */
  nodeLayer: boolean
}

export function listenerVariants(kinds: readonly ListenerKind[] = ['plain', 'h2c', 'tls']): ListenerVariant[] {
  const only = process.env.E2E_ONLY?.split(',').map((s) => s.trim())
  const all = RUNTIMES.flatMap((runtime) =>
    kinds.filter((listener) => runtime !== 'deno' || listener === 'plain').map((listener): ListenerVariant => {
      const key = listener === 'plain' ? runtime : `${runtime}:${listener}`
      const kind = listener === 'h2c' ? 'h2c listener' : 'TLS listener'
      const title = listener === 'plain' ? runtime : runtime === 'node' ? `${runtime} (${kind})` : `${runtime} (node:http layer, ${kind})`
      return { runtime, listener, key, title, nodeLayer: runtime === 'node' || listener !== 'plain' }
    }),
  )
  return all.filter((v) => !only || only.includes(v.runtime) || only.includes(v.key))
}

let ca: TestCa | undefined
let leaf: { cert: string; key: string } | undefined
/** The test CA and a certificate for `localhost`, made once per test file. */
function localhostCert(): { ca: TestCa; cert: string; key: string } {
  ca ??= createTestCa('listeners')
  leaf ??= ca.issue('localhost', ['localhost'])
  return { ca, ...leaf }
}

export interface VariantGateway {
  gw: RuntimeGateway
  /** The port under test (for TLS: the HTTPS port, not the redirect listener the health check used). */
  port: number
  /** Set for the TLS variant: pass to rawRequest / rawConnect. */
  tls?: RawTls
  stop(): Promise<void>
}

/**
 * Starts the CLI under the variant's runtime. `source(listen)` is the config, with `listen` the
 * JavaScript of its `listen: { … }` value. TLS: the health check goes to the plain redirect listener.
 */
export async function spawnVariant(v: ListenerVariant, source: (listen: string) => string, name: string): Promise<VariantGateway> {
  if (v.listener !== 'tls') {
    const http2 = v.listener === 'h2c' ? ', http2: { h2c: true }' : ''
    const gw = await spawnGatewayUnder(v.runtime, (port) => source(`{ host: '127.0.0.1', port: ${port}${http2} }`), `${name}-${v.listener}`)
    return { gw, port: gw.port, stop: () => gw.stop() }
  }
  const { ca, cert, key } = localhostCert()
  const port = await freePort()
  const gw = await spawnGatewayUnder(
    v.runtime,
    (httpPort) => source(`{ host: '127.0.0.1', port: ${port}, tls: { certificates: [{ cert: '${cert}', key: '${key}' }], redirectHttp: { port: ${httpPort} } } }`),
    `${name}-tls`,
  )
  return { gw, port, tls: { ca: ca.caPem }, stop: () => gw.stop() }
}
