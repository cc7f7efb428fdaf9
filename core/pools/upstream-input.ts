/** The one schema every source's upstreams pass: a URL string, or { url, weight, labels, id }. */
import { z } from 'zod'
import type { Upstream, UpstreamInput } from '../types.ts'
import type { UpstreamProtocol } from './upstream.ts'

/** What a pool's `protocol` setting may say: HTTP/1.1, or one of the HTTP/2 ones an upstream URL may name. */
export type PoolProtocol = 'http1' | UpstreamProtocol

/** Schemes an upstream URL may have: the HTTP/2 ones name the protocol and stand for http/https. */
const SCHEMES: Record<string, { base: 'http' | 'https'; protocol?: UpstreamProtocol }> = {
  'http:': { base: 'http' },
  'https:': { base: 'https' },
  'h2c:': { base: 'http', protocol: 'h2c' },
  'h2:': { base: 'https', protocol: 'h2' },
}

/** `h2c://h:p` → http://h:p with protocol h2c (a URL of a non-special scheme has no origin, so it is not kept as is). */
function parseUpstreamUrl(s: string): { url: URL; protocol?: UpstreamProtocol } | undefined {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    return undefined
  }
  const scheme = SCHEMES[u.protocol]
  if (!scheme || !u.hostname || !(u.pathname === '/' || u.pathname === '') || u.search) return undefined
  if (!scheme.protocol) return { url: u }
  return { url: new URL(`${scheme.base}://${u.host}`), protocol: scheme.protocol }
}

const httpUrl = z.string().refine((s) => parseUpstreamUrl(s) !== undefined, {
  error: 'expected an upstream URL like "http://127.0.0.1:8000" (http, https, h2c or h2; no path or query)',
})

export const upstreamInputSchema = z.union([
  httpUrl,
  z.strictObject({
    url: httpUrl,
    id: z.string().min(1).optional(),
    /** Relative share of traffic. Default 1. */
    weight: z.number().int().min(1).max(1000).default(1),
    labels: z.record(z.string(), z.string()).default({}),
  }),
])

export const upstreamListSchema = z.array(upstreamInputSchema)

/** Normalizes one validated input to an Upstream; the id defaults to the URL's origin. */
export function toUpstream(input: z.output<typeof upstreamInputSchema> | UpstreamInput): Upstream {
  const { url, protocol } = parseUpstreamUrl(typeof input === 'string' ? input : input.url) ?? { url: new URL(typeof input === 'string' ? input : input.url) }
  const base = { url, ...(protocol && { protocol }) }
  if (typeof input === 'string') return { id: url.origin, ...base, weight: 1, labels: {} }
  return { id: input.id ?? url.origin, ...base, weight: input.weight ?? 1, labels: input.labels ?? {} }
}

/**
 * A pool's `protocol` for one of its upstreams that does not name its own (an http:// or https://
 * URL: DNS SRV, Docker without the label, a host:port list), as if it were written h2c:// or h2://.
 * `h2c` makes http://h:p cleartext HTTP/2; `h2` makes http://h:p or https://h:p HTTP/2 over TLS.
 * TLS is never dropped: an https:// upstream of an h2c pool speaks h2 (by ALPN).
 */
export function withPoolProtocol(up: Upstream, protocol: PoolProtocol): Upstream {
  if (up.protocol || protocol === 'http1') return up
  if (up.url.protocol === 'https:') return { ...up, protocol: 'h2' }
  if (protocol === 'h2c') return { ...up, protocol }
  return { ...up, url: new URL(`https://${up.url.host}`), protocol }
}
