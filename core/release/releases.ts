/**
 * Which pools have a release policy, and their one control loop (DESIGN.md §9: control loops run
 * once, in one place, and reach the request path only through swapped state — here the weights a
 * pool's version table is built from). Every TICK_MS: policies are matched to the state's pools
 * (a reload keeps each pool's rollout, with the new settings), then each release ticks.
 *
 * Several gateways: each runs its own loop on its own measurements (no coordination yet). With the
 * same config and traffic spread evenly they step alike, but a rollback at one is not seen by the
 * others until their own windows fail; run one gateway per pool under a canary, or use `manual`.
 */
import type { GatewayEvents } from '../gateway/events.ts'
import type { GatewayState } from '../gateway/state.ts'
import type { UpstreamStore } from '../pools/upstream-store.ts'
import type { Logger } from '../types.ts'
import type { HealthCheckRequest } from '../plugin/io.ts'
import { PoolRelease, type ReleaseView } from './pool-release.ts'

const TICK_MS = 250

export interface ReleasesDeps {
  store: UpstreamStore
  state: () => GatewayState
  log: Logger
  events: GatewayEvents
  /** The runtime's probe client: shadow copies (mirror.ts). */
  send: HealthCheckRequest
}

export class Releases {
  private readonly pools = new Map<string, PoolRelease>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly deps: ReleasesDeps) {}

  start(): void {
    this.tick()
    this.timer ??= setInterval(() => this.tick(), TICK_MS)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    for (const name of [...this.pools.keys()]) this.drop(name)
  }

  /** The release of that pool (admin API actions, tests). */
  get(pool: string): PoolRelease | undefined {
    return this.pools.get(pool)
  }

  view(pool: string): ReleaseView | undefined {
    return this.pools.get(pool)?.view()
  }

  tick(): void {
    this.sync()
    for (const release of this.pools.values()) {
      try {
        release.tick()
      } catch (err) {
        this.deps.log.error(`pool "${release.name}": release tick failed`, { error: String((err as Error)?.stack ?? err) })
      }
    }
  }

  /** Matches release policies to the state's pools: creates, updates or drops each PoolRelease. */
  sync(): void {
    const state = this.deps.state()
    for (const name of state.pools.keys()) {
      const settings = state.config.pools[name]?.release
      if (!settings) {
        this.drop(name)
        continue
      }
      const have = this.pools.get(name)
      if (have) {
        have.update(settings)
        continue
      }
      const members = this.deps.store.members(name)
      const release = new PoolRelease(name, members, settings, { log: this.deps.log, emit: (e) => this.deps.events.emit('release', e), send: this.deps.send })
      members.release = release
      members.invalidate()
      this.pools.set(name, release)
    }
    for (const name of this.pools.keys()) if (!state.pools.has(name)) this.drop(name)
  }

  private drop(name: string): void {
    const release = this.pools.get(name)
    if (!release) return
    const members = this.deps.store.members(name)
    if (members.release === release) {
      members.release = undefined
      members.invalidate()
    }
    this.pools.delete(name)
  }
}
