/**
 * Every request's `X-Request-Id`: the one a trusted proxy sent (it started the request's story),
 * else a new UUID. It goes upstream, back to the client and into the access log. A client that
 * is not a trusted proxy cannot choose it (it could collide with another request's on purpose),
 * and an accepted one must be short visible ASCII, so it cannot break a log line.
 */
import { setHeader } from '../proxy/set-header.ts'

export const REQUEST_ID = 'x-request-id'

const ACCEPTABLE = /^[\x21-\x7e]{1,200}$/

/** The trusted proxy's ID when it is acceptable, else a new one. */
export function requestId(fromTrustedProxy: string | undefined): string {
  return fromTrustedProxy !== undefined && ACCEPTABLE.test(fromTrustedProxy) ? fromTrustedProxy : crypto.randomUUID()
}

/** Sets the ID on a flat response head, replacing the upstream's own. */
export function setRequestIdHeader(headers: string[], id: string): void {
  setHeader(headers, REQUEST_ID, id)
}
