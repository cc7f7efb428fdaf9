/**
 * A pool: its settings, its current upstream snapshot, and the list of available upstreams that
 * balancers pick from. That list is recomputed only when a snapshot or a health verdict changes,
 * never on the request path.
 */
import type { BalanceContext, PoolHealthView, Upstream } from '../types.ts'
import type { PoolConfig } from '../config/schema.ts'
import { UpstreamRuntime } from './upstream-state.ts'

export interface PoolChanges {
  added: UpstreamRuntime[]
  removed: UpstreamRuntime[]
  updated: UpstreamRuntime[]
}

export class Pool {
  private byId = new Map<string, UpstreamRuntime>()
  private availableCache: UpstreamRuntime[] | undefined
  /** The current snapshot, in source order. */
  upstreams: readonly UpstreamRuntime[] = []
  private readonly listeners: (() => void)[] = []

  /** What health plugins see of this pool. */
  readonly healthView: PoolHealthView
  /** `retryOn` as a set, for the request path. */
  readonly retryOn: ReadonlySet<number>

  constructor(
    readonly name: string,
    readonly settings: PoolConfig,
  ) {
    this.retryOn = new Set(settings.retryOn)
    this.healthView = { name, upstreams: () => this.upstreams, onChange: (listener) => void this.listeners.push(listener) }
  }

  /** Upstreams a balancer may choose: available ones, cached until something changes. */
  available(): readonly UpstreamRuntime[] {
    return (this.availableCache ??= this.upstreams.filter((u) => u.available))
  }

  /** Marks the candidate list stale (health flip, ejection, drain). */
  invalidate = (): void => {
    this.availableCache = undefined
  }

  pick(ctx: BalanceContext, exclude?: readonly UpstreamRuntime[]): UpstreamRuntime | undefined {
    let candidates = this.available()
    if (exclude?.length) candidates = candidates.filter((u) => !exclude.includes(u))
    return this.settings.balancer.pick(candidates, ctx) as UpstreamRuntime | undefined
  }

  /** Swaps in a new snapshot; state of upstreams that stay (same id) is kept. */
  apply(next: readonly Upstream[]): PoolChanges {
    const changes: PoolChanges = { added: [], removed: [], updated: [] }
    const byId = new Map<string, UpstreamRuntime>()
    for (const up of next) {
      if (byId.has(up.id)) continue
      let state = this.byId.get(up.id)
      if (state) {
        if (state.update(up)) changes.updated.push(state)
      } else {
        state = new UpstreamRuntime(up)
        state.onChange = this.invalidate
        changes.added.push(state)
      }
      byId.set(up.id, state)
    }
    for (const [id, state] of this.byId) {
      if (!byId.has(id)) {
        state.draining = true
        changes.removed.push(state)
      }
    }
    this.byId = byId
    this.upstreams = [...byId.values()]
    this.invalidate()
    for (const listener of this.listeners) listener()
    return changes
  }
}
