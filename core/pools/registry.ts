/**
 * The pool registry. Each discovery source sends whole snapshots; the registry keeps each
 * source's last good one, merges the sources of a pool, and swaps the pool's upstream list
 * atomically. A snapshot that fails validation is rejected whole and the last good one keeps
 * serving. Requests never wait on any of this: they read the pool's current list.
 */
import type { DiscoverySnapshot, Logger, Upstream } from '../types.ts'
import { poolSchema, type PoolConfig } from '../config/schema.ts'
import { formatIssues } from '../config/errors.ts'
import { toUpstream, upstreamListSchema } from '../pools/upstream-input.ts'
import { Pool } from './pool.ts'
import type { UpstreamRuntime } from './upstream-state.ts'
import type { UpstreamTarget } from '../runtime/types.ts'
import type { GatewayEvents } from '../gateway/events.ts'

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>()
  private readonly sources = new Map<string, Map<string, Upstream[]>>()
  private readonly configured: ReadonlySet<string>
  private readonly reported = new Set<string>()

  constructor(
    settings: Record<string, PoolConfig>,
    private readonly log: Logger,
    /** Called for an address an upstream no longer has (it left or moved): the transport closes its client once idle. */
    private readonly release: (address: UpstreamTarget) => void,
    private readonly events?: GatewayEvents,
  ) {
    for (const [name, s] of Object.entries(settings)) this.pools.set(name, this.newPool(name, s))
    this.configured = new Set(Object.keys(settings))
  }

  private newPool(name: string, settings: PoolConfig): Pool {
    const pool = new Pool(name, settings)
    if (this.events) {
      const events = this.events
      pool.onHealth = (up) =>
        events.emit('health', { pool: name, upstream: up.url.origin, id: up.id, available: up.available, healthy: up.healthy, ejectedUntil: up.ejectedUntil, disabled: up.disabled })
    }
    return pool
  }

  get(name: string): Pool | undefined {
    return this.pools.get(name)
  }

  /** The pool, created with default settings when only discovery knows it. */
  ensure(name: string): Pool {
    let pool = this.pools.get(name)
    if (!pool) this.pools.set(name, (pool = this.newPool(name, poolSchema.parse({}))))
    return pool
  }

  /**
   * Whether the config defines this pool or a discovery source has reported it (even if it has
   * since emptied: its routes then answer 503, not 404 — an emptied pool is still a pool).
   */
  known(name: string): boolean {
    return this.configured.has(name) || this.reported.has(name)
  }

  all(): Pool[] {
    return [...this.pools.values()]
  }

  /** Applies a source's whole snapshot. Returns the problems when it was rejected. */
  apply(source: string, snapshot: DiscoverySnapshot): string[] {
    const parsed = new Map<string, Upstream[]>()
    const problems: string[] = []
    for (const [name, list] of Object.entries(snapshot.pools ?? {})) {
      const result = upstreamListSchema.safeParse(list)
      if (result.success) parsed.set(name, result.data.map(toUpstream))
      else problems.push(...formatIssues(result.error.issues, ['pools', name]))
    }
    if (problems.length) {
      this.log.error(`discovery ${source}: snapshot rejected, keeping the last good one`, { problems })
      this.events?.emit('discovery', { source, ok: false, problems })
      return problems
    }
    this.events?.emit('discovery', { source, ok: true })
    const before = this.sources.get(source)
    this.sources.set(source, parsed)
    for (const name of parsed.keys()) this.reported.add(name)
    const touched = new Set([...(before?.keys() ?? []), ...parsed.keys()])
    for (const name of touched) this.rebuild(name, source)
    return []
  }

  /** Drops a source entirely (it stopped). */
  forget(source: string): void {
    const before = this.sources.get(source)
    this.sources.delete(source)
    for (const name of before?.keys() ?? []) this.rebuild(name, source)
  }

  private rebuild(name: string, source: string): void {
    const merged: Upstream[] = []
    for (const pools of this.sources.values()) merged.push(...(pools.get(name) ?? []))
    const pool = this.ensure(name)
    const { added, removed, updated, retired } = pool.apply(merged)
    const report = (change: 'added' | 'updated' | 'removed', up: UpstreamRuntime, sign: string, extra = '') => {
      this.log.info(`pool ${name}: ${sign}upstream ${up.url.origin} (${source}, id ${up.id}${extra})`)
      this.events?.emit('pool', { pool: name, change, upstream: up.url.origin, id: up.id, source })
    }
    for (const up of added) report('added', up, '+')
    for (const up of updated) report('updated', up, '~')
    for (const up of removed) report('removed', up, '-', `, ${up.inflight} in flight`)
    for (const address of retired) this.release(address)
  }
}
