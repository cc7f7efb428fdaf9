/**
 * `etcdStore({ endpoints })`: the ACME store in etcd, for several gateway replicas. They share
 * one account and every certificate; an order runs under an etcd lock held by a lease (`lockTtl`:
 * if the holder dies, the lock goes with its lease), so one replica orders a host while the
 * others wait, and they all pick the certificate up from a watch on the prefix as soon as it
 * lands. Pending HTTP-01 answers are shared the same way, so the CA may reach any replica.
 *
 * The watch re-reads the prefix after a break (etcd restarted, unreachable) with backoff; until
 * then each replica serves what it has.
 *
 * @example
 * import { acme, etcdStore } from 'gatehouse/plugins/acme'
 * acme({ email: 'ops@example.com', store: etcdStore({ endpoints: ['http://10.0.0.2:2379'] }) })
 */
import { z } from 'zod'
import { etcdAuth, etcdEndpoints } from '../etcd/options.ts'
import type { Etcd3 } from 'etcd3'
import { duration } from '../../core/config/duration.ts'
import { backoffDelay, closeClient, createClient, errorText, sleep } from '../etcd/client.ts'
import { runSession } from '../etcd/session.ts'
import { checkKey, defineStore, type AcmeStore } from './store.ts'

const optionsSchema = z.strictObject({
  /** etcd client URLs. Default ["http://127.0.0.1:2379"]. */
  endpoints: etcdEndpoints,
  /** Keys of the store. Default "/gatehouse/acme/". */
  prefix: z.string().regex(/^.*\/$/, { error: 'expected a key prefix ending in "/"' }).default('/gatehouse/acme/'),
  /** Lease of the order lock: how soon another replica may order after the holder died. Default 30s. */
  lockTtl: duration()
    .default(30_000)
    .refine((ms) => ms >= 2_000, { error: 'expected at least 2s' }),
  /** Deadline of each etcd request. Default 2s. */
  dialTimeout: duration().default(2_000),
  /** etcd user and password, when auth is on. */
  auth: etcdAuth,
})

export type EtcdStoreOptions = z.input<typeof optionsSchema>

export function etcdStore(options: EtcdStoreOptions = {}): AcmeStore {
  return defineStore('etcdStore', optionsSchema, options, (opts) => etcdStoreWith(opts))
}

function etcdStoreWith(opts: z.output<typeof optionsSchema>): AcmeStore {
  const listeners: ((key: string, value: string | undefined) => void)[] = []
  let client: Etcd3 | undefined
  const etcd = () => {
    if (!client) throw new Error('acme etcd store: not open')
    return client
  }
  const full = (key: string) => opts.prefix + checkKey(key)

  return {
    name: `etcd ${opts.prefix}`,
    async open({ signal, log }) {
      const c = (client = await createClient({ endpoints: opts.endpoints, timeout: opts.dialTimeout, auth: opts.auth }))
      signal.addEventListener('abort', () => closeClient(c), { once: true })
      void follow(c, opts.prefix, signal, log, (key, value) => {
        for (const listener of listeners) listener(key, value)
      })
    },
    async get(key) {
      return (await etcd().get(full(key)).string()) ?? undefined
    },
    async put(key, value) {
      await etcd().put(full(key)).value(value)
    },
    async delete(key) {
      await etcd().delete().key(full(key))
    },
    async withLock(name, fn) {
      const { EtcdLockFailedError } = await import('etcd3')
      const lock = etcd().lock(`${opts.prefix}locks/${name}`).ttl(Math.ceil(opts.lockTtl / 1000))
      try {
        await lock.acquire()
      } catch (err) {
        if (err instanceof EtcdLockFailedError) return { ran: false }
        throw err
      }
      try {
        return { ran: true, value: await fn() }
      } finally {
        await lock.release().catch(() => {})
      }
    },
    watch(listener) {
      listeners.push(listener)
    },
  }
}

/** Read-then-watch sessions on the prefix until abort; reports each key whose value changed. */
async function follow(client: Etcd3, prefix: string, signal: AbortSignal, log: { warn(m: string): void }, changed: (key: string, value: string | undefined) => void) {
  let known = new Map<string, string>()
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const reason = await runSession(client, [prefix], {
        watchTimeout: 5_000,
        onState(kvs) {
          attempt = 0
          for (const [k, v] of kvs) if (known.get(k) !== v && !k.startsWith(`${prefix}locks/`)) changed(k.slice(prefix.length), v)
          for (const k of known.keys()) if (!kvs.has(k) && !k.startsWith(`${prefix}locks/`)) changed(k.slice(prefix.length), undefined)
          known = new Map(kvs)
        },
      }, signal)
      if (signal.aborted) return
      log.warn(`acme etcd store: ${reason}; reading again`)
    } catch (err) {
      if (signal.aborted) return
      log.warn(`acme etcd store: cannot read ${prefix} (${errorText(err)}); retrying`)
    }
    await sleep(backoffDelay(attempt, 200, 5_000), signal)
  }
}
