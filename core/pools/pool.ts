/**
 * A pool as one gateway state holds it: its settings and its members, which are UpstreamRuntime
 * objects kept by the upstream store (their health and load outlive states). Balancers pick from
 * the available members, a list recomputed only when a member's availability or the membership
 * changes, never on the request path.
 *
 * A request keeps the state it read, with this pool's settings (retries, timeouts); but its picks
 * go to the newest members of the pool's name: a queued request or a retry must see upstreams
 * that joined since, and never one that left.
 */
import type { BalanceContext, PoolHealthView } from '../types.ts'
import type { PoolConfig } from '../config/schema.ts'
import type { UpstreamRuntime } from './upstream-state.ts'
import type { Admission, PoolMembers, WakingRequest } from './pool-members.ts'

const NO_UPSTREAM = { ok: false } as const

export class Pool {
  private cache: readonly UpstreamRuntime[] = []
  private cachedAt = -1
  /** `retryOn` as a set, for the request path. */
  readonly retryOn: ReadonlySet<number>

  constructor(
    readonly name: string,
    readonly settings: PoolConfig,
    /** The members in this state, in source order. */
    readonly upstreams: readonly UpstreamRuntime[],
    private readonly members: PoolMembers<Pool>,
  ) {
    this.retryOn = new Set(settings.retryOn)
  }

  /** It sleeps, wakes and scales (core/scale/). */
  get scales(): boolean {
    return this.members.scale !== undefined
  }

  /** What health and outlier plugins see of this pool (the same view in every state). */
  get healthView(): PoolHealthView {
    return this.members.healthView
  }

  /** This pool, or the one a newer state put in its place (a removed pool stays itself: all its members left). */
  private newest(): Pool {
    return this.members.current ?? this
  }

  /** Upstreams a balancer may choose: available ones, cached until something changes. */
  available(): readonly UpstreamRuntime[] {
    const pool = this.newest()
    if (pool !== this) return pool.available()
    if (this.cachedAt !== this.members.version) {
      this.cache = this.upstreams.filter((u) => u.available)
      this.cachedAt = this.members.version
    }
    return this.cache
  }

  /**
   * Nothing available: a pool that scales wakes and waits (core/scale/), others wait up to their
   * `queue.timeout`.
   */
  async waitForAvailable(req: WakingRequest): Promise<Admission> {
    const woken = await this.members.scale?.admit(req)
    if (woken) return woken
    return (await this.members.waitForAvailable(this.settings.queue)) ? { ok: true } : NO_UPSTREAM
  }

  pick(ctx: BalanceContext, exclude?: readonly UpstreamRuntime[]): UpstreamRuntime | undefined {
    const pool = this.newest()
    this.members.picks++
    let candidates = pool.available()
    if (exclude?.length) candidates = candidates.filter((u) => !exclude.includes(u))
    return pool.settings.balancer.pick(candidates, ctx) as UpstreamRuntime | undefined
  }
}
