/**
 * Requests refused before routing, the same way on every runtime. Node's parser keeps repeated
 * header lines apart; the Bun and Deno servers join them with ", " — so a listed value ("5, 5",
 * "a, b") is how a repeated Content-Length or Host looks there, and both forms are refused here.
 *
 * - Host (RFC 9112 §3.2): exactly one, a valid `host[:port]`, else 400 — also for HTTP/1.0
 *   (Bun and Deno do not tell the version, so one rule for all).
 * - Content-Length (RFC 9112 §6.3): only digits, once; a list or a repeat is 400 even when the
 *   values agree, so every framing that passes meets the same body limit.
 * - CONNECT and TRACE: 405. The gateway is no forward proxy, and TRACE would echo credentials
 *   back to a script (cross-site tracing).
 * - A method Node's parser (llhttp) does not know: 400 everywhere, as on Node (methods are
 *   case-sensitive: Deno's parser would pass `get` or `BREW` on as methods of their own).
 * - Expect other than 100-continue: 417 (RFC 9110 §10.1.1), as Node's server answers by itself.
 * - HTTP/2 (RFC 9113 §8.3.1): a Host header that names another authority than `:authority` is
 *   400 (the runtime tells, `Inbound.malformed`): the route, its rules and what an upstream
 *   reads as the host must never differ from what the client's `:authority` said.
 * - GET or HEAD with a body: 400. The Bun and Deno servers hide such a body from the handler, so
 *   forwarding it on one runtime and dropping it silently on another is not an option.
 */
import type { Inbound } from '../runtime/types.ts'
import { plain } from '../proxy/failure.ts'

const DIGITS = /^\d{1,15}$/
// llhttp's methods (what Node accepts), less the HTTP/RTSP-only ones it shares a parser with.
const METHODS = new Set(
  ('GET HEAD POST PUT DELETE OPTIONS PATCH CONNECT TRACE COPY LOCK MKCOL MOVE PROPFIND PROPPATCH SEARCH UNLOCK BIND REBIND ' +
    'UNBIND ACL REPORT MKACTIVITY CHECKOUT MERGE M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PURGE MKCALENDAR LINK UNLINK SOURCE QUERY').split(' '),
)
// reg-name or IPv4 (letters, digits, -._~ and sub-delims without ","), or an [IPv6] literal; optional port.
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+;=]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

const ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'

const bad = (why: string) => plain(400, `gatehouse: bad request: ${why}\n`, { connection: 'close', 'x-gatehouse-error': 'bad-request' })

/** A response for a request that must not be routed, or undefined when it may go on. */
export function refuseMalformed(inbound: Inbound): Response | undefined {
  const method = inbound.method
  if (inbound.malformed) return bad(inbound.malformed)
  if (!METHODS.has(method)) return bad('unknown method')
  if (method === 'CONNECT' || method === 'TRACE') {
    return plain(405, `gatehouse: ${method} is not served here (not a forward proxy)\n`, { allow: ALLOW, connection: 'close', 'x-gatehouse-error': 'method-not-allowed' })
  }
  let hosts = 0
  let lengths = 0
  const raw = inbound.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (++hosts > 1 || !validHost(raw[i + 1]!)) return bad('Host must appear once, as host[:port]')
    } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      if (++lengths > 1 || !DIGITS.test(raw[i + 1]!)) return bad('Content-Length must appear once, as digits')
    }
  }
  if (hosts === 0) return bad('no Host header')
  const expect = inbound.header('expect')
  if (expect !== undefined && expect.toLowerCase() !== '100-continue') {
    return plain(417, 'gatehouse: only "Expect: 100-continue" is understood\n', { connection: 'close', 'x-gatehouse-error': 'expectation-failed' })
  }
  if (inbound.hasBody && (method === 'GET' || method === 'HEAD')) return bad(`a ${method} request cannot carry a body here`)
  return undefined
}

/** `host[:port]` as RFC 3986 allows it in Host and in an absolute-form authority. */
export function validHost(value: string): boolean {
  if (!HOST.test(value)) return false
  const colon = value.lastIndexOf(':')
  return colon === -1 || value.endsWith(']') || Number(value.slice(colon + 1)) <= 65535
}
