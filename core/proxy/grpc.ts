/**
 * gRPC through the gateway (README "HTTP/2 and gRPC"). The calls themselves pass through as any
 * HTTP/2 exchange (trailers included, by the runtime's transport); what is gRPC's own is here:
 * - `grpc-timeout` (the client's deadline) bounds the exchange: it becomes the try's total
 *   timeout, so an upstream that does not answer in time ends as DEADLINE_EXCEEDED;
 * - the gateway's own answers (no route, auth refused, no upstream, 502/503/504) go out as gRPC
 *   clients read them: HTTP 200, trailers-only, `grpc-status` and `grpc-message` (the mapping
 *   of grpc/doc/http-grpc-status-mapping.md, with a timeout as DEADLINE_EXCEEDED).
 */

export const GRPC_STATUS = { OK: 0, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const

/** A gRPC call: `Content-Type: application/grpc` or `application/grpc+proto` etc. (not grpc-web, a different wire format). */
export function isGrpc(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/grpc(?:[+;]|$)/i.test(contentType)
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }

/** `grpc-timeout` (at most 8 digits and a unit, gRPC over HTTP/2 spec) in ms; undefined when absent or malformed. */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(value)
  return m ? Math.max(1, Math.ceil(Number(m[1]) * UNIT_MS[m[2]!]!)) : undefined
}

/** The gRPC status for a gateway answer of HTTP `status`. */
export function grpcStatusFor(status: number, error: string | null): number {
  if (error?.endsWith('timeout')) return GRPC_STATUS.DEADLINE_EXCEEDED
  switch (status) {
    case 400: return GRPC_STATUS.INTERNAL
    case 401: return GRPC_STATUS.UNAUTHENTICATED
    case 403: return GRPC_STATUS.PERMISSION_DENIED
    case 404: case 501: return GRPC_STATUS.UNIMPLEMENTED
    case 413: case 429: return GRPC_STATUS.RESOURCE_EXHAUSTED
    case 502: case 503: return GRPC_STATUS.UNAVAILABLE
    case 504: return GRPC_STATUS.DEADLINE_EXCEEDED
    default: return status < 300 ? GRPC_STATUS.OK : GRPC_STATUS.UNKNOWN
  }
}

/**
 * The gateway's own answer `res` as a trailers-only gRPC response: HTTP 200, `grpc-status` and
 * `grpc-message` (percent-encoded, as the spec asks) in the one HEADERS frame; the gateway's
 * headers (x-gatehouse-error, retry-after, www-authenticate) are kept.
 */
export async function grpcAnswer(res: Response): Promise<Response> {
  if (res.headers.has('grpc-status')) return res
  const text = res.body ? (await res.text()).trim() : ''
  const headers = new Headers(res.headers)
  for (const name of ['content-length', 'content-type', 'connection', 'transfer-encoding']) headers.delete(name)
  headers.set('content-type', 'application/grpc')
  headers.set('grpc-status', String(grpcStatusFor(res.status, res.headers.get('x-gatehouse-error'))))
  headers.set('grpc-message', grpcMessage(text || `gateway answered HTTP ${res.status}`))
  return new Response(null, { status: 200, headers })
}

/**
 * `grpc-message` as the gRPC spec encodes it: UTF-8, with every byte outside printable ASCII
 * (0x20–0x7E) and `%` itself percent-encoded. Not encodeURIComponent: grpc-js reads the value
 * with decodeURI, which leaves `%3A`, `%2C`, `%2F` … encoded in the message a user sees.
 */
export function grpcMessage(text: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(text)) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  return out
}
