/**
 * Where to reach one task: which port, then which address. Pure; every "cannot" is a reason the
 * caller logs when it skips the task.
 *
 * Port: the `<prefix>.port` label evaluated for the task (`180{{.Task.Slot}}`), else the `port`
 * option, else the one port the task publishes in host mode.
 *
 * Address, first that applies:
 * 1. a network named by the `<prefix>.network` label or the `network` option: the task's IP there
 *    (an overlay address: the gateway must run on that network, as a service itself);
 * 2. host networking (`--network host`): its node's address and the port itself;
 * 3. the port published in host mode (`--publish mode=host,target=8000,published=9000`): its
 *    node's address and the published port. Ports published through the routing mesh (ingress)
 *    are not used: the mesh balances by itself, so they say nothing about one task;
 * 4. the task's only network with an address, `ingress` aside.
 *
 * A node's address: `hostIp` (default 127.0.0.1) for the node of the Docker the plugin talks to,
 * or when the swarm has one node; else the node's `Status.Addr` (its manager address when that is
 * 0.0.0.0).
 */
import type { NodeFacts, TaskFacts } from './facts.ts'
import { portFor } from './port-template.ts'

export interface EndpointSettings {
  /** The `port` option: the tasks' port when the service has no port label. */
  port?: number
  network?: string
  hostIp: string
}

export interface Nodes {
  byId: ReadonlyMap<string, NodeFacts>
  localId: string
}

export type EndpointResult = { ok: true; host: string; port: number } | { ok: false; reason: string }

export function endpoint(t: TaskFacts, label: { port?: string; network?: string; prefix: string }, nodes: Nodes, s: EndpointSettings): EndpointResult {
  const publishedTargets = Object.keys(t.published).map(Number)
  let port: number | undefined
  if (label.port !== undefined) {
    const evaluated = portFor(label.port, t.slot ? String(t.slot) : t.nodeId)
    if (!evaluated.ok) return evaluated
    port = evaluated.port
  } else port = s.port ?? (publishedTargets.length === 1 ? publishedTargets[0] : undefined)
  if (port === undefined) return { ok: false, reason: `no port: set the ${label.prefix}.port label (or the port option)` }

  const attached = Object.keys(t.networks).sort()
  const named = label.network ?? s.network
  const host = 'host' in t.networks
  if (named !== undefined && !host) {
    const ip = t.networks[named]
    if (ip === undefined) return { ok: false, reason: `not on network "${named}" (on: ${attached.join(', ') || 'none'})` }
    if (!ip) return { ok: false, reason: `no IP address on network "${named}"` }
    return { ok: true, host: bracket(ip), port }
  }
  if (host) return at(nodeAddress(t.nodeId, nodes, s.hostIp), port)
  const published = t.published[port]
  if (published !== undefined) return at(nodeAddress(t.nodeId, nodes, s.hostIp), published)

  const withIp = attached.filter((n) => n !== 'ingress' && t.networks[n])
  if (withIp.length === 1) return { ok: true, host: bracket(t.networks[withIp[0]!]!), port }
  if (withIp.length > 1) return { ok: false, reason: `on several networks (${withIp.join(', ')}); set the ${label.prefix}.network label (or the network option)` }
  return { ok: false, reason: `no address: not on the host network, port ${port} not published in host mode, and on no network with an address` }
}

/** The address of a node as the gateway reaches it, or why there is none. */
export function nodeAddress(nodeId: string, nodes: Nodes, hostIp: string): { ok: true; ip: string } | { ok: false; reason: string } {
  if (nodeId === nodes.localId || nodes.byId.size <= 1) return { ok: true, ip: hostIp }
  const node = nodes.byId.get(nodeId)
  if (!node) return { ok: false, reason: `its node ${nodeId.slice(0, 12)} is not known (yet)` }
  const ip = node.addr && node.addr !== '0.0.0.0' && node.addr !== '::' ? node.addr : node.managerAddr
  return ip ? { ok: true, ip } : { ok: false, reason: `node ${node.hostname} has no address (Status.Addr ${node.addr || 'empty'})` }
}

const at = (node: ReturnType<typeof nodeAddress>, port: number): EndpointResult => (node.ok ? { ok: true, host: bracket(node.ip), port } : node)
const bracket = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip)
