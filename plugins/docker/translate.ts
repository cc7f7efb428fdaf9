/**
 * The pure half of the Docker plugin (Traefik's split: list containers → this function → config):
 * the containers the plugin knows → one whole snapshot. No I/O, no clock; table-tested.
 *
 * - A container that is not running, not selected, or opted out (`<prefix>.enable=false`) is ignored.
 * - One with a bad label, no usable port or no address is **skipped** with a reason; the others
 *   are never affected.
 * - A selected container that is paused, stopping (a stop signal was sent) or whose HEALTHCHECK is
 *   `starting` or `unhealthy` is **held back**: its pool and route stay (so its host answers 503,
 *   not 404, while its only container restarts) but it is not an upstream.
 * - Upstream id = container id; upstream labels: `container`, `image` and the `<prefix>.meta.*` labels.
 */
import { routeSchema } from '../../core/config/route-schema.ts'
import { formatIssues } from '../../core/config/errors.ts'
import type { DiscoverySnapshot, UpstreamInput } from '../../core/types.ts'
import { endpoint, type EndpointSettings } from './endpoint.ts'
import type { TrackedContainer } from './facts.ts'
import { POOL_NAME, readLabels } from './labels.ts'
import { selects, type Selection } from './select.ts'

export interface TranslateSettings extends EndpointSettings {
  /** The pool this source is attached to; undefined at the top level (pools come from labels). */
  pool?: string
  prefix: string
  selection: Selection
}

export interface ContainerNote {
  id: string
  name: string
  /** Why it was skipped (a problem to fix) or held back (a state that will pass). */
  reason: string
}

export interface Translation {
  snapshot: DiscoverySnapshot & { routes: unknown[] }
  skipped: ContainerNote[]
  held: ContainerNote[]
}

export function translate(containers: readonly TrackedContainer[], s: TranslateSettings): Translation {
  const pools: Record<string, UpstreamInput[]> = s.pool === undefined ? {} : { [s.pool]: [] }
  const routes = new Map<string, unknown>()
  const skipped: ContainerNote[] = []
  const held: ContainerNote[] = []
  const ordered = [...containers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))

  for (const c of ordered) {
    if (!c.running || !selects(s.selection, c)) continue
    const skip = (reason: string) => void skipped.push({ id: c.id, name: c.name, reason })

    const labels = readLabels(c.labels, s.prefix)
    if (!labels.ok) {
      skip(labels.problems.join('; '))
      continue
    }
    const { value: l } = labels
    const pool = s.pool ?? l.pool ?? c.labels['com.docker.compose.service'] ?? c.name
    if (!POOL_NAME.test(pool)) {
      skip(`pool name "${pool}" (from its compose service or name) is not valid; set the ${s.prefix}.pool label`)
      continue
    }
    const at = endpoint(c, { port: l.port, network: l.network, prefix: s.prefix }, s)
    if (!at.ok) {
      skip(at.reason)
      continue
    }
    let route: unknown
    if (l.route) {
      route = { ...l.route, pool }
      const parsed = routeSchema.safeParse(route)
      if (!parsed.success) {
        skip(formatIssues(parsed.error.issues, [s.prefix]).join('; '))
        continue
      }
    }

    const list = (pools[pool] ??= [])
    if (route !== undefined) routes.set(JSON.stringify(route), route) // replicas share one route
    const why = c.paused ? 'paused' : c.stopping ? 'stopping' : c.health === 'starting' || c.health === 'unhealthy' ? `health: ${c.health}` : undefined
    if (why) {
      held.push({ id: c.id, name: c.name, reason: why })
      continue
    }
    list.push({
      id: c.id,
      url: `${l.scheme}://${at.host}:${at.port}`,
      weight: l.weight,
      labels: { ...l.meta, container: c.name, image: c.image },
    })
  }
  return { snapshot: { pools, routes: [...routes.values()] }, skipped, held }
}
