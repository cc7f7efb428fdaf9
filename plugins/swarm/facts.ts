/**
 * What the Swarm plugin knows about services, tasks and nodes, in plain shapes the pure parts
 * read. The `*FromApi` functions are the only code that knows the Engine API's JSON; tests build
 * facts by hand.
 */

export interface ServiceFacts {
  id: string
  name: string
  /** Service labels (`docker service create -l`), not the containers' (`--container-label`). */
  labels: Record<string, string>
  /** ms since the epoch; the newest service of a pool gives its scale settings. */
  createdAt: number
  image: string
  /** Replicas wanted (replicated mode); undefined for global services and jobs, which cannot be scaled. */
  replicas?: number
  mode: 'replicated' | 'global' | 'job'
  /** A rolling update's state: 'updating', 'paused', 'completed', 'rollback_started', …; '' when never updated. */
  updateState: string
  /** The signal that stops its tasks (`--stop-signal`); default "SIGTERM". */
  stopSignal: string
}

/** A task state (Swarm's lifecycle: new → … → running → complete/shutdown/failed/rejected/…). */
export type TaskState = string

export interface TaskFacts {
  /** Task id: the upstream id. */
  id: string
  serviceId: string
  /** 1… in replicated mode; 0 in global mode (a task per node). */
  slot: number
  nodeId: string
  /** What the orchestrator wants: 'running', 'ready' (a rolling update's next task), 'shutdown', 'remove', … */
  desired: TaskState
  /** What the node reports. */
  state: TaskState
  image: string
  /** Attached networks by name: the task's address there ('' when none); `host` for host networking. */
  networks: Record<string, string>
  /** Ports published in host mode (`--publish mode=host`): target port → node port. */
  published: Record<number, number>
}

export interface NodeFacts {
  id: string
  hostname: string
  /** The node's address as the swarm knows it (`Status.Addr`); may be '' or 0.0.0.0. */
  addr: string
  /** A manager's advertised address without the port, the fallback for a useless `addr`. */
  managerAddr?: string
  /** 'ready', 'down', 'unknown', 'disconnected'. */
  state: string
}

/** A task as the translation sees it: its facts plus what this node's container events said since. */
export interface TrackedTask extends TaskFacts {
  /** Its container was sent a stop signal or exited, and no list since showed it gone. */
  stopping?: boolean
}

/** Everything one list read: the selected services, their tasks, the nodes, and which node is this daemon's. */
export interface SwarmView {
  services: ServiceFacts[]
  tasks: TrackedTask[]
  nodes: NodeFacts[]
  localNodeId: string
}

// The Engine API JSON, as far as it is read here (dockerode types tasks and nodes as `any`).
interface ApiService {
  ID: string
  CreatedAt?: string
  Spec?: {
    Name?: string
    Labels?: Record<string, string>
    Mode?: { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: object; GlobalJob?: object }
    TaskTemplate?: { ContainerSpec?: { Image?: string; StopSignal?: string } }
  }
  UpdateStatus?: { State?: string }
}
interface ApiTask {
  ID: string
  ServiceID: string
  Slot?: number
  NodeID?: string
  DesiredState?: string
  Status?: { State?: string; PortStatus?: { Ports?: Array<{ Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }> } }
  Spec?: { ContainerSpec?: { Image?: string } }
  NetworksAttachments?: Array<{ Network?: { Spec?: { Name?: string } }; Addresses?: string[] }>
}
interface ApiNode {
  ID: string
  Description?: { Hostname?: string }
  Status?: { State?: string; Addr?: string }
  ManagerStatus?: { Addr?: string }
}

/** `registry/app:1@sha256:…` → `registry/app:1` (Swarm pins the digest when the CLI resolved one). */
const withoutDigest = (image: string) => image.replace(/@sha256:[0-9a-f]+$/, '')

export function serviceFromApi(s: ApiService): ServiceFacts {
  const mode = s.Spec?.Mode ?? {}
  return {
    id: s.ID,
    name: s.Spec?.Name ?? s.ID,
    labels: s.Spec?.Labels ?? {},
    createdAt: Date.parse(s.CreatedAt ?? '') || 0,
    image: withoutDigest(s.Spec?.TaskTemplate?.ContainerSpec?.Image ?? ''),
    ...(mode.Replicated ? { replicas: mode.Replicated.Replicas ?? 1 } : {}),
    mode: mode.Replicated ? 'replicated' : mode.Global ? 'global' : 'job',
    updateState: s.UpdateStatus?.State ?? '',
    stopSignal: s.Spec?.TaskTemplate?.ContainerSpec?.StopSignal || 'SIGTERM',
  }
}

export function taskFromApi(t: ApiTask): TaskFacts {
  const networks: Record<string, string> = {}
  for (const a of t.NetworksAttachments ?? []) {
    const name = a.Network?.Spec?.Name
    if (name) networks[name] = (a.Addresses?.[0] ?? '').replace(/\/\d+$/, '') // "10.0.1.5/24" → "10.0.1.5"
  }
  const published: Record<number, number> = {}
  for (const p of t.Status?.PortStatus?.Ports ?? []) {
    if ((p.Protocol ?? 'tcp') === 'tcp' && p.PublishMode === 'host' && p.TargetPort && p.PublishedPort) published[p.TargetPort] = p.PublishedPort
  }
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    slot: t.Slot ?? 0,
    nodeId: t.NodeID ?? '',
    desired: t.DesiredState ?? '',
    state: t.Status?.State ?? '',
    image: withoutDigest(t.Spec?.ContainerSpec?.Image ?? ''),
    networks,
    published,
  }
}

export function nodeFromApi(n: ApiNode): NodeFacts {
  const manager = n.ManagerStatus?.Addr?.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    addr: n.Status?.Addr ?? '',
    ...(manager ? { managerAddr: manager } : {}),
    state: n.Status?.State ?? 'unknown',
  }
}
