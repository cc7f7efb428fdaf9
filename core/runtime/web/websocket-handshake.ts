/**
 * What Bun and Deno would refuse in a client's WebSocket handshake, checked before the upstream is
 * contacted: their servers refuse to upgrade such a client, and their WebSocket clients throw on
 * such subprotocols, after the upstream was already opened. Either is the request's fault (400),
 * never the upstream's (RFC 6455 §4.2.1: a 16-byte base64 key, version 13, token subprotocols).
 */
const KEY = /^[A-Za-z0-9+/]{22}==$/
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Why the handshake is invalid, or undefined. `headers` is the flat [name, value…] list. */
export function invalidHandshake(headers: readonly string[], protocols: readonly string[]): string | undefined {
  let key: string | undefined
  let version: string | undefined
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase()
    if (name === 'sec-websocket-key') key = headers[i + 1]
    else if (name === 'sec-websocket-version') version = headers[i + 1]
  }
  if (!key || !KEY.test(key.trim())) return 'invalid Sec-WebSocket-Key'
  if (version?.trim() !== '13') return 'unsupported Sec-WebSocket-Version (13 expected)'
  const seen = new Set<string>()
  for (const p of protocols) {
    if (!TOKEN.test(p)) return 'invalid Sec-WebSocket-Protocol'
    if (seen.has(p)) return 'repeated Sec-WebSocket-Protocol'
    seen.add(p)
  }
  return undefined
}

/** The status an upstream answered instead of 101, from the runtime's WebSocket error message. */
export function answeredStatus(message: string | undefined): number | undefined {
  const m = /status code:? (\d{3})\b/i.exec(message ?? '')
  return m ? Number(m[1]) : undefined
}
