/**
 * Reads the request-target. Absolute-form (`GET http://other.example/x HTTP/1.1`) is accepted as
 * RFC 9112 asks, but only its authority is used, for route matching: the request still goes to a
 * pool upstream of the matched route, never to the named host, so the gateway is no open proxy.
 */
export interface Target {
  /** Authority from an absolute-form target; the Host header is used otherwise. */
  authority?: string
  path: string
  query: string
}

const ABSOLUTE = /^https?:\/\/([^/?#]*)/i

export function parseTarget(target: string): Target | undefined {
  let rest = target
  let authority: string | undefined
  if (target.charCodeAt(0) !== 47 /* / */) {
    const m = ABSOLUTE.exec(target)
    if (!m) return undefined // `*`, authority-form, other schemes
    authority = m[1]!
    if (authority.includes('@')) return undefined // userinfo has no place in a request-target
    rest = target.slice(m[0].length) || '/'
    if (rest[0] === '?') rest = '/' + rest
  }
  const hash = rest.indexOf('#')
  if (hash !== -1) return undefined
  const q = rest.indexOf('?')
  return q === -1 ? { authority, path: rest, query: '' } : { authority, path: rest.slice(0, q), query: rest.slice(q) }
}

/** Value of one cookie in a Cookie header (no decoding: used as a hashing key). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
