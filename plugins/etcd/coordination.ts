/**
 * `etcdCoordination({ endpoints })`: several gateways in front of the same replicas share, through
 * etcd, what core/plugin/coordination.ts asks: a pool's scale lock (an etcd lock held by this
 * gateway's lease: a gateway that dies lets go within `ttl`) and each gateway's last activity on a
 * pool (a key per gateway under the same lease, so a dead gateway's activity goes with it); and
 * each pool's release (core/release/): a decider key under the deciding gateway's lease, created
 * only when absent, and the rollout state it publishes (no lease: the next decider goes on from it).
 *
 * @example
 * import { etcdCoordination } from 'gatehouse/plugins/etcd'
 * export default defineConfig({
 *   coordination: etcdCoordination({ endpoints: ['http://10.0.0.2:2379'] }),
 *   pools: { app: { discovery: docker(), scale: { min: 0, idle: '5m' } } },
 * })
 */
import { z } from 'zod'
import { etcdAuth, etcdEndpoints } from './options.ts'
import type { Etcd3, Lease } from 'etcd3'
import { duration } from '../../core/config/duration.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { CoordinationPlugin, CoordinationSession } from '../../core/plugin/coordination.ts'
import { closeClient, createClient } from './client.ts'

const optionsSchema = z.strictObject({
  /** etcd client URLs. Default ["http://127.0.0.1:2379"]. */
  endpoints: etcdEndpoints,
  /** Keys it writes (scale locks and activity; `release/<pool>/` for shared rollouts). Default "/gatehouse/scale/". */
  prefix: z.string().regex(/^.*\/$/, { error: 'expected a key prefix ending in "/"' }).default('/gatehouse/scale/'),
  /** Lease of this gateway's lock and activity keys: how soon the others go on without a gateway that died. Default 10s. */
  ttl: duration()
    .default(10_000)
    .refine((ms) => ms >= 2_000, { error: 'expected at least 2s' }),
  /** Deadline of each etcd request. Default 2s. */
  dialTimeout: duration().default(2_000),
  /** etcd user and password, when auth is on. */
  auth: etcdAuth,
})

export type EtcdCoordinationOptions = z.input<typeof optionsSchema>

export function etcdCoordination(options: EtcdCoordinationOptions = {}): CoordinationPlugin {
  return definePlugin('coordination', 'etcdCoordination', optionsSchema, options, (opts) => ({
    async start({ signal, log }): Promise<CoordinationSession> {
      const client: Etcd3 = await createClient({ endpoints: opts.endpoints, timeout: opts.dialTimeout, auth: opts.auth })
      const ttl = Math.ceil(opts.ttl / 1000)
      const me = crypto.randomUUID()
      let lease: Lease | undefined
      /** One lease for this gateway's keys, granted again if etcd lost it. */
      const currentLease = () => {
        if (lease) return lease
        const fresh = client.lease(ttl, { autoKeepAlive: true })
        fresh.on('lost', (err) => {
          if (lease === fresh) lease = undefined
          if (!signal.aborted) log.warn(`etcd lease lost (${err.message}); a new one is taken on the next write`)
        })
        return (lease = fresh)
      }
      await currentLease().grant() // fail at start, not at the first wake, when etcd is unreachable
      signal.addEventListener('abort', () => void lease?.revoke().catch(() => {}).finally(() => closeClient(client)), { once: true })
      log.info(`coordinating with other gateways through etcd ${opts.endpoints.join(', ')} (${opts.prefix})`)
      return {
        async exclusive(name, fn) {
          const { EtcdLockFailedError } = await import('etcd3')
          const lock = client.lock(`${opts.prefix}locks/${name}`).ttl(ttl)
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
        release: {
          async lead(pool) {
            const key = `${opts.prefix}release/${pool}/decider`
            const id = await currentLease().grant()
            await client.if(key, 'Create', '==', 0).then(client.put(key).value(me).lease(id)).commit()
            return (await client.get(key).string()) === me
          },
          async publish(pool, state) {
            await client.put(`${opts.prefix}release/${pool}/state`).value(state)
          },
          async read(pool) {
            return (await client.get(`${opts.prefix}release/${pool}/state`).string()) ?? undefined
          },
        },
        async activity(pool, lastActive) {
          const dir = `${opts.prefix}activity/${pool}/`
          await currentLease().put(dir + me).value(String(lastActive))
          const all = await client.getAll().prefix(dir).strings()
          return Math.max(lastActive, ...Object.values(all).map(Number).filter(Number.isFinite))
        },
      }
    },
  }))
}
