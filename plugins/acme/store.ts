/**
 * Where ACME keeps what it must not lose and what replicas share: the account key, each host's
 * certificate and key, and (for replicas behind one address) pending HTTP-01 answers. Keys are
 * short paths: `account/<id>`, `certs/<host>`, `challenges/<token>`.
 *
 * Built in: `directoryStore()` (files, 0600; the default) and `etcdStore()` (shared by replicas:
 * one orders at a time under a lease-held lock, the others see the result through a watch).
 */
import type { z } from 'zod'
import { ConfigError, formatIssues } from '../../core/config/errors.ts'
import type { PluginContext } from '../../core/plugin/contract.ts'

export interface AcmeStore {
  readonly name: string
  /** Problems with the store's options (its factory never throws): `acme()` lists them under `store`. */
  readonly problems?: readonly string[]
  /** Connects (etcd) or finds its directory, with the acme source's context (log, signal, runtime I/O); called once before anything else. */
  open(ctx: PluginContext): Promise<void>
  get(key: string): Promise<string | undefined>
  put(key: string, value: string): Promise<void>
  delete(key: string): Promise<void>
  /**
   * Runs `fn` while holding the lock `name` (one holder among all processes sharing the store).
   * Resolves `{ ran: false }` at once when another holder has it.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>
  /** Tells `listener` of changed keys (value undefined: deleted), those of other processes included. Stores only one process uses may leave it out. */
  watch?(listener: (key: string, value: string | undefined) => void): void
}

/** Store keys are made of host names and base64url tokens only. */
export const STORE_KEY = /^(account|certs|challenges)\/[A-Za-z0-9._-]{1,255}$/

export function checkKey(key: string): string {
  if (!STORE_KEY.test(key) || key.includes('..')) throw new Error(`acme store: bad key "${key}"`)
  return key
}

/** What `certs/<host>` holds. */
export interface StoredCertificate {
  cert: string
  key: string
  /** ISO times, so a reader need not parse the certificate to plan. */
  notBefore: string
  notAfter: string
}

/**
 * What each store factory does with its options, as definePlugin does for plugins: a store built
 * from the parsed options, or an inert one carrying `problems` (`directoryStore(): path: …`).
 */
export function defineStore<S extends z.ZodType>(factory: string, schema: S, input: unknown, build: (options: z.output<S>) => AcmeStore): AcmeStore {
  const parsed = schema.safeParse(input ?? {})
  if (parsed.success) return build(parsed.data)
  const problems = formatIssues(parsed.error.issues).map((p) => `${factory}(): ${p}`)
  const refuse = async (): Promise<never> => {
    throw new ConfigError(problems, `options for ${factory}`)
  }
  return { name: factory, problems, open: refuse, get: refuse, put: refuse, delete: refuse, withLock: refuse }
}
