/**
 * A transport's connection pools, one per upstream id and address. An upstream keeps its id (and
 * health) when discovery gives it a new address, but its connections do not: they were opened to
 * the old one. So a client belongs to one id + origin; `release()` (the upstream left, moved, or
 * the gateway stops) retires it, and it is closed once its last request has ended, while the next
 * request to the new address makes a new client.
 *
 *     const pools = new UpstreamClients((url) => new Pool(url.origin), (pool) => pool.close())
 *     const lease = pools.acquire(upstream)   // per request; lease.client is the Pool
 *     …                                       // when the exchange has ended:
 *     lease.done()
 */
import type { UpstreamTarget } from './types.ts'

export class ClientLease<C> {
  /** Requests using this client that have not ended. */
  inflight = 0
  private retired = false

  constructor(
    readonly client: C,
    private readonly close: (client: C) => void,
  ) {}

  /** One request on this client has ended. */
  done(): void {
    if (--this.inflight === 0 && this.retired) this.close(this.client)
  }

  retire(): void {
    this.retired = true
    if (this.inflight === 0) this.close(this.client)
  }
}

export class UpstreamClients<C, A = void> {
  private readonly live = new Map<string, ClientLease<C>>()

  constructor(
    /** Makes the client for one address (`arg`: what the first request offers, e.g. its connect timeout). */
    private readonly make: (url: URL, arg: A, protocol: UpstreamTarget['protocol']) => C,
    private readonly close: (client: C) => void,
  ) {}

  /** The client for the upstream's current address, counted as used until `lease.done()`. */
  acquire(up: UpstreamTarget, arg: A): ClientLease<C> {
    const key = `${up.id} ${up.protocol ?? ''}${up.url.origin}`
    let lease = this.live.get(key)
    if (!lease) this.live.set(key, (lease = new ClientLease(this.make(up.url, arg, up.protocol), this.close)))
    lease.inflight++
    return lease
  }

  /** No new request goes to this upstream at this address: close its client after its last request. */
  release(up: UpstreamTarget): void {
    const key = `${up.id} ${up.protocol ?? ''}${up.url.origin}`
    const lease = this.live.get(key)
    if (!lease) return
    this.live.delete(key)
    lease.retire()
  }

  /** How many clients are open for new requests (tests, diagnostics). */
  get size(): number {
    return this.live.size
  }
}
