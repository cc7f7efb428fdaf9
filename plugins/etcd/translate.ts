/**
 * The etcd plugin's pure half: the keys under the watched prefixes → one whole snapshot. No I/O,
 * no clock; the watcher calls it after every change with everything it holds (etcd's truth).
 *
 * Key layout (`prefix` and `routesPrefix` are options):
 *
 * | mode | key | feeds |
 * |---|---|---|
 * | pool (under `pools.<name>.discovery`, or with `pool`) | `<prefix><name>` (anything after the prefix) | that pool |
 * | top level (no pool) | `<prefix><pool>/<name>` | pool `<pool>` |
 * | both | `<routesPrefix><name>` | one route (JSON, the route schema of gateway.config.ts) |
 *
 * A server value is `host:port` (seed 004: `/app/servers/app1` = `10.0.0.5:8000` → `http://10.0.0.5:8000`),
 * a URL (`https://10.0.0.5:8443`), or JSON `{ "url": "…", "weight": 2, "labels": { "zone": "a" } }`.
 * The upstream id is the etcd key, so re-putting a key with a new address updates that upstream.
 * A bad key (unparseable value, no pool segment, invalid route) is skipped with a problem naming
 * the key; it never takes the other keys down with it, since many writers share one registry.
 * Route keys with the same JSON (one app's replicas, registered from several hosts) are one route.
 */
import { routeSchema } from '../../core/config/route-schema.ts'
import { formatIssues } from '../../core/config/errors.ts'
import { upstreamInputSchema } from '../../core/pools/upstream-input.ts'
import type { DiscoverySnapshot, UpstreamInput } from '../../core/types.ts'

export interface Layout {
  /** Server keys live under this prefix. */
  prefix: string
  /** All server keys feed this pool; without it the first segment after `prefix` names the pool. */
  pool?: string
  /** Route keys live under this prefix; false: no routes from etcd. */
  routesPrefix: string | false
}

export interface Translation {
  snapshot: DiscoverySnapshot
  /** One line per skipped key: `/app/servers/x: expected host:port, a URL or JSON {"url": …}`. */
  problems: string[]
}

/** Translates `[key, value]` pairs (any order; output is sorted by key) into a snapshot. */
export function toSnapshot(kvs: Iterable<readonly [string, string]>, layout: Layout): Translation {
  const pools: Record<string, UpstreamInput[]> = {}
  const routes: unknown[] = []
  const problems: string[] = []
  const sameRoute = new Set<string>() // replicas on several hosts write one route under several keys
  if (layout.pool !== undefined) pools[layout.pool] = [] // an emptied pool is reported as empty
  const sorted = [...kvs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [key, value] of sorted) {
    const kind = classify(key, layout)
    if (kind === 'route') {
      const route = parseRoute(key, key.slice((layout.routesPrefix as string).length), value)
      if (typeof route === 'string') problems.push(`${key}: ${route}`)
      else if (!sameRoute.has(canonical(value))) (sameRoute.add(canonical(value)), routes.push(route))
    } else if (kind === 'server') {
      const rest = key.slice(layout.prefix.length)
      const [pool, name] = layout.pool !== undefined ? [layout.pool, rest] : splitPool(rest)
      if (!pool || !name) {
        problems.push(`${key}: expected a key like ${layout.prefix}<pool>/<name> (or give the plugin a pool)`)
        continue
      }
      const upstream = parseServer(key, value)
      if (typeof upstream === 'string') problems.push(`${key}: ${upstream}`)
      else (pools[pool] ??= []).push(upstream)
    }
  }
  const snapshot: DiscoverySnapshot = { pools }
  if (layout.routesPrefix !== false) snapshot.routes = routes
  return { snapshot, problems }
}

/** Which prefix a key falls under; the longer prefix wins when one contains the other. */
export function classify(key: string, layout: Layout): 'server' | 'route' | undefined {
  const r = layout.routesPrefix
  const inRoutes = r !== false && key.startsWith(r)
  const inServers = key.startsWith(layout.prefix)
  if (inRoutes && inServers) return (r as string).length >= layout.prefix.length ? 'route' : 'server'
  return inRoutes ? 'route' : inServers ? 'server' : undefined
}

const canonical = (json: string) => JSON.stringify(JSON.parse(json))

function splitPool(rest: string): [string, string] | [] {
  const slash = rest.indexOf('/')
  return slash > 0 ? [rest.slice(0, slash), rest.slice(slash + 1)] : []
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/

/** One server value → an upstream with the key as its id, or the reason it is skipped. */
export function parseServer(key: string, raw: string): UpstreamInput | string {
  const value = raw.trim()
  let input: unknown
  if (value.startsWith('{')) {
    try {
      input = JSON.parse(value)
    } catch {
      return 'invalid JSON (expected {"url": "http://host:port", "weight"?: 1, "labels"?: {…}})'
    }
    if (input && typeof input === 'object' && 'id' in input) return 'the upstream id is the etcd key; remove "id"'
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) input = value
  else if (HOST_PORT.test(value)) input = `http://${value}`
  else return `expected host:port, a URL or JSON {"url": …}, got ${JSON.stringify(value.slice(0, 80))}`
  const parsed = upstreamInputSchema.safeParse(input)
  if (!parsed.success) return formatIssues(parsed.error.issues).join('; ').replace(/^\(root\): /, '')
  const u = parsed.data
  return typeof u === 'string' ? { url: u, id: key } : { url: u.url, id: key, weight: u.weight, labels: u.labels }
}

/** One route value (JSON) → the route as written (the core validates it again), or the reason it is skipped. */
export function parseRoute(key: string, name: string, raw: string): Record<string, unknown> | string {
  let input: unknown
  try {
    input = JSON.parse(raw)
  } catch {
    return 'invalid JSON (expected a route like {"host": "app.example.com", "pool": "web"})'
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) return 'expected a JSON object (one route per key)'
  const route = { name: name || key, ...(input as Record<string, unknown>) }
  const parsed = routeSchema.safeParse(route)
  if (!parsed.success) return formatIssues(parsed.error.issues).join('; ')
  return route
}
