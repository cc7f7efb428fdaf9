/**
 * What the Docker plugin knows about one container, in a plain shape the pure translation reads.
 * `factsFromInspect` is the only code that knows Docker's inspect JSON; tests build facts by hand.
 */
import type { ContainerInspectInfo } from 'dockerode'

/** A container's HEALTHCHECK verdict; absent when the image and the run define no HEALTHCHECK. */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy'

export interface ContainerFacts {
  /** Full container id: the upstream id. */
  id: string
  /** Name without Docker's leading slash. */
  name: string
  /** The image as the container was created from it (`myapp`, `registry:5000/team/app:1.2`). */
  image: string
  labels: Record<string, string>
  /** Running or paused (Docker lists both as up); not while restarting. Neither: stopped (created or exited), asleep. */
  running: boolean
  paused: boolean
  /** Docker's restart policy is bringing it back (between a crash and the next run): not asleep, not serving. */
  restarting: boolean
  /** When the current (or last) run started, in ms since the epoch; tells a restart from the run a `kill` was for. */
  startedAt: number
  /** When the container was created, in ms since the epoch: the newest of a pool is its template (settings, clones). */
  createdAt: number
  health?: HealthStatus
  /** The signal `docker stop` sends (Dockerfile STOPSIGNAL); default "SIGTERM". */
  stopSignal: string
  /** `host`, `bridge`, `none`, `default`, a network name, or `container:<id>`. */
  networkMode: string
  /** Attached networks and the container's IPv4 (or IPv6) address on each; '' when it has none. */
  networks: Record<string, string>
  /** Exposed container ports (TCP), sorted. */
  exposed: number[]
  /** Host bindings of published container ports (TCP), by container port. */
  published: Record<number, Array<{ hostIp: string; hostPort: number }>>
}

/** A container as the translation sees it: its facts plus what the event stream said since. */
export interface TrackedContainer extends ContainerFacts {
  /** Set when a stop signal was sent (`kill` event) and the container has not exited yet. */
  stopping?: boolean
}

export function factsFromInspect(info: ContainerInspectInfo): ContainerFacts {
  const state = info.State
  const health = (state.Health?.Status ?? 'none') as HealthStatus | 'none' | ''
  const ports = (info.NetworkSettings?.Ports ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>
  const exposed = new Set<number>()
  const published: ContainerFacts['published'] = {}
  for (const key of [...Object.keys(info.Config?.ExposedPorts ?? {}), ...Object.keys(ports)]) {
    const [port, proto = 'tcp'] = key.split('/')
    if (proto === 'tcp' && Number(port) > 0) exposed.add(Number(port))
  }
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto = 'tcp'] = key.split('/')
    if (proto !== 'tcp' || !bindings?.length) continue
    published[Number(port)] = bindings.map((b) => ({ hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort) })).filter((b) => b.hostPort > 0)
  }
  const networks: Record<string, string> = {}
  for (const [name, net] of Object.entries(info.NetworkSettings?.Networks ?? {})) networks[name] = net.IPAddress || net.GlobalIPv6Address || ''
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config?.Image ?? '',
    labels: info.Config?.Labels ?? {},
    running: (state.Running && !state.Restarting) || state.Paused,
    paused: state.Paused,
    restarting: state.Restarting,
    startedAt: Date.parse(state.StartedAt) || 0,
    createdAt: Date.parse(info.Created) || 0,
    ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { health } : {}),
    stopSignal: (info.Config as { StopSignal?: string } | undefined)?.StopSignal || 'SIGTERM',
    networkMode: info.HostConfig?.NetworkMode ?? 'default',
    networks,
    exposed: [...exposed].sort((a, b) => a - b),
    published,
  }
}

/** What a container is to its pool: running (serving, or starting), asleep (paused or stopped: can be woken), or restarting by itself. */
export type ReplicaState = 'running' | 'restarting' | 'paused' | 'stopped'

export function stateOf(c: Pick<ContainerFacts, 'running' | 'paused' | 'restarting'>): ReplicaState {
  return c.paused ? 'paused' : c.restarting ? 'restarting' : c.running ? 'running' : 'stopped'
}
