import type { FailureKind } from '../types.ts'

/** A failed exchange, already classified the way the core reads failures (502 vs 504, retry or not). */
export class Http1Error extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message)
  }
}

/** The upstream broke the protocol: never retried, answered 502. */
export const protocolError = (message: string) => new Http1Error('error', `invalid upstream response: ${message}`)
