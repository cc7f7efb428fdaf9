/**
 * Pure translation of the registry file's text into a discovery snapshot (I/O lives in fs.ts).
 * Upstreams pass core's upstream schema and routes core's routeSchema, so a file can hold exactly
 * what gateway.config.ts can, except middleware: JSON has no functions, so `use` is refused with
 * a message saying where such a route belongs instead of zod's generic "expected a middleware".
 */
import { z } from 'zod'
import { formatIssues } from '../../core/config/errors.ts'
import { routeSchema } from '../../core/config/route-schema.ts'
import { poolName } from '../../core/config/schema.ts'
import { upstreamListSchema } from '../../core/pools/upstream-input.ts'
import type { DiscoverySnapshot } from '../../core/types.ts'

/** Same rule as pool names in core/config/schema.ts. */

const registrySchema = z.strictObject({
  /** Upstreams per pool. Default none. */
  pools: z
    .record(poolName, upstreamListSchema)
    .default({}),
  /** Routes, as in gateway.config.ts but without `use`. */
  routes: z.array(z.unknown()).optional(),
})

export type ParseResult = { ok: true; snapshot: DiscoverySnapshot } | { ok: false; problems: string[] }

/**
 * `{ "pools": { name: [upstream…] }, "routes": [route…] }`, or a plain `[upstream…]` that fills
 * `pool` (the pool the plugin is attached to). Each problem line names its field.
 */
export function parseRegistry(text: string, pool: string | undefined): ParseResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return { ok: false, problems: [text.trim() ? `invalid JSON: ${(err as Error).message}` : 'the file is empty'] }
  }

  if (Array.isArray(json)) {
    if (!pool) return { ok: false, problems: ['(root): a plain list of upstreams needs a pool: use file() under pools.<name>.discovery, pass { pool }, or write { "pools": { "<name>": [...] } }'] }
    const list = upstreamListSchema.safeParse(json)
    return list.success ? { ok: true, snapshot: { pools: { [pool]: list.data }, routes: [] } } : { ok: false, problems: formatIssues(list.error.issues) }
  }

  const parsed = registrySchema.safeParse(json)
  if (!parsed.success) return { ok: false, problems: formatIssues(parsed.error.issues) }
  const { pools, routes } = parsed.data
  const problems = (routes ?? []).flatMap(checkRoute)
  if (problems.length) return { ok: false, problems }
  // Always `routes` (core reads a missing one as "unchanged"): the file is this source's whole truth.
  return { ok: true, snapshot: { pools, routes: routes ?? [] } }
}

function checkRoute(route: unknown, i: number): string[] {
  if (route && typeof route === 'object' && 'use' in route) {
    return [`routes[${i}].use: middleware cannot come from a file (JSON has no functions); declare this route in gateway.config.ts`]
  }
  const result = routeSchema.safeParse(route)
  return result.success ? [] : formatIssues(result.error.issues, ['routes', i])
}
