/**
 * The pure half of the Swarm plugin: what one list read (services, tasks, nodes) → one whole
 * snapshot. No I/O, no clock; table-tested.
 *
 * - A selected service gives its pool (and its route, from labels) even with no task running, so
 *   a service scaled to 0 keeps its host answering 503, not 404, and can be woken.
 * - Each serving task (wanted and reported running, its container not stopping) is an upstream:
 *   id = task id; labels `service`, `task` (`app.2`), `image` and the `<prefix>.meta.*` labels.
 * - A running task whose desired state is no longer running (scale-in, rolling update) or whose
 *   container was sent its stop signal is **held back**: out of the pool at once, logged once.
 * - A service with a bad label, or a task with no usable port or address, is **skipped** with a
 *   reason; the others are never affected.
 */
import { routeSchema } from '../../core/config/route-schema.ts'
import { formatIssues } from '../../core/config/errors.ts'
import { POOL_NAME } from '../../core/config/schema.ts'
import type { DiscoverySnapshot, UpstreamInput } from '../../core/types.ts'
import { endpoint, type EndpointSettings, type Nodes } from './endpoint.ts'
import type { ServiceFacts, SwarmView, TrackedTask } from './facts.ts'
import { readLabels } from './labels.ts'
import { selects, type Selection } from './select.ts'
import { ended, serving } from './task-state.ts'

export interface TranslateSettings extends EndpointSettings {
  /** The pool this source is attached to; undefined at the top level (pools come from labels). */
  pool?: string
  prefix: string
  selection: Selection
}

export interface Note {
  /** The service's or the task's id. */
  id: string
  /** `app` for a service, `app.2` for a task. */
  name: string
  /** Why it was skipped (a problem to fix) or held back (a state that will pass). */
  reason: string
}

export interface Translation {
  snapshot: DiscoverySnapshot & { routes: unknown[] }
  skipped: Note[]
  held: Note[]
  /** The services behind each pool, with their tasks: what the scaler acts on. */
  members: Record<string, Member[]>
}

export interface Member {
  service: ServiceFacts
  tasks: TrackedTask[]
}

export function translate(view: SwarmView, s: TranslateSettings): Translation {
  const pools: Record<string, UpstreamInput[]> = s.pool === undefined ? {} : { [s.pool]: [] }
  const members: Translation['members'] = s.pool === undefined ? {} : { [s.pool]: [] }
  const routes = new Map<string, unknown>()
  const skipped: Note[] = []
  const held: Note[] = []
  const nodes: Nodes = { byId: new Map(view.nodes.map((n) => [n.id, n])), localId: view.localNodeId }
  const tasksOf = new Map<string, TrackedTask[]>()
  for (const t of view.tasks) tasksOf.set(t.serviceId, [...(tasksOf.get(t.serviceId) ?? []), t])
  const services = [...view.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

  for (const svc of services) {
    if (!selects(s.selection, svc)) continue
    const skip = (reason: string) => void skipped.push({ id: svc.id, name: svc.name, reason })
    const labels = readLabels(svc.labels, s.prefix)
    if (!labels.ok) {
      skip(labels.problems.join('; '))
      continue
    }
    const { value: l } = labels
    const pool = s.pool ?? l.pool ?? svc.name
    if (!POOL_NAME.test(pool)) {
      skip(`pool name "${pool}" (from its service name) is not valid; set the ${s.prefix}.pool label`)
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
    const tasks = (tasksOf.get(svc.id) ?? []).sort((a, b) => a.slot - b.slot || (a.id < b.id ? -1 : 1))
    ;(members[pool] ??= []).push({ service: svc, tasks })
    if (route !== undefined) routes.set(JSON.stringify(route), route) // services of one pool may share one route

    for (const t of tasks) {
      const name = `${svc.name}.${t.slot || t.nodeId.slice(0, 12)}`
      if (!serving(t)) {
        if (t.state === 'running' && !ended(t)) held.push({ id: t.id, name, reason: t.stopping ? 'its container is stopping' : `desired state ${t.desired}` })
        continue
      }
      const node = nodes.byId.get(t.nodeId)
      if (node && node.state !== 'ready' && t.nodeId !== nodes.localId) {
        held.push({ id: t.id, name, reason: `node ${node.hostname} is ${node.state}` })
        continue
      }
      const at = endpoint(t, { port: l.port, network: l.network, prefix: s.prefix }, nodes, s)
      if (!at.ok) {
        skipped.push({ id: t.id, name, reason: at.reason })
        continue
      }
      list.push({
        id: t.id,
        url: `${l.protocol ?? l.scheme}://${at.host}:${at.port}`, // h2c:// and h2:// name the protocol (core/pools/upstream-input.ts)
        weight: l.weight,
        labels: { ...l.meta, service: svc.name, task: name, image: t.image },
      })
    }
  }
  return { snapshot: { pools, routes: [...routes.values()] }, skipped, held, members }
}
