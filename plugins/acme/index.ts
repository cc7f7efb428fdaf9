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
 * @example
 * import { acme } from 'gatehouse/plugins/acme'
 * listen: { port: 443, tls: { certificates: acme({ email: 'ops@example.com' }), redirectHttp: { port: 80 } } }
 */
import { parseOptions } from '../../core/config/errors.ts'
import { readTextSync } from '../../core/runtime/io/certificates.ts'
import type { CertificateSource } from '../certificates/contract.ts'
import { ChallengeBoard } from './challenges.ts'
import { directoryStore } from './directory-store.ts'
import { AcmeManager } from './manager.ts'
import { acmeOptionsSchema, type AcmeOptions } from './options.ts'

export { directoryStore, type DirectoryStoreOptions } from './directory-store.ts'
export { etcdStore, type EtcdStoreOptions } from './etcd-store.ts'
export type { AcmeStore, StoredCertificate } from './store.ts'
export type { AcmeOptions } from './options.ts'

export function acme(options: AcmeOptions = {}): CertificateSource {
  const settings = parseOptions('acme', acmeOptionsSchema, options)
  const directoryCaPem = settings.directoryCa ? (readTextSync(settings.directoryCa) as { text: string }).text : undefined
  const board = new ChallengeBoard()
  let manager: AcmeManager | undefined
  return {
    name: 'acme',
    async start(ctx) {
      manager = new AcmeManager({ ...settings, directoryCaPem }, ctx, settings.store ?? directoryStore(), board)
      await manager.run()
    },
    challenge: (token) => board.httpAnswer(token),
    alpnChallenge: (servername) => board.alpnCertificate(servername),
    describe: () => manager?.describe() ?? [],
  } satisfies CertificateSource
}
