/**
 * HTTP Basic auth with hashed passwords: for an admin UI, a staging site or a few internal
 * users, where an identity provider would be overkill. Browsers show their login prompt on the
 * `401` + `WWW-Authenticate: Basic realm="…"`. The config holds only password hashes
 * (`hashPassword()`: PBKDF2-SHA256, or SHA-256 hex for long random service passwords), never
 * passwords. The check is Hono's `basicAuth` with a `verifyUser` that compares hashes in
 * constant time; an unknown user costs the same as a wrong password. A successful check is
 * remembered for `cacheTtl` (by a digest of user and password), so PBKDF2's deliberate slowness
 * is paid once per client, not per request. On success the user name is `c.get('consumer')`
 * and is sent upstream in `consumerHeader` (default `x-consumer`).
 *
 * Use HTTPS in front: Basic credentials travel in every request. To keep them from the
 * upstream, add `requestHeaders: { remove: ['authorization'] }` to the route.
 *
 * @example
 * ```ts
 * import { basicAuth } from 'gatehouse/plugins/basic-auth'
 * routes: [{ host: 'admin.example.com', pool: 'admin', use: [basicAuth({
 *   realm: 'admin', users: { alice: '$pbkdf2-sha256$i=600000$3q2+7w…$Yq1…' },
 * })] }]
 * ```
 */
import { z } from 'zod'
import { basicAuth as honoBasicAuth } from 'hono/basic-auth'
import { HTTPException } from 'hono/http-exception'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { duration } from '../../core/config/duration.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { sha256, toHex } from '../api-key/digest.ts'
import { hashPassword, hashProblem, parseHash, type ParsedHash } from './password.ts'

export { hashPassword } from './password.ts'

// Framing and forwarding headers are the gateway's own: a plugin setting them would duplicate them.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'])
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected a header name' })
  .refine((h) => !RESERVED.has(h.toLowerCase()), { error: 'set by the gateway itself; choose another header' })

const schema = z.strictObject({
  /** User name → password hash. Required. */
  users: z
    .record(
      z.string().regex(/^[\x20-\x39\x3b-\x7e]+$/, { error: 'expected a user name in printable ASCII, without ":"' }),
      z.string().superRefine((v, ctx) => {
        const problem = hashProblem(v)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }),
    )
    .refine((u) => Object.keys(u).length > 0, { error: 'expected at least one user' }),
  /** Shown by browsers in the login prompt. Default "gatehouse". */
  realm: z.string().regex(/^[\x20-\x7e]*$/).default('gatehouse'),
  /** Upstream header naming the user; false: none. Default x-consumer. */
  consumerHeader: z.union([headerName, z.literal(false)]).default('x-consumer'),
  /** How long a verified user+password is remembered; 0: never. Default 5m. */
  cacheTtl: duration().default(300_000),
  /** At most this many remembered logins. Default 1000. */
  cacheSize: z.number().int().min(0).default(1000),
})

export type BasicAuthOptions = z.input<typeof schema>

export function basicAuth(options: BasicAuthOptions): MiddlewarePlugin {
  return definePlugin('middleware', 'basicAuth', schema, options, (o) => ({
    guards: 'basic-auth',
    setup() {
      const users = new Map<string, ParsedHash>(Object.entries(o.users).map(([name, hash]) => [name, parseHash(hash)]))
      const slowest = Math.max(...[...users.values()].map((u) => u.iterations))
      // Checked for unknown users so that the time does not tell which user names exist.
      const dummy = hashPassword('dummy', { iterations: Math.max(slowest, 1000) }).then(parseHash)
      const remembered = new Map<string, number>() // digest of user+password → expiry (ms); insertion order = age

      const verifyUser = async (username: string, password: string): Promise<boolean> => {
        const key = o.cacheTtl > 0 ? toHex(await sha256(`${username}\0${password}`)) : ''
        const until = remembered.get(key)
        if (until !== undefined && until > Date.now()) return true
        const user = users.get(username)
        const ok = user ? await user.verify(password) : (await (await dummy).verify(password)) && false
        if (ok && o.cacheTtl > 0 && o.cacheSize > 0) {
          remembered.delete(key)
          remembered.set(key, Date.now() + o.cacheTtl)
          if (remembered.size > o.cacheSize) remembered.delete(remembered.keys().next().value!)
        }
        return ok
      }

      const check = honoBasicAuth({
        realm: o.realm,
        verifyUser: (username, password) => verifyUser(username, password),
        invalidUserMessage: 'gatehouse: basic-auth: bad or missing credentials\n',
        onAuthSuccess: (c, username) => {
          c.set('consumer', username)
          if (o.consumerHeader) setUpstreamHeader(c as never, o.consumerHeader, username)
        },
      })

      const challenge = { 'www-authenticate': `Basic realm="${o.realm.replace(/["\\]/g, '\\$&')}"` }
      return async (c, next) => {
        try {
          await check(c as never, next)
        } catch (err) {
          // Hono throws its 401 as an HTTPException; answering with c.text() keeps headers earlier middleware set (CORS).
          if (err instanceof HTTPException && err.status === 401) return c.text('gatehouse: basic-auth: bad or missing credentials\n', 401, challenge)
          throw err
        }
      }
    },
  }))
}
