/**
 * One job per key at a time, and the last ask wins: a job asked for while another runs waits; a
 * newer ask replaces a waiting one, and every caller it replaced settles with it (their target was
 * overtaken, not dropped). The running job can see that it is overtaken and stop between steps.
 * So concurrent `scale(pool, …)` calls never interleave their Docker actions.
 */
type Job = (overtaken: () => boolean) => Promise<void>

interface Waiting {
  job: Job
  done: Promise<void>
  settle: (p: Promise<void>) => void
}

interface Lane {
  running?: Promise<void>
  waiting?: Waiting
}

export class LatestWins {
  private readonly lanes = new Map<string, Lane>()

  run(key: string, job: Job): Promise<void> {
    const lane = this.lanes.get(key) ?? {}
    this.lanes.set(key, lane)
    if (!lane.running) return this.begin(key, lane, job)
    if (lane.waiting) {
      lane.waiting.job = job
      return lane.waiting.done
    }
    let settle!: (p: Promise<void>) => void
    const done = new Promise<void>((resolve) => (settle = resolve))
    lane.waiting = { job, done, settle }
    return done
  }

  private begin(key: string, lane: Lane, job: Job): Promise<void> {
    const run = (async () => job(() => lane.waiting !== undefined))()
    lane.running = run
    void run
      .catch(() => {}) // the caller sees the error; the lane goes on
      .then(() => {
        lane.running = undefined
        const next = lane.waiting
        lane.waiting = undefined
        if (next) next.settle(this.begin(key, lane, next.job))
        else this.lanes.delete(key)
      })
    return run
  }
}
