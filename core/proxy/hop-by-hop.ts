/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), never forwarded. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Lower-case names listed in Connection headers (`Connection: close, X-Foo`). */
export function connectionTokens(headers: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length !== 10 || headers[i]!.toLowerCase() !== 'connection') continue
    for (const t of headers[i + 1]!.split(',')) {
      const name = t.trim().toLowerCase()
      if (name) (tokens ??= new Set()).add(name)
    }
  }
  return tokens
}

/** Response headers to send to the client: hop-by-hop and Connection-named ones removed. */
export function filterResponseHeaders(raw: readonly string[]): string[] {
  const named = connectionTokens(raw)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const lname = raw[i]!.toLowerCase()
    if (HOP_BY_HOP.has(lname) || named?.has(lname)) continue
    out.push(raw[i]!, raw[i + 1]!)
  }
  return out
}
