/**
 * Where to reach a container: which port, then which address. Pure; every "cannot" is a reason
 * the caller logs when it skips the container.
 *
 * Port (a container port): the `<prefix>.port` label, else the `containerPort` option (seed 002's
 * `container_port`), else the one port the container exposes.
 *
 * Address, first that applies:
 * 1. a network named by the `<prefix>.network` label or the `network` option: the container's IP there;
 * 2. `--network host`: `hostIp` (default 127.0.0.1) and the port itself;
 * 3. the port is published (`-p 49153:8000`): the binding (`0.0.0.0`/`::` → `hostIp`) and the host port,
 *    which is what a gateway on the host can always reach;
 * 4. the container's only network with an IP (compose's `<project>_default`, or `bridge`): that IP.
 */
import type { ContainerFacts } from './facts.ts'

export interface EndpointSettings {
  containerPort?: number
  network?: string
  hostIp: string
}

export type EndpointResult = { ok: true; host: string; port: number } | { ok: false; reason: string }

/** The container port alone: all a stopped container can tell (its addresses come with a run). */
export function portOf(c: ContainerFacts, label: { port?: number; prefix: string }, s: EndpointSettings): { ok: true; port: number } | { ok: false; reason: string } {
  const port = label.port ?? s.containerPort ?? (c.exposed.length === 1 ? c.exposed[0] : undefined)
  if (port !== undefined) return { ok: true, port }
  const exposed = c.exposed.length ? `it exposes ${c.exposed.join(', ')}` : 'it exposes no port'
  return { ok: false, reason: `no port: ${exposed}; set the ${label.prefix}.port label (or the containerPort option)` }
}

export function endpoint(c: ContainerFacts, label: { port?: number; network?: string; prefix: string }, s: EndpointSettings): EndpointResult {
  const chosen = portOf(c, label, s)
  if (!chosen.ok) return chosen
  const { port } = chosen

  const attached = Object.keys(c.networks).sort()
  const named = label.network ?? s.network
  if (named !== undefined && c.networkMode !== 'host') {
    const ip = c.networks[named]
    if (ip === undefined) return { ok: false, reason: `not on network "${named}" (on: ${attached.join(', ') || 'none'})` }
    if (!ip) return { ok: false, reason: `no IP address on network "${named}"` }
    return { ok: true, host: bracket(ip), port }
  }
  if (c.networkMode === 'host') return { ok: true, host: bracket(s.hostIp), port }

  const binding = (c.published[port] ?? []).slice().sort((a, b) => Number(isV6(a.hostIp)) - Number(isV6(b.hostIp)))[0]
  if (binding) {
    const ip = binding.hostIp === '' || binding.hostIp === '0.0.0.0' || binding.hostIp === '::' ? s.hostIp : binding.hostIp
    return { ok: true, host: bracket(ip), port: binding.hostPort }
  }

  const withIp = attached.filter((n) => c.networks[n])
  if (withIp.length === 1) return { ok: true, host: bracket(c.networks[withIp[0]!]!), port }
  if (withIp.length > 1) {
    return { ok: false, reason: `port ${port} is not published and the container is on several networks (${withIp.join(', ')}); set the ${label.prefix}.network label (or the network option)` }
  }
  return { ok: false, reason: `no address: port ${port} is not published and the container has no IP (network mode "${c.networkMode}")` }
}

const isV6 = (ip: string) => ip.includes(':')
const bracket = (ip: string) => (isV6(ip) ? `[${ip}]` : ip)
