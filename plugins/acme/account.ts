/**
 * The ACME account: its key lives in the store (`account/<directory id>`), so replicas sharing a
 * store share the account and a restart does not register a new one. A private directory CA
 * (`directoryCa`) is trusted for requests to the directory's origin only.
 */
import acmeClient from 'acme-client'
import { createHash } from 'node:crypto'
import { Agent } from 'node:https'
import type { AcmeStore } from './store.ts'

export interface AccountSettings {
  directory: string
  email?: string
}

const accountKey = (directory: string) => `account/${createHash('sha256').update(directory).digest('hex').slice(0, 16)}`

/** A client for the stored account, registering one first when there is none. */
export async function accountClient(store: AcmeStore, s: AccountSettings): Promise<acmeClient.Client> {
  // Poll order and challenge status from 0.5 s (the library's default first wait is 5 s).
  const timing = { backoffMin: 500, backoffMax: 10_000, backoffAttempts: 12 }
  const stored = await store.get(accountKey(s.directory))
  if (stored) {
    const { key, url } = JSON.parse(stored) as { key: string; url: string }
    return new acmeClient.Client({ directoryUrl: s.directory, accountKey: key, accountUrl: url, ...timing })
  }
  const key = (await acmeClient.crypto.createPrivateEcdsaKey()).toString()
  const client = new acmeClient.Client({ directoryUrl: s.directory, accountKey: key, ...timing })
  // Agreeing to the CA's terms is what ordering means; Caddy and Traefik do the same.
  await client.createAccount({ termsOfServiceAgreed: true, ...(s.email && { contact: [`mailto:${s.email}`] }) })
  await store.put(accountKey(s.directory), JSON.stringify({ key, url: client.getAccountUrl() }))
  return client
}

/** The CA forgot the account (a test CA restarted, an account deactivated): register again next time. */
export async function forgetAccount(store: AcmeStore, directory: string): Promise<void> {
  await store.delete(accountKey(directory))
}

const trusted = new Set<string>()

/** acme-client sends through one shared axios instance: give requests to the directory's origin an agent that trusts `caPem`. */
export function trustDirectoryCa(directory: string, caPem: string): void {
  const origin = new URL(directory).origin
  const id = `${origin}\n${caPem}`
  if (trusted.has(id)) return
  trusted.add(id)
  const agent = new Agent({ ca: caPem, keepAlive: true })
  acmeClient.axios.interceptors.request.use((config) => {
    if (config.url && new URL(config.url).origin === origin) config.httpsAgent = agent
    return config
  })
}
