/**
 * What the client gets when no upstream could answer: 502 for refused/reset/broken connections,
 * 504 for timeouts, 503 when the pool has nothing available, 400 for a request the runtime's
 * client refused to send, 499 (logged only) for a client that left; a short plain body naming the pool.
 */
import type { FailureKind, UpstreamFailure } from '../runtime/types.ts'
import type { Refusal } from '../pools/admission.ts'

const STATUS: Record<FailureKind, number> = {
  'bad-request': 400,
  'client-closed': 499,
  refused: 502,
  status: 502,
  reset: 502,
  error: 502,
  'connect-timeout': 504,
  'first-byte-timeout': 504,
  'idle-timeout': 504,
  'total-timeout': 504,
}

const WHAT: Record<FailureKind, string> = {
  'bad-request': 'the request cannot be sent upstream as it is',
  'client-closed': 'the client closed the connection',
  refused: 'connection refused',
  status: 'every upstream tried answered with a status listed in retryOn',
  reset: 'connection reset before a response',
  error: 'upstream error',
  'connect-timeout': 'connect timeout',
  'first-byte-timeout': 'no response in time (first-byte timeout)',
  'idle-timeout': 'response stalled (idle timeout)',
  'total-timeout': 'request took too long (total timeout)',
}
export function failureResponse(pool: string, failure: UpstreamFailure, tries: number): Response {
  const what = failure.status ? `the upstream answered ${failure.status}` : WHAT[failure.kind]
  const body = `gatehouse: pool "${pool}": ${what} (${tries} ${tries === 1 ? 'try' : 'tries'})\n`
  return plain(failure.status ?? STATUS[failure.kind], body, { 'x-gatehouse-error': failure.kind })
}

/** Failures that are the client's doing: never retried, never held against the upstream. */
export function isClientFault(failure: UpstreamFailure): boolean {
  return failure.kind === 'bad-request' || failure.kind === 'client-closed'
}

export function unavailableResponse(pool: string): Response {
  return plain(503, `gatehouse: pool "${pool}" has no available upstream\n`, { 'retry-after': '1', 'x-gatehouse-error': 'no-upstream' })
}

/** A scaling pool's 503: asleep (a probe path), did not wake in time, wake queue full, the engine refused. */
export function refusedResponse(pool: string, r: Refusal): Response {
  return plain(503, `gatehouse: pool "${pool}" ${r.message}\n`, { 'retry-after': String(r.retryAfter), 'x-gatehouse-error': r.reason })
}

export function plain(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } })
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/**
 * May this failure be retried on another upstream? A connection that never opened never saw the
 * request, so any method is safe. A reset, a first-byte timeout or any other failure before the
 * answer (`error`: a broken response head, a client torn down under it — nginx's
 * `proxy_next_upstream error`) may have reached the upstream: only idempotent requests without a
 * streamed body are sent again.
 */
export function isRetryable(failure: UpstreamFailure, method: string, hasBody: boolean): boolean {
  if (failure.kind === 'refused' || failure.kind === 'connect-timeout') return true
  if (failure.kind === 'reset' || failure.kind === 'first-byte-timeout' || failure.kind === 'status' || failure.kind === 'error') return canReplay(method, hasBody)
  return false
}

/** A request that may be sent again after it may have reached an upstream. */
export function canReplay(method: string, hasBody: boolean): boolean {
  return IDEMPOTENT.has(method) && !hasBody
}
