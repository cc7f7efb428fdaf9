/**
 * `wake.burst`: the requests a wake lets go at once, per ready replica. A just-started app is
 * not hit by its whole wake queue at once — busybox httpd's listen backlog of 9 dropped
 * connections of a 200-request wake (p99 62 s before this, 1.8 s after); Knative's activator
 * throttles the same way. The rest follow in arrival order as those end, and never wait past
 * their deadline: then they go on regardless.
 */
export class WakeBurst {
  private inFlight = 0
  private readonly queue: (() => void)[] = []

  constructor(
    /** How many may be under way now (burst × ready replicas). */
    private readonly limit: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A place among them; call the returned function when the request ends. */
  async slot(deadline: number): Promise<() => void> {
    if (this.inFlight >= this.limit()) {
      const got = await new Promise<boolean>((resolve) => {
        const take = () => (clearTimeout(timer), resolve(true))
        const timer = setTimeout(() => (this.queue.splice(this.queue.indexOf(take), 1), resolve(false)), Math.max(0, deadline - this.now()))
        this.queue.push(take)
      })
      if (!got) this.inFlight++ // past its deadline: it goes on, counted
    } else this.inFlight++
    let freed = false
    return () => {
      if (freed) return
      freed = true
      this.inFlight--
      this.letGo()
    }
  }

  /** Lets waiting requests in while there is room (one ended, or another replica became ready). */
  letGo(): void {
    while (this.queue.length && this.inFlight < this.limit()) {
      this.inFlight++
      this.queue.shift()!()
    }
  }
}
