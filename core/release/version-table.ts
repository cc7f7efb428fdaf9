/**
 * What the request path reads of a release: the pool's available upstreams grouped by version,
 * with the weights in force. Built only when membership, availability or the weights change
 * (Pool caches it), never per request.
 */
import type { UpstreamRuntime } from '../pools/upstream-state.ts'

export interface WeightedVersion {
  name: string
  /** Percent of traffic (the weights of the versions that can take it sum to `total`). */
  weight: number
  upstreams: readonly UpstreamRuntime[]
}

export interface VersionTable {
  /** Versions with weight and available upstreams, in the release's order (the new version first: hashed clients only ever move toward it). */
  readonly weighted: readonly WeightedVersion[]
  readonly total: number
  /** Available upstreams of each published version (weight above 0): overrides and sticky clients. */
  readonly byVersion: ReadonlyMap<string, readonly UpstreamRuntime[]>
  /** Available upstreams of every published version (all available ones before the release weighed any): retries, and a request whose version has none left. */
  readonly published: readonly UpstreamRuntime[]
  /** Available upstreams of the version that gets shadow copies (mirror.ts), if any. */
  readonly mirror: readonly UpstreamRuntime[]
}

/** The version an upstream belongs to: its label, or "" without one (part of whichever version is stable when it is the only one). */
export function versionOf(up: { labels: Readonly<Record<string, string>> }, label: string): string {
  return up.labels[label] ?? ''
}

export function buildVersionTable(available: readonly UpstreamRuntime[], label: string, weights: ReadonlyMap<string, number>, mirrorTo?: string): VersionTable {
  const groups = new Map<string, UpstreamRuntime[]>()
  const mirror: UpstreamRuntime[] = []
  for (const up of available) {
    const name = versionOf(up, label)
    if (name === mirrorTo) mirror.push(up)
    if (!weights.get(name)) continue
    let list = groups.get(name)
    if (!list) groups.set(name, (list = []))
    list.push(up)
  }
  const weighted: WeightedVersion[] = []
  let total = 0
  for (const [name, weight] of weights) {
    const upstreams = groups.get(name)
    if (!upstreams || weight <= 0) continue
    weighted.push({ name, weight, upstreams })
    total += weight
  }
  const published = weights.size === 0 ? available : weighted.flatMap((v) => v.upstreams)
  return { weighted, total, byVersion: groups, published, mirror }
}

/** The version at `point` in [0, total): the weights laid end to end. */
export function versionAt(table: VersionTable, point: number): WeightedVersion | undefined {
  for (const v of table.weighted) {
    if (point < v.weight) return v
    point -= v.weight
  }
  return table.weighted[table.weighted.length - 1]
}
