/**
 * Keeps a set of keys in etcd under one lease for as long as the process lives: the writer half of
 * etcd discovery, used by `gatehouse register` and `gatehouse registrator`.
 *
 * - The lease is kept alive (every ttl/3). If the process dies without a word (SIGKILL, power
 *   loss), etcd deletes every key when the lease expires, within `ttl`.
 * - `close()` revokes the lease: every key is gone at once (a clean shutdown).
 * - If the lease is lost (etcd unreachable for longer than the ttl, or wiped), a new one is granted
 *   with backoff once etcd answers again, and every key is put again.
 * - `set(keys)` makes etcd hold exactly these keys: changed ones are put, dropped ones deleted.
 *
 * @example
 * const reg = keepRegistered({ endpoints: ['http://127.0.0.1:2379'], ttl: 10, timeout: 2000, log })
 * reg.set(new Map([['/gatehouse/pools/web/10.0.0.5:8000', '{"url":"http://10.0.0.5:8000"}']]))
 * process.on('SIGTERM', () => reg.close().then(() => process.exit(0)))
 */
import type { Etcd3, Lease } from 'etcd3'
import type { Logger } from '../../core/types.ts'
import { backoffDelay, closeClient, createClient, errorText, sleep, type ClientOptions } from './client.ts'

export interface RegistrationOptions extends ClientOptions {
  /** Lease time to live, in whole seconds (etcd's unit); at least 1. */
  ttl: number
  log: Logger
  /** Retry delays after a failure, ms. Default 100..3000. */
  backoff?: { min: number; max: number }
}

export interface Registration {
  /** The keys etcd must hold (replaces the previous set); written as soon as etcd answers. */
  set(keys: ReadonlyMap<string, string>): void
  /** Revokes the lease (every key goes at once) and closes the connection. False if etcd could not be told. */
  close(): Promise<boolean>
}

export function keepRegistered(opts: RegistrationOptions): Registration {
  const { log } = opts
  const backoff = opts.backoff ?? { min: 100, max: 3_000 }
  const stop = new AbortController()
  let desired = new Map<string, string>()
  const written = new Map<string, string>() // what etcd holds under the current lease
  let lease: Lease | undefined
  let client: Etcd3 | undefined
  let dirty = false // set() was called since the last flush began
  let wake: () => void = () => {}

  /** Writes the difference between `desired` and `written`; throws on the first failure. */
  const flush = async (l: Lease, c: Etcd3) => {
    for (const [key, value] of desired) {
      if (written.get(key) === value) continue
      await l.put(key).value(value).exec()
      written.set(key, value)
      log.info(`registered ${key} = ${value}`)
    }
    for (const key of [...written.keys()]) {
      if (desired.has(key)) continue
      await c.delete().key(key).exec()
      written.delete(key)
      log.info(`deregistered ${key}`)
    }
  }

  const loop = async () => {
    let failures = 0
    let lastLogged = 0
    while (!stop.signal.aborted) {
      const c = (client = await createClient(opts))
      const l = (lease = c.lease(opts.ttl))
      let lost = false
      l.on('lost', () => ((lost = true), wake()))
      written.clear()
      try {
        const id = await l.grant()
        log.info(`lease ${BigInt(id).toString(16)} granted (ttl ${opts.ttl}s)${failures ? ` after ${failures} failed attempt(s)` : ''}`)
        while (!stop.signal.aborted && !lost) {
          dirty = false
          await flush(l, c)
          failures = 0
          if (!dirty && !lost && !stop.signal.aborted) await new Promise<void>((resolve) => (wake = resolve)) // until set(), loss or close()
        }
        if (lost) throw new Error('lease lost (etcd unreachable for longer than the ttl?)')
        return
      } catch (err) {
        if (stop.signal.aborted) return
        const delay = backoffDelay(failures++, backoff.min, backoff.max)
        // The first failure, then one line per 30 s while etcd stays away.
        if (failures === 1 || Date.now() - lastLogged > 30_000) {
          lastLogged = Date.now()
          log.warn(`etcd registration: ${errorText(err)}; trying again (backoff up to ${backoff.max} ms)`)
        }
        l.release()
        closeClient(c)
        if (lease === l) lease = undefined
        await sleep(delay, stop.signal)
      }
    }
  }
  const running = loop().catch((err) => log.error('etcd registration stopped', { error: String(err?.stack ?? err) }))

  return {
    set(keys) {
      desired = new Map(keys)
      dirty = true
      wake()
    },
    async close() {
      stop.abort()
      wake()
      await running
      const l = lease
      const c = client
      let told = true
      if (l && written.size) {
        try {
          await l.revoke()
          for (const key of written.keys()) log.info(`deregistered ${key} (lease revoked)`)
        } catch (err) {
          told = false
          log.warn(`could not revoke the lease (${errorText(err)}); its keys expire within ${opts.ttl}s`)
        }
      } else l?.release()
      if (c) closeClient(c)
      return told
    },
  }
}
