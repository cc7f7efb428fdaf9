/**
 * Security response headers (HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
 * Cross-Origin-*-Policy, CSP, Permissions-Policy…) added at the gateway so every app behind it
 * gets them: Hono's own `secureHeaders`, with its defaults and option names, checked. They are
 * set with `c.header()` before the request is proxied: on every answer the gateway makes itself
 * (401, 429…), and on proxied responses wherever the runtime merges them (see the README for
 * Node). For a fixed set of headers, a route's `responseHeaders: { set }` also works. Not here:
 * CSP nonces (the upstream renders the HTML) and removing `X-Powered-By` (use
 * `responseHeaders: { remove }`).
 *
 * @example
 * ```ts
 * import { securityHeaders } from 'gatehouse/plugins/security-headers'
 * routes: [{ path: '/*', pool: 'web', use: [securityHeaders({
 *   contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'] },
 *   strictTransportSecurity: 'max-age=63072000; includeSubDomains; preload',
 * })] }]
 * ```
 */
import { z } from 'zod'
import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { definePlugin } from '../../core/plugin/define.ts'
import type { MiddlewarePlugin } from '../../core/plugin/contract.ts'

const value = z.string().regex(/^[\x20-\x7e]*$/, { error: 'expected printable ASCII' })
/** true: Hono's default value; false: not sent; a string: this value. */
const toggle = z.union([z.boolean(), value]).optional()
const directives = z.record(z.string().regex(/^[a-zA-Z-]+$/), z.union([value, z.array(value)])).optional()

const schema = z.strictObject({
  /** CSP directives: { defaultSrc: ["'self'"] }. Default: none. */
  contentSecurityPolicy: directives,
  contentSecurityPolicyReportOnly: directives,
  /** Default false (not sent). */
  crossOriginEmbedderPolicy: toggle,
  /** Default "same-origin". */
  crossOriginResourcePolicy: toggle,
  /** Default "same-origin". */
  crossOriginOpenerPolicy: toggle,
  /** Default "?1". */
  originAgentCluster: toggle,
  /** Default "no-referrer". */
  referrerPolicy: toggle,
  /** Default "max-age=15552000; includeSubDomains". */
  strictTransportSecurity: toggle,
  /** Default "nosniff". */
  xContentTypeOptions: toggle,
  /** Default "off". */
  xDnsPrefetchControl: toggle,
  /** Default "noopen". */
  xDownloadOptions: toggle,
  /** Default "SAMEORIGIN". */
  xFrameOptions: toggle,
  /** Default "none". */
  xPermittedCrossDomainPolicies: toggle,
  /** Default "0". */
  xXssProtection: toggle,
  /** { camera: false, geolocation: ["self"] }. Default: none. */
  permissionsPolicy: z.record(z.string().regex(/^[a-zA-Z-]+$/), z.union([z.boolean(), z.array(value)])).optional(),
})

export type SecurityHeadersOptions = z.input<typeof schema>

export function securityHeaders(options: SecurityHeadersOptions = {}): MiddlewarePlugin {
  return definePlugin('middleware', 'securityHeaders', schema, options, (o) => ({
    setup() {
      // Without nonces the set is the same for every request: Hono computes it once, in a sub-app.
      const app = new Hono()
        .use(secureHeaders({ ...(o as Parameters<typeof secureHeaders>[0]), removePoweredBy: false }))
        .all('*', (c) => c.body(null, 204))
      let headers: Promise<[string, string][]> | undefined
      const compute = async () => [...(await app.fetch(new Request('http://headers.invalid/'))).headers]

      return async (c, next) => {
        for (const [name, v] of await (headers ??= compute())) c.header(name, v)
        await next()
      }
    },
  }))
}
