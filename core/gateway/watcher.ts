/**
 * The one path from sources to the running state (as Traefik's configuration watcher): the config
 * and each discovery source push whole snapshots; the watcher keeps the last good one per source
 * (source-snapshots.ts validates them, once, and drops unchanged ones), merges them with the
 * config (route-merge.ts), builds the next state (route table + pools) and swaps one reference.
 * Upstream state lives in the UpstreamStore by pool and id, so it outlives every state.
 *
 * Building is synchronous: no request can see a half-built state. Whatever may throw (middleware
 * set up for new routes) runs before anything is changed, so a failed build leaves the running
 * state as it was.
 */
import type { GatewayConfig, PoolConfig } from '../config/schema.ts'
import { poolSchema } from '../config/schema.ts'
import type { RouteConfig } from '../config/route-schema.ts'
import type { GatewayMiddleware, Logger, Upstream } from '../types.ts'
import type { RouteMiddleware } from '../plugin/slots.ts'
import { Pool } from '../pools/pool.ts'
import { withPoolProtocol } from '../pools/upstream-input.ts'
import type { PoolChanges } from '../pools/pool-members.ts'
import type { UpstreamStore } from '../pools/upstream-store.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import { trustChecker } from '../proxy/client-address.ts'
import { compileRoutes } from './compile-routes.ts'
import type { GatewayEvents } from './events.ts'
import { RouteMerge } from './route-merge.ts'
import { SourceSnapshots } from './source-snapshots.ts'
import type { GatewayState } from './state.ts'

export interface WatcherDeps {
  log: Logger
  store: UpstreamStore
  /** Turns a route's `use` entry into its handler (plugins set up once per object). */
  middleware: (m: RouteMiddleware) => GatewayMiddleware
  events?: GatewayEvents
  /** Told after a swap that changed the routes in force (certificate sources follow the hosts they name). */
  onRoutesChanged?: () => void
}

export class Watcher {
  private readonly snapshots: SourceSnapshots
  private readonly merge: RouteMerge
  /** Settings of pools only discovery knows, kept per name so their balancer's state survives rebuilds. */
  private readonly defaults = new Map<string, PoolConfig>()
  private config: GatewayConfig
  private loadedAt: number
  private generation = 1
  private state: GatewayState | undefined
  private held = 0
  /** Why rebuilds were held back (a batch): said once when it builds. */
  private readonly pending = new Set<string>()
  /** Told each snapshot taken and each source forgotten (the primary feeds its workers: core/workers/). */
  private readonly sourceListeners = new Set<(source: string, snapshot: unknown, forgotten: boolean) => void>()

  constructor(
    config: GatewayConfig,
    private readonly deps: WatcherDeps,
  ) {
    this.snapshots = new SourceSnapshots(deps.log, deps.events)
    this.merge = new RouteMerge(deps.log)
    this.config = config
    this.loadedAt = Date.now()
    this.rebuild('config')
  }

  /** The state in force. Read it once per request. */
  current(): GatewayState {
    return this.state!
  }

  /** A source's whole snapshot. Dropped when unchanged; a bad one keeps the last good one. */
  push(source: string, snapshot: unknown): void {
    if (this.snapshots.accept(source, snapshot) !== 'applied') return
    for (const listener of this.sourceListeners) listener(source, snapshot, false)
    this.rebuild(source)
  }

  /** Calls `listener` with each snapshot taken (a good, changed one) and each source forgotten; returns the unsubscribe. */
  onSource(listener: (source: string, snapshot: unknown, forgotten: boolean) => void): () => void {
    this.sourceListeners.add(listener)
    return () => void this.sourceListeners.delete(listener)
  }

  /** A source could not make a snapshot at all (a broken file): observers hear why; the last good one keeps serving. */
  failed(source: string, problems: string[]): void {
    this.deps.events?.emit('discovery', { source, ok: false, problems })
  }

  /** A source stopped (or a reload removed it): what it reported goes. */
  forget(source: string): void {
    if (!this.snapshots.forget(source)) return
    for (const listener of this.sourceListeners) listener(source, undefined, true)
    this.rebuild(`${source} (stopped)`)
  }

  /**
   * Sets up what a config's routes need that may throw (middleware), without changing anything:
   * call it before starting a reload, so a config that cannot be built never replaces one that serves.
   */
  prepare(config: GatewayConfig): void {
    for (const route of config.routes) for (const m of route.use) this.deps.middleware(m)
  }

  /** A new config (a reload): the next generation, built with every source's last good snapshot. */
  useConfig(config: GatewayConfig): void {
    this.config = config
    this.loadedAt = Date.now()
    this.generation++
    this.rebuild('config reload')
  }

  /** Runs `fn` with rebuilds held back, then builds once: a reload swaps config and new sources' snapshots together. */
  async batch<T>(fn: () => Promise<T>): Promise<T> {
    this.held++
    try {
      return await fn()
    } finally {
      if (--this.held === 0 && this.pending.size) {
        const reason = [...this.pending].join(' + ')
        this.pending.clear()
        this.rebuild(reason)
      }
    }
  }

  private rebuild(reason: string): void {
    if (this.held) return void this.pending.add(reason)
    const prev = this.state
    const config = this.config
    const known = new Set([...Object.keys(config.pools), ...this.snapshots.everReported()])
    const merged = this.merge.merge(config.routes, this.snapshots.routes(), known)
    const configChanged = config !== prev?.config
    const routesChanged = configChanged || !sameList(merged.routes, prev!.routeList)

    // Every pool the config defines, a source has reported (an emptied pool stays, empty) or a route
    // names; each keeps its Pool object unless its settings or members changed.
    const names = new Set([...known, ...merged.routes.map((r) => r.pool)])
    const plans: { name: string; settings: PoolConfig; next: Upstream[] }[] = []
    const pools = new Map<string, Pool>()
    for (const name of names) {
      const settings = config.pools[name] ?? this.defaultSettings(name)
      const next = this.snapshots.upstreams(name).map((up) => withPoolProtocol(up, settings.protocol))
      const old = prev?.pools.get(name)
      if (old && old.settings === settings && this.deps.store.members(name).same(next)) pools.set(name, old)
      else plans.push({ name, settings, next })
    }
    const removed = [...(prev?.pools.keys() ?? [])].filter((name) => !names.has(name))
    if (!routesChanged && !plans.length && !removed.length) return

    // May throw (a middleware's setup): before anything changes.
    const routes = routesChanged ? compileRoutes(merged.routes, this.deps.middleware) : prev!.routes

    const changes: [string, PoolChanges][] = []
    for (const { name, settings, next } of plans) {
      const members = this.deps.store.members(name)
      changes.push([name, members.apply(next, settings.slowStart)])
      pools.set(name, new Pool(name, settings, members.list(), members))
    }
    for (const name of removed) changes.push([name, this.deps.store.members(name).apply([], 0)])

    this.state = {
      generation: this.generation,
      loadedAt: this.loadedAt,
      revision: (prev?.revision ?? 0) + 1,
      config,
      routes,
      pools,
      routeList: merged.routes,
      sourceOf: merged.sourceOf,
      trusted: configChanged || !prev ? trustChecker(config.trustedProxies) : prev.trusted,
    }
    for (const [name, c] of changes) {
      const members = this.deps.store.members(name)
      members.current = pools.get(name)
      members.announce(c)
    }
    for (const [name, c] of changes) this.report(name, reason, c)
    if (routesChanged && prev) this.deps.log.info(`routes: ${merged.routes.length} active after a change from ${reason}`)
    if (routesChanged) this.deps.onRoutesChanged?.()
  }

  private defaultSettings(name: string): PoolConfig {
    let settings = this.defaults.get(name)
    if (!settings) this.defaults.set(name, (settings = poolSchema.parse({})))
    return settings
  }

  private report(pool: string, source: string, { added, updated, removed, retired }: PoolChanges): void {
    const line = (change: 'added' | 'updated' | 'removed', up: UpstreamRuntime, sign: string, extra = '') => {
      this.deps.log.info(`pool ${pool}: ${sign}upstream ${up.url.origin} (${source}, id ${up.id}${extra})`)
      this.deps.events?.emit('pool', { pool, change, upstream: up.url.origin, id: up.id, source })
    }
    for (const up of added) line('added', up, '+')
    for (const up of updated) line('updated', up, '~')
    for (const up of removed) line('removed', up, '-', `, ${up.inflight} in flight`)
    this.deps.store.retire(retired)
  }
}

const sameList = (a: readonly RouteConfig[], b: readonly RouteConfig[]) => a.length === b.length && a.every((r, i) => r === b[i])
