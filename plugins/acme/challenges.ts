/**
 * Pending ACME challenges, answered synchronously on the request and handshake paths: HTTP-01
 * key authorizations by token (this process's own, and those other replicas put in a shared
 * store, since the CA may reach any of them) and TLS-ALPN-01 certificates by host.
 */
import acmeClient from 'acme-client'
import type { Authorization } from 'acme-client'
import type { AcmeStore } from './store.ts'

type Challenge = { type: string; token: string }

export class ChallengeBoard {
  private readonly http = new Map<string, string>()
  private readonly alpn = new Map<string, { cert: string; key: string }>()

  httpAnswer(token: string): string | undefined {
    return this.http.get(token)
  }

  alpnCertificate(host: string): { cert: string; key: string } | undefined {
    return this.alpn.get(host)
  }

  /** A change of `challenges/<token>` in a shared store. */
  shared(token: string, keyAuthorization: string | undefined): void {
    if (keyAuthorization === undefined) this.http.delete(token)
    else this.http.set(token, keyAuthorization)
  }

  /** Makes the challenge answerable; returns its removal. */
  async prepare(store: AcmeStore, authz: Authorization, challenge: Challenge, keyAuthorization: string): Promise<() => Promise<void>> {
    const host = authz.identifier.value
    if (challenge.type === 'tls-alpn-01') {
      const key = await acmeClient.crypto.createPrivateEcdsaKey()
      const [, cert] = await acmeClient.crypto.createAlpnCertificate(authz, keyAuthorization, key)
      this.alpn.set(host, { cert: cert.toString(), key: key.toString() })
      return async () => void this.alpn.delete(host)
    }
    this.http.set(challenge.token, keyAuthorization)
    await store.put(`challenges/${challenge.token}`, keyAuthorization)
    return async () => {
      this.http.delete(challenge.token)
      await store.delete(`challenges/${challenge.token}`).catch(() => {})
    }
  }
}
