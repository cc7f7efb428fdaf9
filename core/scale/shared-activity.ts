/**
 * A pool's activity as every gateway in front of it sees it (core/plugin/coordination.ts): this
 * gateway publishes its own at most every PUBLISH_MS and learns the newest of all; before a pool
 * is paused or stopped for idleness it asks afresh, so one gateway's idle never stops replicas
 * another still serves. Without coordination it is this gateway's own activity.
 */
import type { CoordinationSession } from '../plugin/coordination.ts'
import type { Logger } from '../logger.ts'

const PUBLISH_MS = 1000

export class SharedActivity {
  /** The newest activity any gateway published (ms since epoch). */
  private others = 0
  private published = 0

  constructor(
    private readonly pool: string,
    private readonly session: () => CoordinationSession | undefined,
    private readonly log: Logger,
  ) {}

  /** The newest activity known: this gateway's `own`, or another's. */
  newest(own: number): number {
    return Math.max(own, this.others)
  }

  /** Tells the others this gateway's activity (throttled) and learns theirs, in the background. */
  publish(own: number, now: number): void {
    const session = this.session()
    if (!session || now - this.published < PUBLISH_MS) return
    this.published = now
    session.activity(this.pool, own).then(
      (newest) => (this.others = Math.max(this.others, newest)),
      (err) => this.log.warn(`pool "${this.pool}": cannot share activity with the other gateways: ${String((err as Error)?.message ?? err)}`),
    )
  }

  /** Whether the pool has been idle for `ms` at every gateway, asked afresh (an unreachable store: not idle). */
  async idleFor(ms: number, own: number, now: () => number): Promise<boolean> {
    const session = this.session()
    if (session) this.others = Math.max(this.others, await session.activity(this.pool, own).catch(() => now()))
    return now() - this.newest(own) >= ms
  }
}
