/**
 * A transport's connection pool for one upstream address, and the requests that use it. An
 * upstream keeps its id (and health) when discovery gives it a new address, but its connections
 * do not: they were opened to the old address. So a client belongs to one origin; when the
 * address changes it is retired and closed once its last request has ended, and the next
 * request makes a client for the new origin.
 */
export class UpstreamClient {
  /** The runtime's connection pool (undici Pool on Node), made lazily by the transport. */
  client: unknown = undefined
  /** Requests sent through this client that have not ended. */
  inflight = 0
  /** No new request uses it: close it when `inflight` reaches 0. */
  retired = false

  constructor(readonly url: URL) {}

  get origin(): string {
    return this.url.origin
  }
}
