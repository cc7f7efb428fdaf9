/**
 * The inverse of translate.ts, for the writers (`gatehouse register`, `gatehouse registrator`):
 * upstreams and routes → etcd keys and values that the etcd plugin reads back. Pure.
 *
 * - An upstream of pool `web` named `n` goes to `<poolsPrefix>web/n` (default `/gatehouse/pools/web/n`),
 *   or, with an explicit directory, to `<dir>n` (seed 004's `/app/servers/n`).
 * - Its value is JSON `{ "url", "weight", "labels" }` (weight and labels only when set).
 * - A route goes to `<routesPrefix><instance>/<pool>-<hash of the route>`; replicas on several
 *   hosts write the same JSON under their own keys, and the plugin keeps one of each.
 */
import type { DiscoverySnapshot, UpstreamInput } from '../../core/types.ts'

export interface UpstreamValue {
  url: string
  weight?: number
  labels?: Record<string, string>
}

/** The JSON value of one upstream key; weight 1 and empty labels are left out. */
export function encodeUpstream(u: UpstreamValue): string {
  const out: UpstreamValue = { url: new URL(u.url).origin }
  if (u.weight !== undefined && u.weight !== 1) out.weight = u.weight
  if (u.labels && Object.keys(u.labels).length) out.labels = u.labels
  return JSON.stringify(out)
}

/** A key name from free text: no "/" (the pool separator), no spaces or control characters. */
export function keyName(text: string): string {
  return text.replace(/[^A-Za-z0-9._:@\[\]-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed'
}

export interface SnapshotKeys {
  /** Top-level layout directory of pools, ending in "/". */
  poolsPrefix: string
  /** Directory of route keys, ending in "/"; false: routes are not written. */
  routesPrefix: string | false
  /** Who writes (a host name): keeps the keys of several writers apart. */
  instance: string
}

/** A discovery snapshot (e.g. the Docker plugin's) → the keys that carry it, sorted by key. */
export function snapshotToKeys(snapshot: DiscoverySnapshot, k: SnapshotKeys): Map<string, string> {
  const out = new Map<string, string>()
  const instance = keyName(k.instance)
  for (const [pool, list] of Object.entries(snapshot.pools)) {
    for (const u of list as UpstreamInput[]) {
      const value = typeof u === 'string' ? { url: u } : u
      const id = typeof u === 'string' ? new URL(u).host : (u.id ?? new URL(u.url).host)
      out.set(`${k.poolsPrefix}${keyName(pool)}/${instance}-${keyName(id.length === 64 ? id.slice(0, 12) : id)}`, encodeUpstream(value))
    }
  }
  if (k.routesPrefix !== false) {
    for (const route of snapshot.routes ?? []) {
      const json = JSON.stringify(route)
      const pool = keyName(String((route as { pool?: unknown }).pool ?? 'route'))
      out.set(`${k.routesPrefix}${instance}/${pool}-${fnv1a(json)}`, json)
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** 32-bit FNV-1a as 8 hex digits: a short, stable name for a route's content. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}
