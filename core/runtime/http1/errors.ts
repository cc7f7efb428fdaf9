import type { FailureKind } from '../types.ts'

/** A failed exchange, already classified the way the core reads failures (502 vs 504, retry or not). */
export class Http1Error extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /**
     * The request caused it, not the upstream: a header the serializer refuses, a client body that
     * broke off or does not match its Content-Length. Never counted against the upstream.
     */
    readonly byRequest = false,
  ) {
    super(message)
  }
}

/** The upstream broke the protocol: never retried, answered 502. */
export const protocolError = (message: string) => new Http1Error('error', `invalid upstream response: ${message}`)

/** The request cannot be sent as it is: answered 400, the upstream is not blamed. */
export const requestError = (message: string) => new Http1Error('error', message, true)
