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

export function setUpstreamHeader(c: Context<GatewayEnv>, name: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new Error(`header ${name}: CR, LF and NUL are not allowed in a value`)
  const headers = c.get('upstreamHeaders') ?? {}
  headers[name.toLowerCase()] = value
  c.set('upstreamHeaders', headers)
}

/** The route's rules plus what middleware set for this request (middleware wins). */
export function withUpstreamHeaders(rules: HeaderRules | undefined, extra: Record<string, string> | undefined): HeaderRules | undefined {
  if (!extra) return rules
  return { set: { ...rules?.set, ...extra }, remove: rules?.remove ?? new Set() }
}
