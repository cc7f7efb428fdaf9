/** Which versions a pool's members make up (however many are available), and which one is stable when none is yet. */
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import { versionOf } from './version-table.ts'

export interface Census {
  total: number
  available: number
}

/** Versions present among the members (draining ones have left), with how many are available. */
export function versionsPresent(members: readonly UpstreamRuntime[], label: string): Map<string, Census> {
  const out = new Map<string, Census>()
  for (const up of members) {
    const v = versionOf(up, label)
    const c = out.get(v) ?? { total: 0, available: 0 }
    c.total++
    if (up.available) c.available++
    out.set(v, c)
  }
  return out
}

/** `named` when present; else the open version with the most upstreams (ties: the lowest name), failed and drained ones excluded. */
export function chooseStable(present: ReadonlyMap<string, Census>, settled: ReadonlyMap<string, unknown>, named: string | undefined): string | undefined {
  if (named !== undefined && present.has(named)) return named
  const open = [...present.entries()].filter(([v]) => !settled.has(v))
  open.sort(([a, ca], [b, cb]) => cb.total - ca.total || (a < b ? -1 : 1))
  return open[0]?.[0]
}
