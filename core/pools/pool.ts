/**
 * A pool: its settings, its current upstream snapshot, and the list of available upstreams that
 * balancers pick from. That list is recomputed only when a snapshot or a health verdict changes,
 * never on the request path.
 */
import type { BalanceContext, PoolHealthView, Upstream } from '../types.ts'
import type { PoolConfig } from '../config/schema.ts'
import { UpstreamRuntime } from './upstream-state.ts'
import type { UpstreamTarget } from '../runtime/types.ts'

export interface PoolChanges {
  added: UpstreamRuntime[]
  removed: UpstreamRuntime[]
  updated: UpstreamRuntime[]
  /** Addresses upstreams no longer have (moved to a new one, or left): their transport clients are released. */
  retired: UpstreamTarget[]
}

export class Pool {
  private byId = new Map<string, UpstreamRuntime>()
  private availableCache: UpstreamRuntime[] | undefined
  /** The current snapshot, in source order. */
  upstreams: readonly UpstreamRuntime[] = []
  private readonly listeners: (() => void)[] = []
  /** Told when an upstream's health or ejection changes (events for metrics and the dashboard). */
  onHealth: ((up: UpstreamRuntime) => void) | undefined

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

  /** Marks the candidate list stale (health flip, ejection, drain), and wakes queued requests. */
  invalidate = (): void => {
    this.availableCache = undefined
    if (this.waiters.size && this.available().length) for (const wake of this.waiters) wake()
  }

  private readonly waiters = new Set<() => void>()

  /**
   * Waits up to the pool's `queue.timeout` for an upstream to become available (an upstream that
   * is starting, a health check about to rise). Resolves false at once when the queue is full.
   */
  waitForAvailable(): Promise<boolean> {
    const { timeout, max } = this.settings.queue
    if (timeout <= 0 || this.waiters.size >= max) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(wake)
        resolve(ok)
      }
      const wake = () => done(true)
      const timer = setTimeout(() => done(false), timeout)
      this.waiters.add(wake)
    })
  }

  pick(ctx: BalanceContext, exclude?: readonly UpstreamRuntime[]): UpstreamRuntime | undefined {
    let candidates = this.available()
    if (exclude?.length) candidates = candidates.filter((u) => !exclude.includes(u))
    return this.settings.balancer.pick(candidates, ctx) as UpstreamRuntime | undefined
  }

  /** Swaps in a new snapshot; state of upstreams that stay (same id) is kept. */
  apply(next: readonly Upstream[]): PoolChanges {
    const changes: PoolChanges = { added: [], removed: [], updated: [], retired: [] }
    const byId = new Map<string, UpstreamRuntime>()
    for (const up of next) {
      if (byId.has(up.id)) continue
      let state = this.byId.get(up.id)
      if (state) {
        const { changed, movedFrom } = state.update(up)
        if (changed) changes.updated.push(state)
        if (movedFrom) changes.retired.push(movedFrom)
      } else {
        const created = (state = new UpstreamRuntime(up))
        state.onChange = () => {
          this.invalidate()
          if (!created.draining) this.onHealth?.(created) // one that left is no longer told about
        }
        // A cold instance joining a serving pool ramps up; at startup every instance is equally cold.
        if (this.settings.slowStart > 0 && this.upstreams.length > 0) state.rampUp(this.settings.slowStart)
        changes.added.push(state)
      }
      byId.set(up.id, state)
    }
    for (const [id, state] of this.byId) {
      if (!byId.has(id)) {
        state.leave()
        changes.removed.push(state)
        changes.retired.push({ id: state.id, url: state.url })
      }
    }
    this.byId = byId
    this.upstreams = [...byId.values()]
    this.invalidate()
    for (const listener of this.listeners) listener()
    return changes
  }
}
