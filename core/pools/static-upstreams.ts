/**
 * Static discovery: a fixed list of upstreams (seeds 000 and 001: an nginx `upstream` block).
 * Under a pool, give the list; at the top level, give `{ poolName: [...] }`.
 *
 * @example
 * pools: { web: { discovery: staticUpstreams(['http://127.0.0.1:8001', { url: 'http://127.0.0.1:8002', weight: 2 }]) } }
 */
import { z } from 'zod'
import { definePlugin } from '../plugin/define.ts'
import { upstreamListSchema } from './upstream-input.ts'
import type { DiscoveryPlugin, UpstreamInput } from '../types.ts'

const optionsSchema = z.union([upstreamListSchema, z.record(z.string(), upstreamListSchema)])

/** Also what `pools.<name>.upstreams` means (so it lives in core; gatehouse/plugins/static re-exports it). */
export function staticUpstreams(upstreams: UpstreamInput[] | Record<string, UpstreamInput[]>): DiscoveryPlugin {
  return definePlugin('discovery', 'staticUpstreams', optionsSchema, upstreams, (list) => ({
    start({ emit, pool }) {
      if (Array.isArray(list)) {
        if (!pool) throw new Error('staticUpstreams([...]) must be used under pools.<name>.discovery; at the top level pass { pool: [...] }')
        emit({ pools: { [pool]: list } })
      } else emit({ pools: list })
    },
  }))
}
