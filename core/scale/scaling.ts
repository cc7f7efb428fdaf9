/**
 * Which pools scale, and their one control loop (DESIGN.md §9: control loops run once, in one
 * place). A pool scales when it has scale settings — `pools.<name>.scale` in the config, else the
 * `gatehouse.scale.*` labels of its replicas — and a source that reported it handed over a
 * Scaler. Every tick (pool-loops.ts): settings and scalers are matched to the state's pools (a reload, a new
 * label, a source that stopped), then each scaling pool ticks (activity, idle, load, wake timeout).
 */
import { scaleFromLabels, type ScaleConfig } from '../config/scale-schema.ts'
import type { GatewayEvents } from '../gateway/events.ts'
import type { GatewayState } from '../gateway/state.ts'
import type { Scaler } from '../plugin/scaler.ts'
import type { CoordinationSession } from '../plugin/coordination.ts'
import type { UpstreamStore } from '../pools/upstream-store.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Logger } from '../types.ts'
import { PoolScale } from './pool-scale.ts'
import { PoolLoops } from '../pools/pool-loops.ts'
import type { PoolScaleView } from './scale-view.ts'

/** How long sources have to hand over their scalers before a pool's `scale` is reported as unusable. */
const UNSCALABLE_AFTER_MS = 5_000

export interface ScalingDeps {
  store: UpstreamStore
  state: () => GatewayState
  log: Logger
  events: GatewayEvents
  /** Readiness of a replica that joined (wake-gate.ts): the pool's active check, else any HTTP answer. */
  probe: (pool: string, up: UpstreamRuntime) => Promise<boolean>
  /** Other gateways in front of the same replicas, once connected (config `coordination`). */
  coordination?: () => CoordinationSession | undefined
}

export class Scaling extends PoolLoops<PoolScale> {
  /** Scalers by the source slot that handed them over; `pool` for a source under `pools.<name>`. */
  private readonly scalers = new Map<string, { scaler: Scaler; pool?: string }>()
  /** Label problems already logged, per pool. */
  private readonly reported = new Map<string, string>()
  private startedAt = 0
  /** Pools whose `scale` has no source able to act, already warned about. */
  private readonly unscalable = new Set<string>()

  constructor(private readonly deps: ScalingDeps) {
    super('scaling', deps.log)
  }

  /** A source hands over its scaler (DiscoveryContext.scaler); it is dropped when the source stops. */
  register(slot: string, pool: string | undefined, scaler: Scaler, signal: AbortSignal): void {
    if (signal.aborted) return
    this.scalers.set(slot, { scaler, pool })
    signal.addEventListener('abort', () => this.scalers.get(slot)?.scaler === scaler && (this.scalers.delete(slot), this.sync()), { once: true })
    this.sync()
  }

  override start(): void {
    this.startedAt = Date.now()
    super.start()
  }

  /** A scaling pool's state for the admin API and dashboard. */
  view(pool: string): PoolScaleView | undefined {
    return this.pools.get(pool)?.view()
  }

  /** The pools that scale, by name. */
  names(): string[] {
    return [...this.pools.keys()]
  }

  /** The scaling pool of that name (tests, the admin API). */
  get(pool: string): PoolScale | undefined {
    return this.pools.get(pool)
  }

  /** Matches settings and scalers to the state's pools: creates, updates or drops each PoolScale. */
  sync(): void {
    const state = this.deps.state()
    for (const name of state.pools.keys()) {
      const scaler = this.scalerFor(name)
      const settings = scaler && this.settingsFor(name, state, scaler)
      if (!scaler || !settings) {
        this.drop(name)
        if (!scaler) this.warnUnscalable(name, state)
        continue
      }
      const have = this.pools.get(name)
      if (have) {
        have.update(scaler, settings)
        continue
      }
      const members = this.deps.store.members(name)
      const scale = new PoolScale(name, members, scaler, settings, {
        log: this.deps.log,
        emit: (event) => this.deps.events.emit('scale', event),
        probe: (up) => this.deps.probe(name, up),
        coordination: this.deps.coordination,
      })
      members.scale = scale
      this.pools.set(name, scale)
      this.deps.log.info(`pool "${name}": scales (min ${settings.min}, idle ${settings.idle.stop} ms); ${scale.state}`)
    }
    for (const name of this.pools.keys()) if (!state.pools.has(name)) this.drop(name)
  }

  /** A pool configured to scale whose sources cannot act (static upstreams, etcd, …): said once, after the sources had time to start. */
  private warnUnscalable(name: string, state: GatewayState): void {
    if (!state.config.pools[name]?.scale || this.unscalable.has(name) || !this.startedAt || Date.now() - this.startedAt < UNSCALABLE_AFTER_MS) return
    this.unscalable.add(name)
    this.deps.log.warn(`pools.${name}.scale: no discovery source of this pool can start or stop its replicas (docker() and swarm() can); it never sleeps or scales`)
  }

  protected drop(name: string): void {
    const scale = this.pools.get(name)
    if (!scale) return
    scale.close()
    const members = this.deps.store.members(name)
    if (members.scale === scale) members.scale = undefined
    this.pools.delete(name)
  }

  /** A source under the pool first; else a top-level source that knows the pool's replicas. */
  private scalerFor(pool: string): Scaler | undefined {
    let known: Scaler | undefined
    for (const entry of this.scalers.values()) {
      if (entry.pool === pool) return entry.scaler
      if (entry.pool === undefined && !known && entry.scaler.running(pool) + entry.scaler.asleep(pool) > 0) known = entry.scaler
    }
    return known
  }

  /** The config's `scale`, else the replicas' labels (a bad label is logged once, and the pool does not scale). */
  private settingsFor(pool: string, state: GatewayState, scaler: Scaler): ScaleConfig | undefined {
    const configured = state.config.pools[pool]?.scale
    if (configured) return configured
    const raw = scaler.settings?.(pool)
    if (!raw || Object.keys(raw).length === 0) return undefined
    const parsed = scaleFromLabels(raw)
    if (parsed.ok) {
      this.reported.delete(pool)
      return this.same(pool, parsed.value)
    }
    const text = parsed.problems.join('; ')
    if (this.reported.get(pool) !== text) this.deps.log.error(`pool "${pool}": scale labels ignored: ${text}`)
    this.reported.set(pool, text)
    return undefined
  }

  /** Label settings parse to a new object every tick: keep the old one when equal (PoolScale compares by reference). */
  private same(pool: string, next: ScaleConfig): ScaleConfig {
    const have = this.pools.get(pool)?.currentSettings
    return have && JSON.stringify(have) === JSON.stringify(next) ? have : next
  }
}
