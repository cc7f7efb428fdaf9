/**
 * Automatic HTTPS: `acme({...})` is a certificate source (`listen.tls.certificates`) that gets a
 * certificate from an ACME CA (RFC 8555: Let's Encrypt, ZeroSSL, a private step-ca or pebble) for
 * every host a route names, those discovery adds at run time included, as soon as the host
 * appears; serves each by SNI; renews at two thirds of its life; and keeps a certificate that
 * fails to renew serving until it expires (with backoff between tries, and a warning each time).
 *
 * Only hosts routes name are ever ordered, at most `newOrders.max` per `newOrders.per`: a TLS
 * handshake naming another host gets the self-signed fallback and orders nothing. Wildcard and IP
 * hosts are skipped (logged once). Challenges: HTTP-01 (the CA connects to port 80: give the
 * listener `redirectHttp: { port: 80 }`; the challenge path is answered before the redirect, and
 * on the main listener before routes) and TLS-ALPN-01 on port 443 (Node only; Bun and Deno
 * cannot present a per-handshake ALPN certificate, so there the default is HTTP-01 alone).
 *
 * The account, keys and certificates live in a store: `directoryStore()` (default `./acme`, files
 * 0600) or `etcdStore()` for replicas, which then order each host once (an etcd lock) and all
 * pick up the result (an etcd watch). `GET /api/certificates` (admin plugin) lists every host's
 * state.
 *
 * A plugin of kind 'certificates' (definePlugin: bad options, the store's included, are problems
 * `gatehouse check` lists at `listen.tls.certificates`). It logs through the gateway's logger and
 * does file I/O through the runtime's `ctx.io`; acme-client itself needs Node's crypto and http
 * modules (Node, Bun and Deno have them) and, on Deno, all of `--allow-env` (README).
 *
 * @example
 * import { acme } from 'gatehouse/plugins/acme'
 * listen: { port: 443, tls: { certificates: acme({ email: 'ops@example.com' }), redirectHttp: { port: 80 } } }
 */
import { definePlugin } from '../../core/plugin/define.ts'
import type { CertificateSource } from '../../core/tls/certificate-source.ts'
import { ChallengeBoard } from './challenges.ts'
import { directoryStore } from './directory-store.ts'
import { AcmeManager } from './manager.ts'
import { acmeOptionsSchema, type AcmeOptions } from './options.ts'

export { directoryStore, type DirectoryStoreOptions } from './directory-store.ts'
export { etcdStore, type EtcdStoreOptions } from './etcd-store.ts'
export type { AcmeStore, StoredCertificate } from './store.ts'
export type { AcmeOptions } from './options.ts'

export function acme(options: AcmeOptions = {}): CertificateSource {
  return definePlugin('certificates', 'acme', acmeOptionsSchema, options, (settings) => {
    // Made here, answered from at once: the listener may be asked before the first order.
    const board = new ChallengeBoard()
    let manager: AcmeManager | undefined
    return {
      async start(ctx) {
        manager = new AcmeManager(settings, ctx, settings.store ?? directoryStore(), board)
        await manager.run()
      },
      challenge: (token) => board.httpAnswer(token),
      alpnChallenge: (servername) => board.alpnCertificate(servername),
      describe: () => manager?.describe() ?? [],
    }
  })
}
