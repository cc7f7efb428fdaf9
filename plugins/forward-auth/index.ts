/**
 * Forward auth (Traefik's ForwardAuth, nginx's `auth_request`): before proxying, ask your own
 * auth service whether this request may pass. Use it when the decision lives in a service
 * (sessions, oauth2-proxy, Authelia, an in-house permission service), not in a token the
 * gateway could verify itself. The gateway sends `GET <url>` with the original request as
 * `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri` (normalized path + query, as routed) and
 * `-For` (the client address), plus the original headers named in `requestHeaders` (default
 * Authorization and Cookie). A 2xx lets the request through, copying the auth response's
 * `copyHeaders` upstream (a client-sent header of that name never passes; an absent one is sent
 * empty). Anything else is the answer: its status, body and `responseHeaders` (Location for a
 * login redirect, WWW-Authenticate, Set-Cookie) go to the client. An auth service that does not
 * answer within `timeout` → 504; one that cannot be reached → 503. Never a hang, never a pass.
 *
 * @example
 * ```ts
 * import { forwardAuth } from 'gatehouse/plugins/forward-auth'
 * routes: [{ path: '/app/*', pool: 'app', use: [forwardAuth({
 *   url: 'http://127.0.0.1:4180/oauth2/auth', copyHeaders: ['x-auth-request-user'], consumerHeader: 'x-auth-request-user',
 * })] }]
 * ```
 */
import { z } from 'zod'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { duration } from '../../core/config/duration.ts'
import { setUpstreamHeader } from '../../core/proxy/upstream-headers.ts'
import { normalizePath } from '../../core/routing/normalize-path.ts'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { GatewayContext } from '../../core/types.ts'
import { readLimited } from './read-limited.ts'

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected a header name' }).transform((h) => h.toLowerCase())
// Framing and forwarding headers are the gateway's own: copying them upstream would duplicate them.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'])
const upstreamHeader = headerName.refine((h) => !RESERVED.has(h), { error: 'set by the gateway itself; choose another header' })

const schema = z.strictObject({
  /** The auth service endpoint. Required. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** Whole exchange with the auth service (answer and body). Default 5s. */
  timeout: duration().default(5_000),
  /** Original request headers sent to the auth service. Default Authorization, Cookie. */
  requestHeaders: z.array(headerName).default(['authorization', 'cookie']),
  /** Auth response headers sent upstream on 2xx. Default none. */
  copyHeaders: z.array(upstreamHeader).default([]),
  /** Auth response header whose value becomes c.get("consumer"). */
  consumerHeader: headerName.optional(),
  /** Auth response headers passed to the client on a refusal. Default WWW-Authenticate, Location, Set-Cookie, Content-Type, Retry-After. */
  responseHeaders: z.array(headerName).default(['www-authenticate', 'location', 'set-cookie', 'content-type', 'retry-after']),
  /** Larger refusal bodies are replaced by a short one. Default 64 KiB. */
  maxBodyBytes: z.number().int().min(0).default(65_536),
})

export type ForwardAuthOptions = z.input<typeof schema>

export function forwardAuth(options: ForwardAuthOptions): MiddlewarePlugin {
  return definePlugin('middleware', 'forwardAuth', schema, options, (o) => ({
    guards: 'forward-auth',
    setup() {
      return async (c, next) => {
        const signal = AbortSignal.timeout(o.timeout)
        let res: Response
        try {
          res = await fetch(o.url, { method: 'GET', headers: authRequestHeaders(c, o.requestHeaders), redirect: 'manual', signal })
        } catch (err) {
          return unavailable(c, err)
        }
        if (res.status >= 200 && res.status < 300) {
          await res.body?.cancel().catch(() => {})
          for (const name of o.copyHeaders) setUpstreamHeader(c, name, res.headers.get(name) ?? '')
          if (o.consumerHeader) c.set('consumer', res.headers.get(o.consumerHeader) ?? undefined)
          return next()
        }
        let body: Uint8Array<ArrayBuffer> | undefined
        try {
          body = await readLimited(res, o.maxBodyBytes)
        } catch (err) {
          return unavailable(c, err)
        }
        const headers: Record<string, string | string[]> = {}
        for (const name of o.responseHeaders) {
          if (name === 'set-cookie') headers[name] = res.headers.getSetCookie()
          else if (res.headers.has(name)) headers[name] = res.headers.get(name)!
        }
        const status = res.status as ContentfulStatusCode
        if (NULL_BODY.has(res.status)) return c.body(null, status, headers)
        if (!body) {
          delete headers['content-type']
          return c.text(`gatehouse: forward-auth: refused (${res.status})\n`, status, headers)
        }
        return c.body(body, status, headers)
      }
    },
  }))
}

/** What the auth service gets: the chosen original headers and the X-Forwarded-* facts. */
function authRequestHeaders(c: GatewayContext, names: readonly string[]): Headers {
  const url = new URL(c.req.url)
  const headers = new Headers()
  for (const name of names) {
    const value = c.req.header(name)
    if (value !== undefined) headers.set(name, value)
  }
  headers.set('x-forwarded-method', c.req.method)
  headers.set('x-forwarded-proto', url.protocol.slice(0, -1))
  headers.set('x-forwarded-host', c.req.header('host') ?? url.host)
  headers.set('x-forwarded-uri', (normalizePath(url.pathname) ?? url.pathname) + url.search)
  headers.set('x-forwarded-for', c.get('clientIp'))
  return headers
}

const NULL_BODY = new Set([204, 205, 304])

function unavailable(c: GatewayContext, err: unknown): Response {
  return (err as Error)?.name === 'TimeoutError'
    ? c.text('gatehouse: forward-auth: auth service did not answer in time\n', 504)
    : c.text('gatehouse: forward-auth: auth service unreachable\n', 503, { 'retry-after': '1' })
}
