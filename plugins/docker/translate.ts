/**
 * The pure half of the Docker plugin (Traefik's split: list containers → this function → config):
 * the containers the plugin knows → one whole snapshot. No I/O, no clock; table-tested.
 *
 * - A container that is not selected, or opted out (`<prefix>.enable=false`) is ignored.
 * - One with a bad label, no usable port or no address is **skipped** with a reason; the others
 *   are never affected.
 * - A selected container that is paused, stopping (a stop signal was sent), restarting or whose
 *   HEALTHCHECK is `starting` or `unhealthy` is **held back**: its pool and route stay (so its host
 *   answers 503, not 404, while its only container restarts) but it is not an upstream.
 * - A stopped one (created or exited) is asleep: with `keepStopped` (a scaler can wake it) it keeps
 *   its pool and route too, without a note; without, it is ignored like before scaling existed.
 * - Every container that is not skipped is one of its pool's `replicas`, whatever its state.
 * - Upstream id = container id; upstream labels: `container`, `image` and the `<prefix>.meta.*` labels.
 */
import { routeSchema } from '../../core/config/route-schema.ts'
import { formatIssues } from '../../core/config/errors.ts'
import type { DiscoverySnapshot, UpstreamInput } from '../../core/types.ts'
import { endpoint, portOf, type EndpointSettings } from './endpoint.ts'
import { stateOf, type TrackedContainer } from './facts.ts'
import { POOL_NAME, readLabels } from './labels.ts'
import { replicaOf, type Replica } from './replicas.ts'
import { selects, type Selection } from './select.ts'

export interface TranslateSettings extends EndpointSettings {
  /** The pool this source is attached to; undefined at the top level (pools come from labels). */
  pool?: string
  prefix: string
  selection: Selection
  /** Stopped containers keep their pool and route (asleep, to be woken). Default false: they are ignored. */
  keepStopped?: boolean
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
  /** Each pool's containers, whatever their state (skipped ones aside). */
  replicas: Record<string, Replica[]>
}

export function translate(containers: readonly TrackedContainer[], s: TranslateSettings): Translation {
  const pools: Record<string, UpstreamInput[]> = s.pool === undefined ? {} : { [s.pool]: [] }
  const routes = new Map<string, unknown>()
  const skipped: ContainerNote[] = []
  const held: ContainerNote[] = []
  const replicas: Record<string, Replica[]> = {}
  const ordered = [...containers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))

  for (const c of ordered) {
    const state = stateOf(c)
    const awake = state === 'running' || state === 'paused' // only these have addresses
    if ((!awake && !s.keepStopped) || !selects(s.selection, c)) continue
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
    const port = portOf(c, { port: l.port, prefix: s.prefix }, s)
    if (!port.ok) {
      skip(port.reason)
      continue
    }
    const at = awake ? endpoint(c, { port: l.port, network: l.network, prefix: s.prefix }, s) : undefined
    if (at && !at.ok) {
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
    ;(replicas[pool] ??= []).push(replicaOf(c, l, port.port))
    if (state === 'stopped') continue // asleep: the pool and route stay, nothing to note
    const why = c.paused ? 'paused' : c.restarting ? 'restarting' : c.stopping ? 'stopping' : c.health === 'starting' || c.health === 'unhealthy' ? `health: ${c.health}` : undefined
    if (why || !at) {
      held.push({ id: c.id, name: c.name, reason: why ?? state })
      continue
    }
    list.push({
      id: c.id,
      url: `${l.protocol ?? l.scheme}://${at.host}:${at.port}`, // h2c:// and h2:// name the protocol (core/pools/upstream-input.ts)
      weight: l.weight,
      labels: { ...l.meta, container: c.name, image: c.image },
    })
  }
  return { snapshot: { pools, routes: [...routes.values()] }, skipped, held, replicas }
}
