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
import type { MemberRelease, PoolMembers } from './pool-members.ts'
import type { Admission, WakingRequest } from './admission.ts'
import { buildVersionTable, type VersionTable } from '../release/version-table.ts'

const NO_UPSTREAM = { ok: false } as const

export class Pool {
  private cache: readonly UpstreamRuntime[] = []
  private cachedAt = -1
  private table: VersionTable | undefined
  private tableAt = -1
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

  /** Its release policy's state (core/release/), when it has one. */
  get release(): MemberRelease | undefined {
    return this.members.release
  }

  /** Available upstreams by version with the release's weights; cached like `available()`. Undefined without a release. */
  versionTable(): VersionTable | undefined {
    const pool = this.newest()
    if (pool !== this) return pool.versionTable()
    const release = this.members.release
    if (!release) return undefined
    if (this.tableAt !== this.members.version || !this.table) {
      this.table = buildVersionTable(this.available(), release.currentSettings.by, release.currentWeights(), release.mirrorTarget())
      this.tableAt = this.members.version
    }
    return this.table
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

  /**
   * With a release, `version` (assign.ts) narrows the candidates to that version's; a version with
   * none left, or none given, falls back to every published version's (never an unpublished one).
   */
  pick(ctx: BalanceContext, exclude?: readonly UpstreamRuntime[], version?: string): UpstreamRuntime | undefined {
    const pool = this.newest()
    this.members.picks++
    const table = pool.versionTable()
    let candidates = table ? pickable(table, version, exclude) : pool.available()
    if (exclude?.length) candidates = candidates.filter((u) => !exclude.includes(u))
    return pool.settings.balancer.pick(candidates, ctx) as UpstreamRuntime | undefined
  }
}

function pickable(table: VersionTable, version: string | undefined, exclude: readonly UpstreamRuntime[] | undefined): readonly UpstreamRuntime[] {
  const own = version !== undefined ? table.byVersion.get(version) : undefined
  if (own && (!exclude?.length || own.some((u) => !exclude.includes(u)))) return own
  return table.published
}
