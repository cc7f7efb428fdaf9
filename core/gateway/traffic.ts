/**
 * Gateway-wide request counts the observers read at scrape time: requests between arrival and
 * their exchange's end (proxied, answered by the gateway, or waiting for a pool to wake). Counted
 * for every request, observed or not: one increment and one decrement.
 */
export class Traffic {
  inflight = 0
  /** Bound once, so ending an exchange allocates no closure. */
  readonly ended = (): void => void this.inflight--
}
