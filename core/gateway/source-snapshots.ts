/**
 * The last good snapshot of each discovery source, validated here and nowhere else in the core:
 * upstreams by the one upstream schema, routes by the route schema. An unchanged snapshot is
 * dropped before anything is parsed; a snapshot with a bad upstream is rejected whole (the last
 * good one stays, the log names every bad field); a bad route is skipped alone, logged once when
 * it becomes so. A pool a source has reported stays known, even after it emptied.
 */
import { routeSchema, type RouteConfig } from '../config/route-schema.ts'
import { formatIssues } from '../config/errors.ts'
import { toUpstream, upstreamListSchema } from '../pools/upstream-input.ts'
import type { Logger, Upstream } from '../types.ts'
import type { GatewayEvents } from './events.ts'

interface Good {
  pools: ReadonlyMap<string, Upstream[]>
  routes: readonly RouteConfig[]
}

/** What became of a snapshot: `applied` means the state must be rebuilt. */
export type Verdict = 'unchanged' | 'rejected' | 'applied'

export class SourceSnapshots {
  /** Per source, the text of the last snapshot seen (good or not) and the last good one. */
  private readonly sources = new Map<string, { seen: string; good?: Good; skipped: Set<string> }>()
  private readonly reported = new Set<string>()

  constructor(
    private readonly log: Logger,
    private readonly events?: GatewayEvents,
  ) {}

  accept(source: string, snapshot: unknown): Verdict {
    const seen = safeText(snapshot)
    const entry = this.sources.get(source)
    if (entry && seen !== undefined && entry.seen === seen) return 'unchanged'
    const record = entry ?? { seen: '', skipped: new Set<string>() }
    record.seen = seen ?? ''
    this.sources.set(source, record)

    const input = (typeof snapshot === 'object' && snapshot !== null ? snapshot : {}) as { pools?: unknown; routes?: unknown }
    const pools = new Map<string, Upstream[]>()
    const problems: string[] = []
    if (typeof snapshot !== 'object' || snapshot === null) problems.push('(root): expected { pools: { name: [upstream…] }, routes?: [route…] }')
    else if (input.pools !== undefined && (typeof input.pools !== 'object' || input.pools === null || Array.isArray(input.pools))) problems.push('pools: expected { name: [upstream…] }')
    for (const [name, list] of Object.entries((input.pools as Record<string, unknown>) ?? {})) {
      const result = upstreamListSchema.safeParse(list)
      if (result.success) pools.set(name, result.data.map(toUpstream))
      else problems.push(...formatIssues(result.error.issues, ['pools', name]))
    }
    if (input.routes !== undefined && !Array.isArray(input.routes)) problems.push('routes: expected a list of routes')
    if (problems.length) {
      this.log.error(`discovery ${source}: snapshot rejected, keeping the last good one`, { problems })
      this.events?.emit('discovery', { source, ok: false, problems })
      return 'rejected'
    }
    this.events?.emit('discovery', { source, ok: true })
    // An absent `routes` leaves the source's routes as they were (sources that never define any).
    const routes = input.routes === undefined ? (record.good?.routes ?? []) : this.parseRoutes(source, input.routes as unknown[], record)
    record.good = { pools, routes }
    for (const name of pools.keys()) this.reported.add(name)
    return 'applied'
  }

  /** Drops a source (it stopped, or a reload removed it); true when it had a snapshot. */
  forget(source: string): boolean {
    const had = Boolean(this.sources.get(source)?.good)
    this.sources.delete(source)
    return had
  }

  /** Every pool some source has ever reported (an emptied pool stays a pool: 503, not 404). */
  everReported(): ReadonlySet<string> {
    return this.reported
  }

  /** A pool's upstreams from every source, in source order. */
  upstreams(pool: string): Upstream[] {
    const out: Upstream[] = []
    for (const { good } of this.sources.values()) out.push(...(good?.pools.get(pool) ?? []))
    return out
  }

  /** Each source's routes, in source order. */
  *routes(): Iterable<[string, readonly RouteConfig[]]> {
    for (const [source, { good }] of this.sources) if (good?.routes.length) yield [source, good.routes]
  }

  private parseRoutes(source: string, list: readonly unknown[], record: { skipped: Set<string> }): RouteConfig[] {
    const routes: RouteConfig[] = []
    const skipped = new Set<string>()
    list.forEach((raw, i) => {
      const parsed = routeSchema.safeParse(raw)
      if (parsed.success) return void routes.push(parsed.data)
      const problems = formatIssues(parsed.error.issues, ['routes', i])
      const note = `${safeText(raw)} ${problems.join()}`
      skipped.add(note)
      if (!record.skipped.has(note)) this.log.warn(`discovery ${source}: route ${i} skipped`, { problems })
    })
    record.skipped = skipped
    return routes
  }
}

/** The snapshot as text, for telling an unchanged one; undefined when it cannot be written as JSON. */
function safeText(v: unknown): string | undefined {
  try {
    return JSON.stringify(v)
  } catch {
    return undefined
  }
}
