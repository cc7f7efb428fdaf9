/**
 * Routes that arrive with discovery snapshots (Docker labels, etcd keys, a routes file), so a
 * serverless-style deploy needs no edit of gateway.config.ts. Each passes the same zod schema as
 * config routes; a bad one is skipped with a logged reason and never breaks the others. On a
 * conflict (same hosts, path and methods) the config route wins, and the log says so. Each
 * skipped or ignored route is logged once when it becomes so, not again on every later snapshot.
 */
import { routeSchema, type RouteConfig } from '../config/route-schema.ts'
import { formatIssues } from '../config/errors.ts'
import type { Logger } from '../types.ts'

export class DiscoveredRoutes {
  private readonly bySource = new Map<string, { fingerprint: string; routes: RouteConfig[] }>()
  /** `source key` of each route ignored at the last effective(): logged when it joined. */
  private ignored = new Set<string>()
  /** Per source, the problems of its routes skipped at its last apply(): logged when new. */
  private readonly skipped = new Map<string, Set<string>>()

  constructor(
    private readonly configRoutes: readonly RouteConfig[],
    private readonly log: Logger,
  ) {}

  /** Takes a source's routes; returns true when the effective route list changed. */
  apply(source: string, input: readonly unknown[] | undefined): boolean {
    const list = input ?? []
    const fingerprint = JSON.stringify(list)
    if (this.bySource.get(source)?.fingerprint === fingerprint) return false
    const routes: RouteConfig[] = []
    const before = this.skipped.get(source)
    const skipped = new Set<string>()
    list.forEach((raw, i) => {
      const parsed = routeSchema.safeParse(raw)
      if (parsed.success) return void routes.push(parsed.data)
      const problems = formatIssues(parsed.error.issues, ['routes', i])
      const note = `${JSON.stringify(raw)} ${problems.join()}`
      skipped.add(note)
      if (!before?.has(note)) this.log.warn(`discovery ${source}: route ${i} skipped`, { problems })
    })
    this.skipped.set(source, skipped)
    this.bySource.set(source, { fingerprint, routes })
    return true
  }

  forget(source: string): boolean {
    this.skipped.delete(source)
    return this.bySource.delete(source)
  }

  private readonly sources = new WeakMap<RouteConfig, string>()

  /** 'config' or the discovery source a route came from. */
  sourceOf(route: RouteConfig): string {
    return this.sources.get(route) ?? 'config'
  }

  /** Config routes first, then discovered ones that do not collide with them. */
  effective(): RouteConfig[] {
    const taken = new Map(this.configRoutes.map((r) => [routeKey(r), r]))
    const out = [...this.configRoutes]
    const ignored = new Set<string>()
    for (const [source, { routes }] of this.bySource) {
      for (const r of routes) this.sources.set(r, source)
      for (const r of routes) {
        const key = routeKey(r)
        if (taken.has(key)) {
          const note = `${source} ${key}`
          ignored.add(note)
          if (!this.ignored.has(note)) this.log.warn(`discovery ${source}: route ${key} ignored, the config (or an earlier source) defines it`)
          continue
        }
        taken.set(key, r)
        out.push(r)
      }
    }
    this.ignored = ignored
    return out
  }
}

function routeKey(r: RouteConfig): string {
  const hosts = r.host === undefined ? '*' : [r.host].flat().map((h) => h.toLowerCase()).sort().join(',')
  return `${hosts}${r.path}${r.methods ? ` [${[...r.methods].sort().join(',')}]` : ''}`
}
