/**
 * The standard gRPC health check (grpc/doc/health-checking.md): a unary call of
 * `grpc.health.v1.Health/Check` with `HealthCheckRequest { string service = 1; }`; the upstream is
 * healthy when the call succeeds (HTTP 200, `grpc-status: 0` in the trailers, or in the head of a
 * trailers-only answer) and `HealthCheckResponse { ServingStatus status = 1; }` says SERVING.
 *
 * Both messages are a field or two, so they are encoded and decoded here by hand rather than with
 * a protobuf library: a string is tag 0x0a, its length (varint) and its UTF-8 bytes; the enum is
 * tag 0x08 and a varint. Each message travels in gRPC's frame: a compressed flag (0) and a 4-byte
 * big-endian length.
 *
 * @example
 * const body = healthCheckRequest('helloworld.Greeter') // POST it to GRPC_HEALTH_PATH
 * grpcHealthVerdict(answer) // { ok: true, detail: 'SERVING' }
 */

export const GRPC_HEALTH_PATH = '/grpc.health.v1.Health/Check'

/** HealthCheckResponse.ServingStatus, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']

/** The request, framed: an empty message for the server as a whole (proto3 omits an empty string). */
export function healthCheckRequest(service: string): Uint8Array {
  const name = new TextEncoder().encode(service)
  const message = name.length ? [0x0a, ...varint(name.length), ...name] : []
  const n = message.length
  return new Uint8Array([0, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...message])
}

export interface GrpcAnswer {
  status: number
  headers: Record<string, string>
  trailers: Record<string, string>
  body: Uint8Array
}

/** Healthy iff HTTP 200, grpc-status 0 and SERVING; otherwise what went wrong, for the dashboard. */
export function grpcHealthVerdict(res: GrpcAnswer): { ok: boolean; detail: string } {
  if (res.status !== 200) return { ok: false, detail: `HTTP ${res.status}` }
  const code = res.trailers['grpc-status'] ?? res.headers['grpc-status']
  if (code === undefined) return { ok: false, detail: 'no grpc-status' }
  if (code !== '0') {
    const message = res.trailers['grpc-message'] ?? res.headers['grpc-message']
    return { ok: false, detail: `grpc-status ${code}${message ? `: ${safeDecode(message).slice(0, 100)}` : ''}` }
  }
  const status = servingStatus(res.body)
  if (status === undefined) return { ok: false, detail: 'no HealthCheckResponse in the answer' }
  const name = SERVING_STATUS[status] ?? `status ${status}`
  return { ok: status === 1, detail: name }
}

/** HealthCheckResponse.status from the first framed message; undefined when there is none or it is malformed (or compressed). */
export function servingStatus(body: Uint8Array): number | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined
  const length = ((body[1]! << 24) | (body[2]! << 16) | (body[3]! << 8) | body[4]!) >>> 0
  const end = 5 + length
  if (body.length < end) return undefined
  let status = 0 // proto3: an absent enum is its zero value (UNKNOWN)
  for (let at = 5; at < end; ) {
    const tag = readVarint(body, at, end)
    if (!tag) return undefined
    at = tag.next
    const wire = tag.value & 7
    if (wire === 0) {
      const v = readVarint(body, at, end)
      if (!v) return undefined
      if (tag.value >>> 3 === 1) status = v.value
      at = v.next
    } else if (wire === 2) {
      const len = readVarint(body, at, end)
      if (!len) return undefined
      at = len.next + len.value
    } else if (wire === 1) at += 8
    else if (wire === 5) at += 4
    else return undefined
    if (at > end) return undefined
  }
  return status
}

function varint(n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) (out.push((n & 0x7f) | 0x80), (n >>>= 7))
  out.push(n)
  return out
}

/** A varint of up to 4 bytes (28 bits: enough for tags, lengths and enums here). */
function readVarint(b: Uint8Array, at: number, end: number): { value: number; next: number } | undefined {
  let value = 0
  for (let i = 0; i < 4 && at + i < end; i++) {
    const byte = b[at + i]!
    value |= (byte & 0x7f) << (7 * i)
    if (byte < 0x80) return { value, next: at + i + 1 }
  }
  return undefined
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
