/**
 * API-key auth: machine clients (other services, partners, scripts) send a static key in a
 * header (default `x-api-key`) or, if you allow it, a query parameter. Use it where issuing
 * JWTs is overkill. The config holds only SHA-256 hashes of the keys, mapped to a consumer
 * name, so a leaked config leaks no key; `hashApiKey(key)` (or `sha256sum`) makes them. The
 * presented key's digest is compared with every stored digest in constant time. On success the
 * consumer is `c.get('consumer')` and is sent upstream in `consumerHeader` (default
 * `x-consumer`; a client-sent one never passes). Missing or unknown key → 401.
 *
 * The key itself is still forwarded: to keep it from the upstream, add
 * `requestHeaders: { remove: ['x-api-key'] }` to the route (a key in the query stays in the query).
 *
 * @example
 * ```ts
 * import { apiKey } from 'gatehouse/plugins/api-key'
 * routes: [{ path: '/partner/*', pool: 'api', requestHeaders: { remove: ['x-api-key'] }, use: [apiKey({
 *   keys: { '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8': 'acme-billing' },
 * })] }]
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { constantTimeEqual, fromHex, sha256 } from './digest.ts'

export { hashApiKey } from './digest.ts'

// Framing and forwarding headers are the gateway's own: a plugin setting them would duplicate them.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'])
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected a header name' })
  .refine((h) => !RESERVED.has(h.toLowerCase()), { error: 'set by the gateway itself; choose another header' })
const digest = z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'expected the SHA-256 of a key, 64 hex digits (see hashApiKey); never the key itself' })

const schema = z.strictObject({
  /** SHA-256 hex of each key → consumer name. Required. */
  keys: z
    .record(digest, z.string().regex(/^[\x20-\x7e]+$/, { error: 'expected a consumer name in printable ASCII' }))
    .refine((k) => Object.keys(k).length > 0, { error: 'expected at least one key hash' }),
  /** Request header carrying the key. Default x-api-key. */
  header: headerName.default('x-api-key'),
  /** Also accept the key in this query parameter. Default: not accepted. */
  query: z.string().min(1).optional(),
  /** Upstream header naming the consumer; false: none. Default x-consumer. */
  consumerHeader: z.union([headerName, z.literal(false)]).default('x-consumer'),
})

export type ApiKeyOptions = z.input<typeof schema>

export function apiKey(options: ApiKeyOptions): MiddlewarePlugin {
  return definePlugin('middleware', 'apiKey', schema, options, (o) => ({
    guards: 'api-key',
    setup() {
      const stored = Object.entries(o.keys).map(([hex, consumer]) => ({ digest: fromHex(hex.toLowerCase()), consumer }))
      const challenge = { 'www-authenticate': `ApiKey realm="gatehouse", header="${o.header}"` }

      return async (c, next) => {
        const presented = c.req.header(o.header) || (o.query ? c.req.query(o.query) : undefined)
        if (!presented) return c.text('gatehouse: api-key: missing key\n', 401, challenge)
        const d = await sha256(presented)
        let consumer: string | undefined
        // Every stored digest is compared, so the time does not tell which (or whether one) matched early.
        for (const s of stored) if (constantTimeEqual(d, s.digest)) consumer = s.consumer
        if (consumer === undefined) return c.text('gatehouse: api-key: invalid key\n', 401, challenge)
        c.set('consumer', consumer)
        if (o.consumerHeader) setUpstreamHeader(c, o.consumerHeader, consumer)
        await next()
      }
    },
  }))
}
