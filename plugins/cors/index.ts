/**
 * CORS for browser clients of an API on another origin: Hono's own `cors` middleware, with
 * checked options, run at the gateway so upstreams need no CORS code. A preflight (`OPTIONS`
 * with `Access-Control-Request-Method`) is answered by the gateway (204) and never proxied; any
 * other `OPTIONS` goes upstream untouched. Other requests get `Access-Control-Allow-Origin`
 * (and credentials, expose headers, `Vary: Origin`) with `c.header()` before they are proxied:
 * they are on every answer the gateway makes itself (401/403 from a later auth plugin, 429),
 * and on proxied responses wherever the runtime merges them (see the README for Node). List
 * `cors()` before auth plugins so browsers can read their refusals.
 *
 * @example
 * ```ts
 * import { cors } from 'gatehouse/plugins/cors'
 * routes: [{ path: '/api/*', pool: 'api', use: [cors({ origin: ['https://app.example.com'], credentials: true, maxAge: '10m' })] }]
 * ```
 */
import { z } from 'zod'
import { Hono } from 'hono'
import { cors as honoCors } from 'hono/cors'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'
import { duration } from '../../core/config/duration.ts'
import type { GatewayContext } from '../../core/types.ts'

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected a header name' })
const origin = z.string().regex(/^(\*|https?:\/\/[^/\s]+|null)$/, { error: 'expected "*" or an origin like "https://app.example.com" (no path)' })
/** Returns the origin to allow (usually the one asked for), or null/undefined to allow none. */
type OriginFn = (origin: string, c: GatewayContext) => string | undefined | null

const schema = z
  .strictObject({
    /** Allowed origin(s), or a function (origin, c) returning the origin to allow. Default "*". */
    origin: z
      .union([origin, z.array(origin).min(1), z.custom<OriginFn>((v) => typeof v === 'function')])
      .default('*'),
    /** Preflight Access-Control-Allow-Methods. */
    allowMethods: z.array(z.string().regex(/^[A-Z]+$/)).default(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH']),
    /** Preflight Access-Control-Allow-Headers. Default: what the browser asks for. */
    allowHeaders: z.array(headerName).default([]),
    /** Response headers scripts may read. Default none. */
    exposeHeaders: z.array(headerName).default([]),
    /** How long browsers may cache a preflight. */
    maxAge: duration().optional(),
    /** Allow cookies/Authorization. Default false. */
    credentials: z.boolean().default(false),
  })
  .refine((o) => !(o.credentials && o.origin === '*'), { error: 'credentials: true needs explicit origins: browsers refuse "*" with credentials', path: ['credentials'] })

export type CorsOptions = z.input<typeof schema>

const ASKED = ['origin', 'access-control-request-method', 'access-control-request-headers']

export function cors(options: CorsOptions = {}): MiddlewarePlugin {
  return definePlugin('middleware', 'cors', schema, options, (o) => ({
    setup() {
      const fn = typeof o.origin === 'function' ? o.origin : undefined
      // Hono's cors runs in a sub-app on a probe request holding only the CORS request headers; its
      // answer's headers are copied. (Running it on the gateway's own context would make it write to
      // the pending response, which on Node must stay untouched until the proxy has answered.)
      const app = new Hono<{ Bindings: { c: GatewayContext } }>()
        .use(honoCors({
          origin: fn ? (asked, sub) => fn(asked, sub.env.c) : (o.origin as string | string[]),
          allowMethods: o.allowMethods,
          allowHeaders: o.allowHeaders,
          exposeHeaders: o.exposeHeaders,
          maxAge: o.maxAge === undefined ? undefined : Math.round(o.maxAge / 1000),
          credentials: o.credentials,
        }))
        .all('*', (sub) => sub.body(null, 204))

      return async (c, next) => {
        const preflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined
        if (c.req.method === 'OPTIONS' && !preflight) return next()
        const headers = new Headers()
        for (const name of ASKED) if (c.req.header(name) !== undefined) headers.set(name, c.req.header(name)!)
        const answer = await app.fetch(new Request('http://cors.invalid/', { method: preflight ? 'OPTIONS' : 'GET', headers }), { c })
        if (preflight) return c.body(null, 204, Object.fromEntries(answer.headers))
        answer.headers.forEach((value, name) => c.header(name, value, { append: name === 'vary' }))
        await next()
      }
    },
  }))
}
