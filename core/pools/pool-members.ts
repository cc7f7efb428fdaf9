/**
 * One pool's members across gateway states: its upstreams by id (their health, load and
 * ejection outlive every state and every reload), the newest state's Pool of that name, the
 * requests queued for an available upstream, and the health plugins listening for changes.
 */
import type { PoolHealthView, Upstream } from '../types.ts'
import { UpstreamRuntime } from './upstream-state.ts'
import type { UpstreamTarget } from '../runtime/types.ts'
import type { ReleaseConfig } from '../config/release-schema.ts'
import type { MemberGate } from './admission.ts'

export interface PoolChanges {
  added: UpstreamRuntime[]
  removed: UpstreamRuntime[]
  updated: UpstreamRuntime[]
  /** Addresses upstreams no longer have (moved to a new one, or left): their transport clients are released. */
  retired: UpstreamTarget[]
}

/** What the request path needs of a pool's release (core/release/pool-release.ts): the label and weights its version table is built from, and each try's outcome. */
export interface MemberRelease {
  readonly currentSettings: ReleaseConfig
  currentWeights(): ReadonlyMap<string, number>
  /** An error is a 5xx answer or a transport failure; `ms` to the response head. */
  observe(up: UpstreamRuntime, error: boolean, ms: number): void
  /** The version that gets shadow copies now (the new one, while it is neither failed nor drained). */
  mirrorTarget(): string | undefined
  /** Whether a request given `version` is copied (core/release/mirror.ts): sampled, bounded in flight. */
  sampleMirror(version: string | undefined, method: string): boolean
  /** Sends a copy, never awaited. */
  sendMirror(up: UpstreamRuntime, method: string, path: string, headers: readonly string[]): void
}


/** What the members need of the newest state's pool (pool.ts's Pool; a type parameter, so neither module imports the other). */
export interface NewestPool {
  available(): readonly UpstreamRuntime[]
}

export class PoolMembers<P extends NewestPool = NewestPool> {
  private byId = new Map<string, UpstreamRuntime>()
  /** Bumped whenever some member's availability may have changed: Pools recompute their candidate list. */
  version = 0
  /** Upstreams picked for requests so far (a scaling pool's activity: one increment per try). */
  picks = 0
  /** The Pool of this name in the newest state; undefined once the pool left the config and every source. */
  current: P | undefined
  private readonly waiters = new Set<() => void>()
  private readonly listeners = new Set<() => void>()
  /** What health and outlier plugins see of this pool: always the newest members. */
  readonly healthView: PoolHealthView
  /** Set when the pool scales (core/scale/): sees each new member before any state holds it (readiness), and answers requests that find none available. */
  scale: MemberGate | undefined
  /** Set when the pool has a release policy (core/release/): its weights by version, and the measurements they come from. */
  release: MemberRelease | undefined

  constructor(
    readonly name: string,
    /** Told when an upstream's health, ejection or operator switch changes. */
    private readonly onHealth?: (up: UpstreamRuntime) => void,
  ) {
    this.healthView = this.viewUntil()
  }

  /** The health view for a plugin that runs until `signal` aborts: its change listeners go with it (a reload replaced it). */
  viewUntil(signal?: AbortSignal): PoolHealthView {
    return {
      name: this.name,
      upstreams: () => [...this.byId.values()],
      onChange: (listener) => {
        if (signal?.aborted) return
        this.listeners.add(listener)
        signal?.addEventListener('abort', () => this.listeners.delete(listener), { once: true })
      },
    }
  }

  /** The members, in source order. */
  list(): UpstreamRuntime[] {
    return [...this.byId.values()]
  }

  /** Whether `next` would change nothing (same ids in the same order, same addresses, protocols, weights and labels). */
  same(next: readonly Upstream[]): boolean {
    const ids = [...this.byId.keys()]
    const unique = dedupe(next)
    if (unique.length !== ids.length) return false
    return unique.every((up, i) => {
      const have = this.byId.get(up.id)
      return ids[i] === up.id && have !== undefined && have.url.href === up.url.href && have.protocol === up.protocol && have.baseWeight === up.weight && sameLabels(have.labels, up.labels)
    })
  }

  /** Takes the next member list; upstreams that stay (same id) keep their state. Nothing is announced yet. */
  apply(next: readonly Upstream[], slowStart: number): PoolChanges {
    const changes: PoolChanges = { added: [], removed: [], updated: [], retired: [] }
    const serving = this.byId.size > 0
    const byId = new Map<string, UpstreamRuntime>()
    for (const up of dedupe(next)) {
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
        if (slowStart > 0 && serving) state.rampUp(slowStart)
        this.scale?.joined(state)
        changes.added.push(state)
      }
      byId.set(up.id, state)
    }
    for (const [id, state] of this.byId) {
      if (byId.has(id)) continue
      state.leave()
      changes.removed.push(state)
      changes.retired.push({ id: state.id, url: state.url, protocol: state.protocol })
    }
    this.byId = byId
    return changes
  }

  /** After the state holding the new members was swapped in: recompute, wake queued requests, and tell health plugins when the members changed. */
  announce(changes: PoolChanges): void {
    this.invalidate()
    if (changes.added.length + changes.removed.length + changes.updated.length) for (const listener of this.listeners) listener()
  }

  /** Marks candidate lists stale (health flip, ejection, drain, new members) and wakes queued requests. */
  invalidate = (): void => {
    this.version++
    if (this.waiters.size && this.current?.available().length) for (const wake of this.waiters) wake()
  }

  /**
   * Waits up to `queue.timeout` for an upstream to become available (one that is starting, a
   * health check about to rise). Resolves false at once when the queue is full.
   */
  waitForAvailable({ timeout, max }: { timeout: number; max: number }): Promise<boolean> {
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
}

function dedupe(list: readonly Upstream[]): Upstream[] {
  const seen = new Set<string>()
  return list.filter((up) => !seen.has(up.id) && (seen.add(up.id), true))
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}
