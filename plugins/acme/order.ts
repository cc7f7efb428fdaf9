/**
 * One ACME order for one host (RFC 8555 §7.4): create the order, answer each pending
 * authorization with the first challenge type in `preferred` that the CA offers, finalize with a
 * fresh P-256 key, download the chain. Errors say which step failed and the CA's reason.
 */
import acmeClient from 'acme-client'
import type { ChallengeBoard } from './challenges.ts'
import type { ChallengeType } from '../../core/tls/certificate-source.ts'
import type { AcmeStore, StoredCertificate } from './store.ts'

export async function orderCertificate(
  client: acmeClient.Client,
  host: string,
  { preferred, board, store }: { preferred: readonly ChallengeType[]; board: ChallengeBoard; store: AcmeStore },
): Promise<StoredCertificate> {
  const order = await step('creating the order', () => client.createOrder({ identifiers: [{ type: 'dns', value: host }] }))
  const authorizations = await step('reading its authorizations', () => client.getAuthorizations(order))
  for (const authz of authorizations) {
    if (authz.status === 'valid') continue
    const challenge = preferred.map((type) => authz.challenges.find((c) => c.type === type)).find((c) => c !== undefined)
    if (!challenge) throw new Error(`the CA offers none of ${preferred.join(', ')} (it offers ${authz.challenges.map((c) => c.type).join(', ')})`)
    const keyAuthorization = await client.getChallengeKeyAuthorization(challenge)
    const withdraw = await board.prepare(store, authz, challenge, keyAuthorization)
    try {
      await step(`${challenge.type} validation`, async () => {
        await client.completeChallenge(challenge)
        await client.waitForValidStatus(challenge)
      })
    } finally {
      await withdraw()
    }
  }
  const [key, csr] = await acmeClient.crypto.createCsr({ altNames: [host] }, await acmeClient.crypto.createPrivateEcdsaKey())
  const finalized = await step('finalizing', () => client.finalizeOrder(order, csr))
  const cert = await step('downloading the certificate', () => client.getCertificate(finalized))
  const info = acmeClient.crypto.readCertificateInfo(cert)
  return { cert, key: key.toString(), notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString() }
}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw new Error(`${what}: ${String((err as Error)?.message ?? err).replace(/\s+/g, ' ').slice(0, 300)}`)
  }
}
