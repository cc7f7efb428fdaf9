/**
 * The routes in force: the config's first, then each source's that do not collide with them (same
 * hosts, path and methods: the config, or an earlier source, wins). A discovered route naming a
 * pool nobody defines or reports is left out with an error naming the field, until a source
 * reports that pool. Each warning (a route ignored, a pool unknown, an open door) is logged once
 * when it appears, not again on every later change.
 */
import type { RouteConfig } from '../config/route-schema.ts'
import type { Logger } from '../types.ts'
import { openDoors } from '../routing/open-doors.ts'

export interface MergedRoutes {
  routes: readonly RouteConfig[]
  /** 'config' or the discovery source a route came from. */
  sourceOf(route: RouteConfig): string
}

export class RouteMerge {
  private readonly ignored = new OnceEach((line) => this.log.warn(line))
  private readonly unknownPools = new OnceEach((line) => this.log.error(line))
  private readonly doors = new OnceEach((line) => this.log.warn(line))

  constructor(private readonly log: Logger) {}

  merge(configRoutes: readonly RouteConfig[], discovered: Iterable<[string, readonly RouteConfig[]]>, known: ReadonlySet<string>): MergedRoutes {
    const sources = new Map<RouteConfig, string>()
    const taken = new Set(configRoutes.map(routeKey))
    const out = [...configRoutes]
    for (const [source, routes] of discovered) {
      for (const r of routes) {
        const key = routeKey(r)
        if (taken.has(key)) {
          this.ignored.report(`discovery ${source}: route ${key} ignored, the config (or an earlier source) defines it`)
          continue
        }
        if (!known.has(r.pool)) {
          this.unknownPools.report(`discovery ${source}: route ${routeLabel(r)}: pool: no pool named "${r.pool}" (known: ${[...known].join(',') || 'none'}); route left out until a source reports it`)
          continue
        }
        taken.add(key)
        sources.set(r, source)
        out.push(r)
      }
    }
    const label = (i: number) => (i < configRoutes.length ? `routes[${i}]` : `route ${routeLabel(out[i]!)} from ${sources.get(out[i]!)}`)
    for (const w of openDoors(out, label)) this.doors.report(w)
    for (const once of [this.ignored, this.unknownPools, this.doors]) once.settle()
    return { routes: out, sourceOf: (r) => sources.get(r) ?? 'config' }
  }
}

const routeLabel = (r: RouteConfig) => JSON.stringify(r.name ?? `${r.host === undefined ? '' : [r.host].flat().join(',')}${r.path}`)

function routeKey(r: RouteConfig): string {
  const hosts = r.host === undefined ? '*' : [r.host].flat().map((h) => h.toLowerCase()).sort().join(',')
  return `${hosts}${r.path}${r.methods ? ` [${[...r.methods].sort().join(',')}]` : ''}`
}

/** Logs each line once while it keeps being reported; a line that stops and comes back is logged again. */
class OnceEach {
  private before = new Set<string>()
  private now = new Set<string>()

  constructor(private readonly log: (line: string) => void) {}

  report(line: string): void {
    if (!this.before.has(line) && !this.now.has(line)) this.log(line)
    this.now.add(line)
  }

  settle(): void {
    this.before = this.now
    this.now = new Set()
  }
}
