/**
 * HTTPS on Node: certificates chosen by SNI from a live map (exact names first, then `*.`
 * wildcards), rebuilt whenever the certificate set changes. The default certificate (no SNI, or
 * an unlisted name) is swapped with `server.setSecureContext()`. Both affect new handshakes only:
 * open connections keep theirs.
 *
 * ACME TLS-ALPN-01 (when the certificate source offers `alpnChallenge`): while a challenge for a
 * name is pending, SNICallback presents its challenge certificate and ALPNCallback agrees to
 * `acme-tls/1` (only then); such a connection is closed after the handshake, as RFC 8737 asks.
 * Node picks the certificate (SNI) before it sees the ALPN list, so a TLS 1.3 client of that
 * name without `acme-tls/1` gets the challenge certificate too, for the seconds the validation
 * takes; prefer HTTP-01 for renewals where port 80 reaches the gateway.
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { Server as TlsServer, TLSSocket } from 'node:tls'
import type { ServeTls, TlsCertificate } from '../types.ts'

const COMMON = { minVersion: 'TLSv1.2' as const }
const ACME_TLS = 'acme-tls/1'

export interface NodeTls {
  /** Options for `https.createServer`. */
  serverOptions: Record<string, unknown>
  /** Starts following certificate changes on `server`; returns the unsubscribe. */
  follow(server: TlsServer): () => void
}

/**
 * Whether this Node answers ACME TLS-ALPN-01: issued on Node 26 (tested); on 22.12 no certificate
 * came within 30 s (cause not found), so HTTP-01 only there.
 */
export const nodeTlsAlpnChallenges = Number(process.versions.node.split('.')[0]) >= 26

/** `http2`: offer `h2` first in ALPN (the listener is a node:http2 server with HTTP/1.1 fallback). */
export function nodeTls(tls: ServeTls, http2 = false): NodeTls {
  const protocols = http2 ? ['h2', 'http/1.1'] : ['http/1.1']
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
  // Only where TLS-ALPN-01 works (nodeTlsAlpnChallenges): on Node 22 an ALPNCallback also cannot
  // be combined with node:http2's own ALPNProtocols (ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS at listen).
  const challenge = nodeTlsAlpnChallenges ? tls.alpnChallenge : undefined
  const challengeContexts = new Map<string, SecureContext>() // by PEM: one context per pending challenge
  const challengeContext = (name: string) => {
    const c = challenge?.(name)
    if (!c) return undefined
    let ctx = challengeContexts.get(c.cert)
    if (!ctx) {
      if (challengeContexts.size > 100) challengeContexts.clear()
      challengeContexts.set(c.cert, (ctx = createSecureContext({ cert: c.cert, key: c.key, minVersion: 'TLSv1.2' })))
    }
    return ctx
  }
  // ALPNProtocols and ALPNCallback exclude each other: with challenges, the callback agrees to
  // h2/http/1.1 as ALPNProtocols would, and to acme-tls/1 only for a name with a pending challenge.
  const alpn = challenge
    ? {
        ALPNCallback: ({ servername, protocols: offered }: { servername: string; protocols: string[] }) =>
          offered.includes(ACME_TLS) && challenge(servername.toLowerCase()) ? ACME_TLS : protocols.find((p) => offered.includes(p)),
      }
    : { ALPNProtocols: protocols }
  return {
    serverOptions: {
      ...defaults(),
      ...alpn,
      SNICallback(servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) {
        const name = servername.toLowerCase()
        const dot = name.indexOf('.')
        cb(null, challengeContext(name) ?? exact.get(name) ?? (dot > 0 ? wildcard.get(name.slice(dot)) : undefined)) // undefined: the default context
      },
    },
    follow(server) {
      const closeChallenge = (socket: TLSSocket) => void (socket.alpnProtocol === ACME_TLS && socket.end())
      if (challenge) server.on('secureConnection', closeChallenge)
      const unsubscribe = tls.subscribe(() => {
        build(tls.current())
        server.setSecureContext(defaults())
      })
      return () => {
        unsubscribe()
        server.off('secureConnection', closeChallenge)
      }
    },
  }
}
