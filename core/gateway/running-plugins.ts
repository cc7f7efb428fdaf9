/**
 * The plugins a config runs: observers (metrics, access log, admin), discovery sources and active
 * health checks. At start: observers first (they see every snapshot and pool change, the first
 * ones included), then discovery (waiting for first snapshots), then health checks. At a reload,
 * each kind is synced (plugin-runs.ts): unchanged ones keep running, others are stopped and the
 * new ones started; the new config and the new sources' first snapshots swap in as one state.
 */
import type { GatewayConfig } from '../config/schema.ts'
import type { PluginContext } from '../plugin/contract.ts'
import { pluginContext } from '../plugin/context.ts'
import type { UpstreamStore } from '../pools/upstream-store.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { CertificatesView, GatewayView } from '../types.ts'
import type { GatewayEvents } from './events.ts'
import { gatewayView } from './gateway-view.ts'
import { PluginRuns, type RunsChange, type WantedRun } from './plugin-runs.ts'
import { discoverySources, type DiscoveryDeps } from './start-discovery.ts'
import type { Traffic } from './traffic.ts'
import type { RequestTracing } from './request-tracing.ts'
import type { Watcher } from './watcher.ts'
import type { PoolScaleView } from '../scale/scale-view.ts'
import type { Releases } from '../release/releases.ts'

type Checker = ((up: UpstreamRuntime) => Promise<boolean>) | undefined

export interface ReloadReport {
  discovery: RunsChange
  health: RunsChange
  observers: RunsChange
  /** Changed fields a reload cannot apply (listen address, TLS listener, limits). */
  restartNeeded: string[]
}

export interface RunningDeps {
  plugins: PluginContext
  watcher: Watcher
  store: UpstreamStore
  events: GatewayEvents
  waitMs: number
  /** The HTTPS listener's certificates, for the observers' view. */
  certificates?: () => CertificatesView | undefined
  /** A scaling pool's state, for observers (core/scale/scaling.ts). */
  scaleOf?: (pool: string) => PoolScaleView | undefined
  /** Requests in flight gateway-wide, for observers. */
  traffic?: Traffic
  /** The tracer in force, for a tracing observer to set. */
  tracing?: RequestTracing
  /** The client listeners' open connections and refusals, for observers. */
  listeners?: GatewayView['listeners']
  /** Where a source's scaler goes (core/scale/scaling.ts). */
  onScaler?: DiscoveryDeps['onScaler']
  /** Pools with a release policy, for observers (core/release/releases.ts). */
  releases?: Pick<Releases, 'get' | 'view'>
}

export class RunningPlugins {
  private readonly sources = new PluginRuns<void>()
  private readonly health = new PluginRuns<Checker>()
  private readonly observers = new PluginRuns<void>()
  private readonly checkers = new Map<string, Checker>()

  constructor(private readonly deps: RunningDeps) {}

  async start(config: GatewayConfig): Promise<void> {
    const fail = (slot: string, err: unknown) => {
      throw err instanceof Error ? err : new Error(`${slot}: ${String(err)}`)
    }
    await this.observers.sync(this.wantedObservers(config), { onError: fail })
    await this.sources.sync(discoverySources(config, this.discoveryDeps()), { onError: this.logError('discovery') })
    await this.syncHealth(config)
  }

  async reload(config: GatewayConfig): Promise<ReloadReport> {
    const { watcher } = this.deps
    const wanted = discoverySources(config, this.discoveryDeps())
    const slots = new Set(wanted.map((w) => w.slot))
    // Held: the config and the new sources' first snapshots make one state, swapped once.
    const discovery = await watcher.batch(async () => {
      // A replaced source's slot keeps its last snapshot until its successor's first one.
      const change = await this.sources.sync(wanted, { onStop: (slot) => slots.has(slot) || watcher.forget(slot), onError: this.logError('discovery') })
      watcher.useConfig(config)
      return change
    })
    const health = await this.syncHealth(config)
    const observers = await this.observers.sync(this.wantedObservers(config), { onError: this.logError('observer') })
    return { discovery, health, observers, restartNeeded: [] }
  }

  /** The pool's active check, run now on one upstream (a scaling pool's readiness probe); undefined without one. */
  checker(pool: string): Checker {
    return this.checkers.get(pool)
  }

  stopAll(): void {
    for (const runs of [this.sources, this.health, this.observers]) runs.stopAll()
  }

  private async syncHealth(config: GatewayConfig): Promise<RunsChange> {
    const { plugins, store } = this.deps
    const wanted: WantedRun<Checker>[] = []
    for (const [name, pool] of Object.entries(config.pools)) {
      const plugin = pool.health
      if (!plugin) continue
      wanted.push({
        slot: `pools.${name}.health`,
        plugin,
        start: (signal) => {
          const started = plugin.start({ ...pluginContext(plugin, { ...plugins, signal }), pool: store.members(name).viewUntil(signal) })
          return started ? (up) => started.checkNow(up) : undefined
        },
      })
    }
    const change = await this.health.sync(wanted, { onError: this.logError('health') })
    this.checkers.clear()
    for (const [slot, check] of this.health.values()) if (check) this.checkers.set(slot.replace(/^pools\.|\.health$/g, ''), check)
    return change
  }

  private wantedObservers(config: GatewayConfig): WantedRun<void>[] {
    const { plugins, watcher, events } = this.deps
    const view = gatewayView(watcher, events, this.checkers, this.deps.certificates, this.deps.scaleOf, this.deps.releases, this.deps.traffic, this.deps.tracing, this.deps.listeners)
    return config.observe.map((plugin, i) => ({
      slot: `observe[${i}]`,
      plugin,
      start: (signal) => startRetrying(() => plugin.start({ ...pluginContext(plugin, { ...plugins, signal }), gateway: view }), signal),
    }))
  }

  private discoveryDeps() {
    return { gateway: this.deps.plugins, watcher: this.deps.watcher, waitMs: this.deps.waitMs, onScaler: this.deps.onScaler }
  }

  private logError(kind: string) {
    return (slot: string, err: unknown) => this.deps.plugins.log.error(`${kind} ${slot} failed to start`, { error: String((err as Error)?.message ?? err) })
  }
}

/** A replaced observer may still be closing its listener on the same port: retry briefly while the address is in use. */
async function startRetrying(start: () => void | Promise<void>, signal: AbortSignal): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      return await start()
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE' || tries >= 20 || signal.aborted) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
