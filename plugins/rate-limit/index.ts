/**
 * Rate limiting with a token bucket per client key: `rate: '100/1m'` refills 100 tokens a
 * minute, `burst` (default: the rate's count) is how many may come at once. Use it to protect
 * upstreams from one noisy client, per IP, per consumer (an API key's consumer name, a JWT's
 * `sub`) or per header (a tenant id). Over the limit → `429` with `Retry-After` and the IETF
 * draft `RateLimit-Limit`/`-Remaining`/`-Reset` headers (also set on allowed requests; see the
 * README on Node). A request without its key (no consumer, no header) is limited by its IP.
 *
 * Stores: `'local'` (default; this process' memory, bounded LRU of `maxKeys` buckets) or
 * `{ redis: 'redis://…' }` (shared by all gateways using the same Redis and prefix). When the
 * store fails (Redis down or slower than its `timeout`), `onStoreError` decides: `'allow'`
 * (default, fail open) or `'deny'` (fail closed, 503); either way it is logged.
 *
 * @example
 * ```ts
 * import { rateLimit } from 'gatehouse/plugins/rate-limit'
 * routes: [{ path: '/api/*', pool: 'api', use: [
 *   apiKey({ keys }), rateLimit({ rate: '600/1m', burst: 50, key: 'consumer', store: { redis: 'redis://127.0.0.1:6379' } }),
 * ] }]
 * ```
 */
import { z } from 'zod'
import { duration } from '../../core/config/duration.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { definePlugin } from '../../core/plugin/define.ts'
import type { GatewayContext } from '../../core/types.ts'
import { secondsUntilFull, secondsUntilToken, type BucketLimit, type BucketStore } from './bucket.ts'
import { localStore } from './local-store.ts'
import { parseRate, RATE_ERROR } from './rate.ts'
import { redisStore } from './redis-store.ts'
import { throttledWarn } from './throttled-log.ts'

const KEY_ERROR = 'expected "ip", "consumer", "jwt-sub" or { header: "<name>" }'

const schema = z.strictObject({
  /** Refill rate, "<count>/<duration>" ("100/1m", "10/s"). Required. */
  rate: z.string().refine((r) => parseRate(r) !== undefined, { error: RATE_ERROR }),
  /** Bucket size: requests allowed at once. Default: the rate's count. */
  burst: z.number().int().min(1).optional(),
  /** Whose bucket: client IP, c.get("consumer") (api-key, basic-auth, jwt `sub`), or a header. Default ip. */
  key: z
    .union([z.enum(['ip', 'consumer', 'jwt-sub'], { error: KEY_ERROR }), z.strictObject({ header: z.string().min(1) })], { error: KEY_ERROR })
    .default('ip'),
  store: z
    .union([
      z.literal('local'),
      z.strictObject({
        redis: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }),
        /** Key prefix. Default "gatehouse:rate:". */
        prefix: z.string().default('gatehouse:rate:'),
        /** Deadline of one Redis call. Default 250ms. */
        timeout: duration().default(250),
      }),
    ])
    .default('local'),
  /** Limiters with the same name share buckets (in Redis, across routes and gateways). Default: rate, burst and key. */
  name: z.string().min(1).optional(),
  /** Local store: most buckets kept (LRU). Default 100000. */
  maxKeys: z.number().int().min(1).default(100_000),
  /** Store down: let requests pass, or answer 503. Default allow. */
  onStoreError: z.enum(['allow', 'deny']).default('allow'),
  /** Send RateLimit-* headers on allowed requests too. Default true. */
  headers: z.boolean().default(true),
})

export type RateLimitOptions = z.input<typeof schema>

/** Buckets are made once per plugin object (setup), so they survive route-table rebuilds; store warnings go to the gateway's log. */
export function rateLimit(options: RateLimitOptions): MiddlewarePlugin {
  return definePlugin('middleware', 'rateLimit', schema, options, (o) => ({
    setup({ log }) {
      const { count, periodMs } = parseRate(o.rate)!
      const limit: BucketLimit = { capacity: o.burst ?? count, perMs: count / periodMs }
      const policy = `${count};w=${Math.max(1, Math.round(periodMs / 1000))}`
      const name = o.name ?? `${o.rate}:${limit.capacity}:${typeof o.key === 'string' ? o.key : `h=${o.key.header.toLowerCase()}`}`
      const warn = throttledWarn(log, 10_000)
      const connectionWarn = throttledWarn(log, 10_000)
      const store: BucketStore =
        o.store === 'local'
          ? localStore(o.maxKeys)
          : redisStore({ url: o.store.redis, prefix: o.store.prefix, timeout: o.store.timeout, onError: (m) => connectionWarn(`rateLimit: ${m}`) })
      const keyOf = keyReader(o.key)

      return async (c, next) => {
        let result
        try {
          result = await store.take(`${name}:${await keyOf(c)}`, limit)
        } catch (err) {
          warn(`rateLimit: store failed (${(err as Error).message}); requests are ${o.onStoreError === 'allow' ? 'allowed (fail open)' : 'refused with 503 (fail closed)'}`)
          if (o.onStoreError === 'deny') return c.text('gatehouse: rate limit unavailable\n', 503, { 'retry-after': '1' })
          return next()
        }
        const headers = {
          'ratelimit-limit': String(count),
          'ratelimit-remaining': String(Math.floor(result.tokens)),
          'ratelimit-reset': String(result.allowed ? secondsUntilFull(result.tokens, limit) : secondsUntilToken(result.tokens, limit)),
          'ratelimit-policy': policy,
        }
        if (!result.allowed) {
          return c.text('gatehouse: rate limit exceeded\n', 429, { ...headers, 'retry-after': headers['ratelimit-reset'] })
        }
        // Hono's way to add headers to the response to come; on Node see the README (core merge).
        if (o.headers) for (const [k, v] of Object.entries(headers)) c.header(k, v)
        await next()
      }
    },
  }))
}

/** The bucket key of a request; without its own key, the client IP. Long keys are hashed. */
function keyReader(key: z.output<typeof schema>['key']): (c: GatewayContext) => Promise<string> {
  const read = (c: GatewayContext): string | undefined => {
    if (key === 'ip') return undefined
    if (key === 'consumer' || key === 'jwt-sub') return c.get('consumer')
    return c.req.header(key.header)
  }
  return async (c) => {
    const own = read(c)
    if (!own) return `ip:${c.get('clientIp')}`
    if (own.length <= 128) return `k:${own}`
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(own)))
    return `h:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`
  }
}
