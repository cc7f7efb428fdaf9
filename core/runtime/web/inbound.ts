/**
 * The core's view of a Web `Request` (Bun.serve, Deno.serve). Web servers hand over a parsed
 * URL and a `Headers` object, so some raw facts are gone: header names arrive in lower case and
 * repeated headers joined with ", " (Set-Cookie is a response header, so nothing is lost that a
 * request may repeat meaningfully).
 */
import type { Inbound } from '../types.ts'
import { bodyFailed } from './request-body.ts'

/** `http://host/a/b?c` → `/a/b?c`, by slicing: `new URL()` would re-normalize what the client sent. */
export function originForm(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return start === -1 ? '/' : url.slice(start)
}

/** The authority of an absolute URL, lower case (`http://App.test:80/x` → `app.test:80`). */
export function authorityOf(url: string): string {
  const from = url.indexOf('//') + 2
  const end = url.indexOf('/', from)
  return url.slice(from, end === -1 ? undefined : end).toLowerCase()
}

export function unmapIPv4(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr
}

/**
 * `impliedHost`: an HTTP/2 request has no Host header, its `:authority` is in the URL (Deno.serve);
 * it stands in for Host (RFC 9113 §8.3.1), and its body is known by `req.body`, not by framing headers.
 */
export function webInbound(req: Request, remoteAddress: string, target: string, secure = false, impliedHost?: string): Inbound {
  const h = req.headers
  const rawHeaders: string[] = impliedHost === undefined ? [] : ['host', impliedHost]
  h.forEach((value, name) => void rawHeaders.push(name, value))
  const length = h.get('content-length')
  return {
    method: req.method,
    target,
    rawHeaders,
    header: impliedHost === undefined ? (name) => h.get(name) ?? undefined : (name) => (name === 'host' ? impliedHost : (h.get(name) ?? undefined)),
    remoteAddress: unmapIPv4(remoteAddress),
    secure,
    hasBody: h.has('transfer-encoding') || (length !== null && length !== '0') || (impliedHost !== undefined && length === null && req.body !== null),
    websocket: req.method === 'GET' && h.get('upgrade')?.toLowerCase() === 'websocket',
    clientGone: () => req.signal.aborted || bodyFailed(req),
  }
}
