/**
 * HTTPS on Node: certificates chosen by SNI from a live map (exact names first, then `*.`
 * wildcards), rebuilt whenever the certificate set changes. The default certificate (no SNI, or
 * an unlisted name) is swapped with `server.setSecureContext()`. Both affect new handshakes only:
 * open connections keep theirs.
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { Server as TlsServer } from 'node:tls'
import type { ServeTls, TlsCertificate } from '../types.ts'

/** HTTP/1.1 only, like the Bun and Deno listeners. */
const COMMON = { ALPNProtocols: ['http/1.1'], minVersion: 'TLSv1.2' as const }

export interface NodeTls {
  /** Options for `https.createServer`. */
  serverOptions: Record<string, unknown>
  /** Starts following certificate changes on `server`; returns the unsubscribe. */
  follow(server: TlsServer): () => void
}

export function nodeTls(tls: ServeTls): NodeTls {
  let exact = new Map<string, SecureContext>()
  let wildcard = new Map<string, SecureContext>()
  const build = (certs: readonly TlsCertificate[]) => {
    const e = new Map<string, SecureContext>()
    const w = new Map<string, SecureContext>()
    for (const c of certs) {
      const ctx = createSecureContext({ cert: c.cert, key: c.key, ...COMMON })
      for (const host of c.hosts) {
        const map = host.startsWith('*.') ? w : e
        const key = host.startsWith('*.') ? host.slice(1) : host
        if (!map.has(key)) map.set(key, ctx) // the first certificate naming a host wins
      }
    }
    exact = e
    wildcard = w
  }
  build(tls.current())
  const defaults = () => {
    const first = tls.current()[0]!
    return { cert: first.cert, key: first.key, ...COMMON }
  }
  return {
    serverOptions: {
      ...defaults(),
      SNICallback(servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) {
        const name = servername.toLowerCase()
        const dot = name.indexOf('.')
        cb(null, exact.get(name) ?? (dot > 0 ? wildcard.get(name.slice(dot)) : undefined)) // undefined: the default context
      },
    },
    follow(server) {
      return tls.subscribe(() => {
        build(tls.current())
        server.setSecureContext(defaults())
      })
    },
  }
}
