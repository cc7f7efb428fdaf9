/**
 * What the client gets when no upstream could answer: 502 for refused/reset/broken connections,
 * 504 for timeouts, 503 when the pool has nothing available; a short plain body naming the pool.
 */
import type { FailureKind, UpstreamFailure } from '../runtime/types.ts'

const STATUS: Record<FailureKind, 502 | 504> = {
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
  const body = `gatehouse: pool "${pool}": ${WHAT[failure.kind]} (${tries} ${tries === 1 ? 'try' : 'tries'})\n`
  return plain(STATUS[failure.kind], body, { 'x-gatehouse-error': failure.kind })
}

export function unavailableResponse(pool: string): Response {
  return plain(503, `gatehouse: pool "${pool}" has no available upstream\n`, { 'retry-after': '1', 'x-gatehouse-error': 'no-upstream' })
}

export function plain(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } })
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/**
 * May this failure be retried on another upstream? A connection that never opened never saw the
 * request, so any method is safe. A reset or first-byte timeout may have reached the upstream:
 * only idempotent requests without a streamed body are sent again.
 */
export function isRetryable(failure: UpstreamFailure, method: string, hasBody: boolean): boolean {
  if (failure.kind === 'refused' || failure.kind === 'connect-timeout') return true
  if (failure.kind === 'reset' || failure.kind === 'first-byte-timeout' || failure.kind === 'status') return canReplay(method, hasBody)
  return false
}

/** A request that may be sent again after it may have reached an upstream. */
export function canReplay(method: string, hasBody: boolean): boolean {
  return IDEMPOTENT.has(method) && !hasBody
}
