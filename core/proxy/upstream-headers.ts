/**
 * How middleware adds headers to the request sent upstream (verified JWT claims, an API-key
 * consumer, forward-auth results). A client-sent header of the same name is always removed
 * first, and hop-by-hop tricks (`Connection: X-User`) cannot strip it: it is added after.
 *
 * @example
 * const auth: GatewayMiddleware = async (c, next) => { setUpstreamHeader(c, 'x-user', 'alice'); await next() }
 */
import type { Context } from 'hono'
import type { GatewayEnv } from '../types.ts'
import type { HeaderRules } from './request-headers.ts'

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

export function setUpstreamHeader(c: Context<GatewayEnv>, name: string, value: string): void {
  // What every runtime's client refuses (undici, Bun's fetch, the HTTP/1.1 client) must fail here,
  // in the middleware that set it, not later as if the upstream had failed.
  if (!TOKEN.test(name)) throw new Error(`header name ${JSON.stringify(name)}: not an HTTP token`)
  if (!FIELD_VALUE.test(value)) throw new Error(`header ${name}: a value may hold only tab, visible ASCII, spaces and latin1 (no CR, LF, NUL or other control characters; percent-encode the rest)`)
  const headers = c.get('upstreamHeaders') ?? {}
  headers[name.toLowerCase()] = value
  c.set('upstreamHeaders', headers)
}

/** The route's rules plus what middleware set for this request (middleware wins). */
export function withUpstreamHeaders(rules: HeaderRules | undefined, extra: Record<string, string> | undefined): HeaderRules | undefined {
  if (!extra) return rules
  return { set: { ...rules?.set, ...extra }, remove: rules?.remove ?? new Set() }
}
