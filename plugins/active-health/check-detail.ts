/**
 * What a failed probe saw, in words an operator reads on the dashboard: refused, timeout, reset,
 * DNS, TLS, else the error's own message (short). Runtimes' clients throw differently (undici
 * wraps the socket error in `cause`; Bun and Deno name theirs), so both the error and its cause
 * are read.
 */
const KNOWN: Record<string, string> = {
  ECONNREFUSED: 'refused',
  ConnectionRefused: 'refused',
  TimeoutError: 'timeout',
  AbortError: 'timeout',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  ConnectionReset: 'reset',
  UND_ERR_SOCKET: 'reset',
  ENOTFOUND: 'DNS: name not found',
  EAI_AGAIN: 'DNS: lookup failed',
}

export function checkFailure(err: unknown): string {
  for (let e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    for (const key of [e.code, e.name]) if (typeof key === 'string' && KNOWN[key]) return KNOWN[key]!
    if (typeof e.code === 'string' && /^ERR_TLS|CERT|SSL|^UNABLE_TO_VERIFY/.test(e.code)) return `TLS: ${e.code}`
  }
  const message = String((err as Error)?.message ?? err)
  return message.length > 120 ? message.slice(0, 120) + '…' : message
}
