/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3): the client's q-values rank the encodings, the
 * server's order breaks ties; `q=0` refuses one, `*` stands for every encoding not named, and
 * `identity` is never chosen here (no encoding is always acceptable to send).
 */
import type { ContentEncoding } from '../../core/proxy/response-encoding.ts'

/** q-value of each coding the header names (lower case), `*` included. */
export function parseAcceptEncoding(header: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';')
    if (!coding) continue
    const q = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
    const name = coding.trim() === 'x-gzip' ? 'gzip' : coding.trim()
    out.set(name, q === undefined ? 1 : Number(q))
  }
  return out
}

/** The encoding to send: the highest q among `offered` (server order breaks ties), or undefined. */
export function negotiate(header: string | undefined, offered: readonly ContentEncoding[]): ContentEncoding | undefined {
  if (!header) return undefined
  const accepted = parseAcceptEncoding(header)
  const wildcard = accepted.get('*') ?? 0
  let best: ContentEncoding | undefined
  let bestQ = 0
  for (const enc of offered) {
    const q = accepted.get(enc) ?? wildcard
    if (q > bestQ) [best, bestQ] = [enc, q]
  }
  return best
}
