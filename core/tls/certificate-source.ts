/**
 * The certificate-source contract: where an HTTPS listener's certificates come from. A source
 * pushes whole sets, like a discovery plugin pushes whole snapshots; the gateway checks each set
 * (PEM parses, every key matches its certificate) and swaps it in without dropping a connection.
 *
 * Built in: `certificateFiles([...])` (PEM files, watched), and `acme({...})` (plugins/acme), which
 * learns the hosts routes name from `hosts()`/`onHostsChange()`, pushes certificates with
 * `update()` when issued or renewed, and answers HTTP-01 through `challenge()` (consulted on the
 * plain-HTTP redirect listener and on the main listener, before routes) and TLS-ALPN-01 through
 * `alpnChallenge()` (on runtimes that can: `challenges` says which).
 *
 * @example
 * const mySource: CertificateSource = {
 *   kind: 'certificates',
 *   name: 'vault',
 *   async start({ update, signal, log }) {
 *     for await (const pems of watchVault(signal)) update(pems) // [{ cert, key, hosts? }]
 *   },
 * }
 */
import type { PluginBase, PluginContext } from '../plugin/contract.ts'

/** One certificate (PEM chain, leaf first) and its private key (PEM). */
export interface CertificateInput {
  cert: string
  key: string
  /** SNI names it serves (`a.example.com`, `*.example.com`). Default: the DNS names in the certificate. */
  hosts?: readonly string[]
}

export interface CertificateContext extends PluginContext {
  /**
   * Replaces the whole set; the first certificate is the default (clients without SNI, or naming
   * no listed host). Returns the problems that rejected it: a set with any bad certificate or
   * key is rejected whole and the last good set keeps serving ([] = applied).
   */
  update(certificates: readonly CertificateInput[]): string[]
  /** Hosts the routes in force name (config and discovered), lower case, as written (`*.x` patterns included). */
  hosts(): readonly string[]
  /** Calls `listener` after the routes (and so maybe `hosts()`) changed; returns the unsubscribe. */
  onHostsChange(listener: () => void): () => void
  /** Resolves once the gateway's listeners accept connections: challenges can be answered from then on. */
  listening: Promise<void>
  /** ACME challenge types this gateway can answer: 'http-01' always (port 80 must reach it), 'tls-alpn-01' where the runtime supports it. */
  challenges: readonly ChallengeType[]
}

export type ChallengeType = 'http-01' | 'tls-alpn-01'

/** One line of a source's own listing (admin API `/api/certificates`). */
export interface CertificateStatus {
  host: string
  /** valid: served; pending: not issued yet; failing: the last try failed (an older certificate may still serve); skipped: cannot be ordered. */
  state: 'valid' | 'pending' | 'failing' | 'skipped'
  notAfter?: string
  /** When the next order or renewal is due (ISO time). */
  next?: string
  lastError?: string
}

export interface CertificateSource extends PluginBase<'certificates'> {
  /** Calls `update` at least once (startup waits for the first good set), then whenever certificates change. */
  start(ctx: CertificateContext): Promise<void> | void
  /** ACME HTTP-01: the key authorization for `token`, answered at `/.well-known/acme-challenge/<token>`. */
  challenge?(token: string): string | undefined
  /** ACME TLS-ALPN-01: the challenge certificate for `servername` while one is pending (offered to `acme-tls/1` handshakes only). */
  alpnChallenge?(servername: string): { cert: string; key: string } | undefined
  /** What the source manages, for the admin API. */
  describe?(): CertificateStatus[]
}
