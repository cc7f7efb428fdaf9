/**
 * The headers sent upstream: the client's, minus hop-by-hop ones, those named in Connection,
 * Expect (the server already answered 100-continue) and forwarding headers the client may not
 * set; plus Host per the route's policy and X-Forwarded-For/Proto/Host, X-Real-IP.
 * Headers the gateway adds come after the stripping, so `Connection: X-Forwarded-For` or
 * `Connection: Authorization` cannot remove them.
 */
import { connectionTokens, HOP_BY_HOP } from './hop-by-hop.ts'

/** Rebuilt by the gateway; from an untrusted peer they are dropped. */
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded'])
/** Always the gateway's (a trusted proxy's value was taken over: core/gateway/request-id.ts). */
const REQUEST_ID = 'x-request-id'

export interface ForwardingFacts {
  peer: string
  /** The peer is a trusted proxy: its forwarding headers are extended, not replaced. */
  trusted: boolean
  clientIp: string
  proto: 'http' | 'https'
  /** Host as the client addressed it (Host header, or the authority of an absolute-form target). */
  host: string
  /** Host header to send upstream. */
  hostHeader: string
  /** X-Request-Id to send; the client's own is never passed on as is. */
  requestId?: string
}

export interface HeaderRules {
  set: Readonly<Record<string, string>>
  /** Lower-case names. */
  remove: ReadonlySet<string>
}

/** The two hop-by-hop headers a WebSocket upgrade must carry to the next hop. */
export const WEBSOCKET_UPGRADE = ['connection', 'Upgrade', 'upgrade', 'websocket'] as const

export function buildRequestHeaders(raw: readonly string[], f: ForwardingFacts, rules?: HeaderRules, websocket = false): string[] {
  const named = connectionTokens(raw)
  const out: string[] = ['host', f.hostHeader]
  let xff: string | undefined
  let xfp: string | undefined
  let xfh: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const lname = name.toLowerCase()
    if (HOP_BY_HOP.has(lname) || lname === 'host' || lname === 'expect' || lname === REQUEST_ID || named?.has(lname)) continue
    if (rules && (rules.remove.has(lname) || Object.hasOwn(rules.set, lname))) continue
    if (FORWARDING.has(lname)) {
      if (!f.trusted) continue
      if (lname === 'x-forwarded-for') xff = xff ? `${xff}, ${raw[i + 1]}` : raw[i + 1]
      else if (lname === 'x-forwarded-proto') xfp ??= raw[i + 1]
      else if (lname === 'x-forwarded-host') xfh ??= raw[i + 1]
      else if (lname === 'forwarded') out.push(name, raw[i + 1]!)
      continue
    }
    out.push(name, raw[i + 1]!)
  }
  out.push(
    'x-forwarded-for', xff ? `${xff}, ${f.peer}` : f.peer,
    'x-forwarded-proto', xfp ?? f.proto,
    'x-forwarded-host', xfh ?? f.host,
    'x-real-ip', f.clientIp,
  )
  if (f.requestId !== undefined) out.push(REQUEST_ID, f.requestId)
  if (rules) for (const [k, v] of Object.entries(rules.set)) out.push(k, v)
  if (websocket) out.push(...WEBSOCKET_UPGRADE)
  return out
}

/** Applies a route's response header rules to a flat header list, in place. */
export function applyResponseRules(headers: string[], rules: HeaderRules): void {
  let w = 0
  for (let r = 0; r < headers.length; r += 2) {
    const lname = headers[r]!.toLowerCase()
    if (rules.remove.has(lname) || Object.hasOwn(rules.set, lname)) continue
    headers[w++] = headers[r]!
    headers[w++] = headers[r + 1]!
  }
  headers.length = w
  for (const [k, v] of Object.entries(rules.set)) headers.push(k, v)
}

/**
 * Adds headers middleware set before the proxy (Hono's pending response) to a flat response
 * head, in place: they replace the upstream's, except Set-Cookie and Vary, which are added.
 */
export function mergePendingHeaders(headers: string[], pending: Headers): void {
  for (const [name, value] of pending) {
    if (name === 'content-type' || name === 'content-length' || name === 'set-cookie') continue
    if (name !== 'vary') {
      let w = 0
      for (let r = 0; r < headers.length; r += 2) {
        if (headers[r]!.toLowerCase() === name) continue
        headers[w++] = headers[r]!
        headers[w++] = headers[r + 1]!
      }
      headers.length = w
    }
    headers.push(name, value)
  }
  for (const cookie of pending.getSetCookie()) headers.push('set-cookie', cookie)
}
