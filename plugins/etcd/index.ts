/**
 * etcd discovery (seed 004: confd + etcd + HAProxy, without confd and without reloads). Instances
 * put themselves under a prefix (`gatehouse register`, `gatehouse registrator`, or anything that
 * writes etcd); every gateway reading that prefix follows within a watch round trip (~ms).
 *
 * Keys (see translate.ts): under a pool, every key below `prefix` is one upstream of that pool
 * (`/app/servers/app1` = `127.0.0.1:8001`, a URL, or JSON `{ "url", "weight", "labels" }`); at the
 * top level, `<prefix><pool>/<name>` (default `/gatehouse/pools/web/app1`) fills pool `<pool>`.
 * Each key under `routesPrefix` (default `/gatehouse/routes/`) holds one JSON route, checked by
 * the same schema as the routes in gateway.config.ts; a bad key is skipped with a logged reason,
 * and config routes win over etcd ones. The upstream id is the etcd key.
 *
 * How it stays current: it reads everything at one revision R, emits, then watches from R + 1, so
 * nothing changed between the read and the watch is lost; each change emits a whole snapshot.
 * When the watch breaks (etcd down, restarted, compacted) it backs off (`backoff.min` doubling to
 * `backoff.max`, jittered) and re-reads. Meanwhile the gateway serves the last snapshot: an
 * unreachable etcd never empties a pool, only etcd saying so does. With several etcd sources in
 * one config, give all but one `routesPrefix: false` (the duplicates would only be ignored).
 *
 * @example
 * import { etcd } from 'gatehouse/plugins/etcd'
 * pools: { app: { discovery: etcd({ endpoints: ['http://127.0.0.1:2379'], prefix: '/app/servers/' }) } }
 * discovery: [etcd({ endpoints: ['http://10.0.0.2:2379', 'http://10.0.0.3:2379'] })] // /gatehouse/pools/<pool>/<name>
 */
import { z } from 'zod'
import { etcdAuth, etcdEndpoints } from './options.ts'
import { duration } from '../../core/config/duration.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { DiscoveryContext, DiscoveryPlugin } from '../../core/types.ts'
import { backoffDelay, closeClient, createClient, errorText, sleep } from './client.ts'
import { runSession, type SessionHooks } from './session.ts'
import { toSnapshot, type Layout } from './translate.ts'

const keyPrefix = z.string().regex(/^.*\/$/, { error: 'expected a key prefix ending in "/", like "/app/servers/"' })
const optionsSchema = z.strictObject({
  /** etcd client URLs. Default ["http://127.0.0.1:2379"]. */
  endpoints: etcdEndpoints,
  /** Server keys. Default "/gatehouse/pools/<pool>/" under a pool, "/gatehouse/pools/" at the top level. */
  prefix: keyPrefix.optional(),
  /** Pool every key under prefix feeds. Default: the pool this source is attached to (none at the top level). */
  pool: z.string().min(1).optional(),
  /** Route keys (one JSON route each); false: none. Default "/gatehouse/routes/". */
  routesPrefix: z.union([keyPrefix, z.literal(false)]).default('/gatehouse/routes/'),
  /** Deadline of each etcd request and of setting up the watch. Default 2s. */
  dialTimeout: duration().default(2_000),
  /** Delay before re-reading after a failure: min doubling up to max, jittered. Default 100ms..3s. */
  backoff: z
    .strictObject({ min: duration().default(100), max: duration().default(3_000) })
    .default({ min: 100, max: 3_000 }),
  /** etcd user and password, when auth is on. */
  auth: etcdAuth,
})

export type EtcdOptions = z.input<typeof optionsSchema>

/** @internal test seam: runs between the first read and the watch. */
export interface EtcdTestHooks {
  afterRead?: SessionHooks['afterRead']
}

export function etcd(options: EtcdOptions = {}, hooks: EtcdTestHooks = {}): DiscoveryPlugin {
  return definePlugin('discovery', 'etcd', optionsSchema, options, (opts) => {
    return {
      start: (ctx) => follow(ctx, opts, hooks),
    }
  })
}

type Options = z.output<typeof optionsSchema>

/** Resolves once the first read succeeded (snapshot emitted) or failed (logged); keeps following until abort. */
async function follow({ emit, signal, pool: attached, log }: DiscoveryContext, opts: Options, hooks: EtcdTestHooks): Promise<void> {
  if (signal.aborted) return
  const pool = opts.pool ?? attached
  const layout: Layout = { prefix: opts.prefix ?? (pool ? `/gatehouse/pools/${pool}/` : '/gatehouse/pools/'), pool, routesPrefix: opts.routesPrefix }
  const prefixes = layout.routesPrefix === false ? [layout.prefix] : [layout.prefix, layout.routesPrefix]
  const label = `etcd ${layout.prefix}`
  let emitted = false
  let problems = new Set<string>()

  const publish = (kvs: ReadonlyMap<string, string>) => {
    if (signal.aborted) return
    const t = toSnapshot(kvs, layout)
    for (const p of t.problems) if (!problems.has(p)) log.warn(`${label}: key skipped: ${p}`)
    problems = new Set(t.problems)
    emitted = true
    emit(t.snapshot) // an unchanged one is dropped by the gateway's watcher
  }

  let firstDone!: () => void
  const first = new Promise<void>((resolve) => (firstDone = resolve))
  const loop = async () => {
    let failures = 0
    let lastLogged = 0
    while (!signal.aborted) {
      const client = await createClient({ endpoints: opts.endpoints, timeout: opts.dialTimeout, auth: opts.auth })
      const began = Date.now()
      let fresh = true
      let reason: string
      try {
        reason = await runSession(client, prefixes, {
          watchTimeout: opts.dialTimeout,
          afterRead: hooks.afterRead,
          onState: (kvs) => {
            if (fresh && failures) log.info(`${label}: read etcd again after ${failures} failed attempt(s)`)
            fresh = false
            publish(kvs)
            firstDone()
          },
        }, signal)
      } catch (err) {
        reason = `cannot read etcd (${errorText(err)})`
      } finally {
        closeClient(client)
      }
      if (signal.aborted) break
      // Only a session that lasted starts the backoff over: one that breaks at once (a watch etcd
      // refuses) must not turn into a tight read loop.
      if (Date.now() - began > 10_000) failures = 0
      const delay = backoffDelay(failures++, opts.backoff.min, opts.backoff.max)
      // The first failure, then one line per 30 s while etcd stays away.
      if (failures === 1 || Date.now() - lastLogged > 30_000) {
        lastLogged = Date.now()
        log.warn(`${label}: ${reason}; ${emitted ? 'serving the last snapshot' : 'no snapshot yet'}, retrying in ${delay} ms`)
      }
      firstDone()
      await sleep(delay, signal)
    }
    firstDone()
  }
  loop().catch((err) => {
    log.error(`${label}: stopped following etcd`, { error: String(err?.stack ?? err) })
    firstDone()
  })
  await first
}

export default etcd
export { etcdCoordination, type EtcdCoordinationOptions } from './coordination.ts'
