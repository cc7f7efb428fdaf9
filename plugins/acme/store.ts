/**
 * Where ACME keeps what it must not lose and what replicas share: the account key, each host's
 * certificate and key, and (for replicas behind one address) pending HTTP-01 answers. Keys are
 * short paths: `account/<id>`, `certs/<host>`, `challenges/<token>`.
 *
 * Built in: `directoryStore()` (files, 0600; the default) and `etcdStore()` (shared by replicas:
 * one orders at a time under a lease-held lock, the others see the result through a watch).
 */
import type { Logger } from '../../core/types.ts'

export interface AcmeStore {
  readonly name: string
  /** Connects (etcd) or creates its directory; called once before anything else. */
  open(ctx: { signal: AbortSignal; log: Logger }): Promise<void>
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
