/**
 * The certificate-source contract: where an HTTPS listener's certificates come from. A source
 * pushes whole sets, like a discovery plugin pushes whole snapshots; the gateway checks each set
 * (PEM parses, every key matches its certificate) and swaps it in without dropping a connection.
 *
 * Built in (core/tls/certificate-files.ts): `certificateFiles([...])` (PEM files, watched). An ACME source fits the same shape:
 * it keeps certificates in its own store, pushes them with `update()` when issued or renewed, and
 * answers HTTP-01 challenges through `challenge()`, which the plain-HTTP redirect listener
 * (`listen.tls.redirectHttp`) consults before redirecting.
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
}

export interface CertificateSource extends PluginBase<'certificates'> {
  /** Calls `update` at least once (startup waits for the first good set), then whenever certificates change. */
  start(ctx: CertificateContext): Promise<void> | void
  /** ACME HTTP-01: the key authorization for `token`, answered at `/.well-known/acme-challenge/<token>` on the redirect listener. */
  challenge?(token: string): string | undefined
}
