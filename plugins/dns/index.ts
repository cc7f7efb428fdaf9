/**
 * DNS discovery: a pool from SRV records (Consul's DNS interface, seed 003:
 * `_web._tcp.service.consul` or `web.service.consul` SRV), or from A/AAAA records plus a port.
 *
 * - SRV → `http://<target>:<port>`, weight = the SRV weight clamped to 1–1000, labels
 *   `{ priority, target }`. Only the group with the lowest priority value is used (RFC 2782: the
 *   others are standbys, promoted when the lower group leaves DNS). Target hostnames are resolved
 *   with the same servers (`resolveTargets`, default on for http) because Consul's node names only
 *   resolve through Consul; with https the hostname is kept so TLS can verify it, and the HTTP
 *   client resolves it through the system resolver.
 * - Refresh: after each answer, its smallest TTL (the SRV records' and their targets' addresses')
 *   clamped to [minTtl, maxTtl]; failed lookups are retried every `minTtl`. Changes therefore
 *   show within the TTL (at least `minTtl`, at most `maxTtl`) plus one query.
 * - Failures (refused, timeout, server down) keep the last answer for `grace`, then the pool is
 *   emitted empty and an error logged. NXDOMAIN/NODATA, or an SRV target ".", is a real answer:
 *   the pool is empty at once.
 *
 * @example
 * import { dns } from 'gatehouse/plugins/dns'
 * pools: { web: { discovery: dns({ name: 'web.service.consul', servers: ['127.0.0.1:8600'] }) } }
 * pools: { api: { discovery: dns({ name: 'api.internal', type: 'A', port: 8080 }) } }
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { DiscoveryPlugin } from '../../core/types.ts'
import { lookup } from './lookup.ts'
import { refreshDelay } from './records.ts'

const SERVER = /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/

const optionsSchema = z
  .strictObject({
    /** Name to query, e.g. "_http._tcp.web.service.consul". */
    name: z.string().min(1, { error: 'expected a DNS name' }),
    /** Record type. Default SRV. */
    type: z.enum(['SRV', 'A', 'AAAA']).default('SRV'),
    /** Upstream port; required for A/AAAA (SRV carries its own). */
    port: z.number().int().min(1).max(65535).optional(),
    /** Upstream URL scheme. Default http. */
    scheme: z.enum(['http', 'https']).default('http'),
    /** DNS servers to ask. Default: the system resolvers. */
    servers: z
      .array(z.string().regex(SERVER, { error: 'expected a DNS server like "127.0.0.1:8600" or "[::1]:53"' }))
      .min(1)
      .optional(),
    /** Pool to fill. Default: the pool this source is attached to. */
    pool: z.string().min(1).optional(),
    /** Resolve SRV target hostnames with `servers`. Default true for http, false for https. */
    resolveTargets: z.boolean().optional(),
    /** Shortest refresh, whatever the TTL; also the retry interval after a failed lookup. Default 1s. */
    minTtl: duration().default(1_000),
    /** Longest refresh, whatever the TTL. Default 60s. */
    maxTtl: duration().default(60_000),
    /** How long the last answer outlives a failing resolver. Default 5m. */
    grace: duration().default(300_000),
    /** Per query try (two tries). Default 2s. */
    timeout: duration().default(2_000),
  })
  .superRefine((o, ctx) => {
    if (o.type !== 'SRV' && o.port === undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: `required for type "${o.type}" (SRV records carry their own ports)` })
    if (o.type === 'SRV' && o.port !== undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'not allowed with type "SRV": the SRV records give the ports' })
    if (o.minTtl < 100) ctx.addIssue({ code: 'custom', path: ['minTtl'], message: 'expected at least 100ms' })
    if (o.maxTtl < o.minTtl) ctx.addIssue({ code: 'custom', path: ['maxTtl'], message: 'must not be shorter than minTtl' })
  })

export type DnsOptions = z.input<typeof optionsSchema>

export function dns(options: DnsOptions): DiscoveryPlugin {
  return definePlugin('discovery', 'dns', optionsSchema, options, (opts) => {
    const spec = { ...opts, resolveTargets: opts.resolveTargets ?? opts.scheme === 'http' }
    return {
      async start({ emit, signal, pool, log, io }) {
        const target = opts.pool ?? pool
        if (!target) throw new Error('dns() must be used under pools.<name>.discovery, or be given { pool }')
        if (signal.aborted) return
        const client = io.dns({ servers: opts.servers, timeoutMs: opts.timeout })
        const label = `dns ${opts.type} ${opts.name}`
        let timer: ReturnType<typeof setTimeout> | undefined
        let answered = false
        let failingSince: number | undefined
        let expired = false
        let unresolved = ''

        const publish = (upstreams: unknown[]) => {
          emit({ pools: { [target]: upstreams as never } }) // an unchanged answer is dropped by the gateway's watcher
        }
        const fail = (err: NodeJS.ErrnoException) => {
          const why = err.code ?? err.message
          if (!answered) {
            if (failingSince === undefined) log.error(`${label}: lookup failed (${why}); no answer yet, retrying every ${opts.minTtl}ms`)
          } else if (failingSince === undefined) {
            log.warn(`${label}: lookup failed (${why}); keeping the last answer for up to ${opts.grace}ms`)
          } else if (!expired && Date.now() - failingSince >= opts.grace) {
            expired = true
            log.error(`${label}: still failing (${why}) after the ${opts.grace}ms grace; the pool is now empty`)
            publish([])
          }
          failingSince ??= Date.now()
        }
        const refresh = async () => {
          timer = undefined
          if (signal.aborted) return
          let delay = opts.minTtl
          try {
            const answer = await lookup(client, spec)
            if (signal.aborted) return
            if (failingSince !== undefined && answered) log.info(`${label}: answering again`)
            ;[answered, failingSince, expired] = [true, undefined, false]
            if (answer.unresolved.join() !== unresolved && (unresolved = answer.unresolved.join()))
              log.warn(`${label}: SRV targets without A/AAAA records, skipped: ${unresolved}`)
            publish(answer.upstreams)
            delay = refreshDelay(answer.ttl, opts.minTtl, opts.maxTtl)
          } catch (err) {
            if (signal.aborted) return
            fail(err as NodeJS.ErrnoException)
          }
          timer = setTimeout(refresh, delay)
        }

        signal.addEventListener('abort', () => (clearTimeout(timer), client.cancel()), { once: true })
        await refresh() // the first answer is out before start() resolves
      },
    }
  })
}

export default dns
