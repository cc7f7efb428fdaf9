/**
 * Shared rollouts among several gateways (config `coordination`, when its session offers
 * `release`): for each pool one gateway decides — it holds the pool's decider key — and publishes
 * its rollout after each round; the others follow what it published, deciding nothing. Followers
 * split the same way within a round or two (ROUND_MS). A decider that dies lets go with its lease;
 * the next one reads the published rollout and goes on from it. The decider analyses its own
 * share of the traffic (measurements are not pooled): with traffic spread evenly, minRequests
 * applies to each gateway's share.
 */
import type { ReleaseCoordination } from '../plugin/coordination.ts'
import type { Logger } from '../types.ts'
import type { PoolRelease } from './pool-release.ts'
import type { SharedRelease } from './release-view.ts'

const ROUND_MS = 250

export class ReleaseSharing {
  private busy = false
  private lastRound = 0
  private readonly leading = new Set<string>()
  private readonly published = new Map<string, string>()

  constructor(
    private readonly session: () => ReleaseCoordination | undefined,
    private readonly log: Logger,
  ) {}

  /** Whether rollouts are shared: a new release then follows until it knows whether it decides. */
  get active(): boolean {
    return this.session() !== undefined
  }

  /** Called on each tick: one round at a time, at most every ROUND_MS. */
  maybeRun(releases: ReadonlyMap<string, PoolRelease>): void {
    const session = this.session()
    if (!session || this.busy || Date.now() - this.lastRound < ROUND_MS) return
    this.busy = true
    this.lastRound = Date.now()
    void this.round(session, releases)
      .catch((err) => this.log.warn(`shared rollouts: ${String((err as Error)?.message ?? err)}; each gateway keeps its last state`))
      .finally(() => (this.busy = false))
  }

  forget(pool: string): void {
    this.leading.delete(pool)
    this.published.delete(pool)
  }

  private async round(session: ReleaseCoordination, releases: ReadonlyMap<string, PoolRelease>): Promise<void> {
    for (const [pool, release] of releases) {
      if (await session.lead(pool)) {
        if (!this.leading.has(pool)) {
          // Taking over: go on from what the last decider published.
          const text = await session.read(pool)
          if (text) release.follow(JSON.parse(text) as SharedRelease)
          this.leading.add(pool)
          release.following = false
          this.log.info(`pool "${pool}": this gateway decides its release (shared through coordination)`)
        }
        const text = JSON.stringify(release.shared())
        if (this.published.get(pool) !== text) {
          await session.publish(pool, text)
          this.published.set(pool, text)
        }
      } else {
        if (this.leading.delete(pool)) this.published.delete(pool)
        release.following = true
        const text = await session.read(pool)
        if (text) release.follow(JSON.parse(text) as SharedRelease)
      }
    }
  }
}
