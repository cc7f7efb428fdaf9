/**
 * Which pools have a release policy, and their one control loop (DESIGN.md §9: control loops run
 * once, in one place, and reach the request path only through swapped state — here the weights a
 * pool's version table is built from). Every tick (pool-loops.ts): policies are matched to the state's pools
 * (a reload keeps each pool's rollout, with the new settings), then each release ticks.
 *
 * Several gateways: with `coordination` (etcd), one decides each pool's release and the others
 * follow its published state (release-sharing.ts). Without it each runs its own loop on its own
 * measurements: with the same config and traffic spread evenly they step alike, but a rollback at
 * one is not seen by the others until their own windows fail.
 */
import type { GatewayEvents } from '../gateway/events.ts'
import type { GatewayState } from '../gateway/state.ts'
import type { UpstreamStore } from '../pools/upstream-store.ts'
import type { Logger } from '../types.ts'
import type { UpstreamProbe } from '../pools/upstream-probe.ts'
import type { CoordinationSession } from '../plugin/coordination.ts'
import { ReleaseSharing } from './release-sharing.ts'
import { PoolLoops } from '../pools/pool-loops.ts'
import { PoolRelease } from './pool-release.ts'
import type { ReleaseView } from './release-view.ts'

export interface ReleasesDeps {
  store: UpstreamStore
  state: () => GatewayState
  log: Logger
  events: GatewayEvents
  /** The runtime's probe client: shadow copies (mirror.ts). */
  send: UpstreamProbe
  /** Other gateways, once connected (config `coordination`): shared rollouts when the session offers them. */
  coordination?: () => CoordinationSession | undefined
}

export class Releases extends PoolLoops<PoolRelease> {
  private readonly sharing: ReleaseSharing

  constructor(private readonly deps: ReleasesDeps) {
    super('release', deps.log)
    this.sharing = new ReleaseSharing(() => deps.coordination?.()?.release, deps.log)
  }

  /** The release of that pool (admin API actions, tests). */
  get(pool: string): PoolRelease | undefined {
    return this.pools.get(pool)
  }

  view(pool: string): ReleaseView | undefined {
    return this.pools.get(pool)?.view()
  }

  protected override afterTick(): void {
    this.sharing.maybeRun(this.pools)
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
      release.following = this.sharing.active // until it knows whether it decides
      members.release = release
      members.invalidate()
      this.pools.set(name, release)
    }
    for (const name of this.pools.keys()) if (!state.pools.has(name)) this.drop(name)
  }

  protected drop(name: string): void {
    const release = this.pools.get(name)
    if (!release) return
    this.sharing.forget(name)
    const members = this.deps.store.members(name)
    if (members.release === release) {
      members.release = undefined
      members.invalidate()
    }
    this.pools.delete(name)
  }
}
