/**
 * The ACME account: its key lives in the store (`account/<directory id>`), so replicas sharing a
 * store share the account and a restart does not register a new one. A private directory CA
 * (`directoryCa`) is trusted for requests to the directory's origin only.
 */
import acmeClient from 'acme-client'
import type { AcmeStore } from './store.ts'

export interface AccountSettings {
  directory: string
  email?: string
}

async function accountKey(directory: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(directory)))
  return `account/${[...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')}`
}

/** A client for the stored account, registering one first when there is none. */
export async function accountClient(store: AcmeStore, s: AccountSettings): Promise<acmeClient.Client> {
  // Poll order and challenge status from 0.5 s (the library's default first wait is 5 s).
  const timing = { backoffMin: 500, backoffMax: 10_000, backoffAttempts: 12 }
  const storeKey = await accountKey(s.directory)
  const stored = await store.get(storeKey)
  if (stored) {
    const account = JSON.parse(stored) as { key: string; url: string }
    return new acmeClient.Client({ directoryUrl: s.directory, accountKey: account.key, accountUrl: account.url, ...timing })
  }
  const accountPem = (await acmeClient.crypto.createPrivateEcdsaKey()).toString()
  const client = new acmeClient.Client({ directoryUrl: s.directory, accountKey: accountPem, ...timing })
  // Agreeing to the CA's terms is what ordering means; Caddy and Traefik do the same.
  await client.createAccount({ termsOfServiceAgreed: true, ...(s.email && { contact: [`mailto:${s.email}`] }) })
  await store.put(storeKey, JSON.stringify({ key: accountPem, url: client.getAccountUrl() }))
  return client
}

/** The CA forgot the account (a test CA restarted, an account deactivated): register again next time. */
export async function forgetAccount(store: AcmeStore, directory: string): Promise<void> {
  await store.delete(await accountKey(directory))
}

const trusted = new Set<string>()

/**
 * acme-client sends through one shared axios instance: give requests to the directory's origin
 * `agent`, an HTTPS agent that trusts the private CA (the runtime's `io.httpAgent({ ca })`).
 */
export function trustDirectoryCa(directory: string, caPem: string, agent: unknown): void {
  const origin = new URL(directory).origin
  const id = `${origin}\n${caPem}`
  if (trusted.has(id)) return
  trusted.add(id)
  acmeClient.axios.interceptors.request.use((config) => {
    if (config.url && new URL(config.url).origin === origin) config.httpsAgent = agent
    return config
  })
}
