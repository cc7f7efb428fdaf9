/** The route schema: routes in gateway.config.ts and routes from discovery pass the same one. */
import { z } from 'zod'
import { isHostPattern } from '../routing/host-pattern.ts'
import { isPathPattern } from '../routing/path-pattern.ts'
import { middlewareList } from '../plugin/middleware-slot.ts'
import { byteSize } from './byte-size.ts'

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const headerName = z.string().regex(TOKEN, { error: 'expected an HTTP header name' })
const headerValue = z.string().refine((v) => !/[\r\n\0]/.test(v), { error: 'header values cannot contain CR, LF or NUL' })

const hostPattern = z.string().refine(isHostPattern, {
  error: 'expected a host like "api.example.com" or "*.example.com" (no scheme, port or path)',
})

const headerRules = z.strictObject({
  /** Headers to set (replacing any sent value). */
  set: z.record(headerName, headerValue).default({}),
  /** Headers to remove. */
  remove: z.array(headerName).default([]),
})

export const routeSchema = z.strictObject({
  /** Shown in logs and metrics. Default: "<host><path>". */
  name: z.string().min(1).optional(),
  /** Host(s) to match. Default: any host. */
  host: z.union([hostPattern, z.array(hostPattern).min(1)]).optional(),
  /** Path rule. Default "/*" (everything). */
  path: z
    .string()
    .refine(isPathPattern, { error: 'expected a path like "/", "/api/*" or "/users/:id" (starting with /; * only as the last segment)' })
    .default('/*'),
  methods: z.array(z.string().regex(TOKEN, { error: 'expected an HTTP method like "GET"' }).transform((m) => m.toUpperCase())).min(1).optional(),
  /** Header conditions: exact value, or true for "present". */
  headers: z.record(headerName, z.union([headerValue, z.literal(true)])).optional(),
  pool: z.string().min(1, { error: 'expected the name of a pool' }),
  stripPrefix: z.string().regex(/^\/.*[^/]$|^\/$/, { error: 'expected a path prefix like "/api" (leading slash, no trailing slash)' }).optional(),
  /** Path rewrite with a regular expression, applied after stripPrefix ($1… refer to groups). */
  rewrite: z
    .strictObject({
      pattern: z.string().refine(isRegExp, { error: 'expected a valid regular expression' }),
      replacement: z.string(),
    })
    .optional(),
  /** Host header sent upstream: the client's ("preserve", default), the upstream's host:port ("upstream"), or a fixed host. */
  hostHeader: z
    .union([z.literal('preserve'), z.literal('upstream'), hostPattern])
    .default('preserve'),
  /** Headers to `set` or `remove` on the request sent upstream. */
  requestHeaders: headerRules.optional(),
  /** Headers to `set` or `remove` on the response sent to the client. */
  responseHeaders: headerRules.optional(),
  /** Middleware run before the request is proxied, in order. */
  use: middlewareList().default([]),
  /**
   * Largest request body, e.g. "10mb" (1kb = 1024). A larger Content-Length gets 413 before any upstream is contacted;
   * a chunked body is cut once it passes the limit (413 if no response has started, else the connection is closed). Default: no limit.
   */
  maxBodySize: byteSize().optional(),
})

export type RouteInput = z.input<typeof routeSchema>
export type RouteConfig = z.output<typeof routeSchema>

function isRegExp(s: string): boolean {
  try {
    new RegExp(s)
    return true
  } catch {
    return false
  }
}
