/**
 * The Docker half of the Swarm plugin: services, tasks, nodes, a service's update, and the event
 * stream, through dockerode. Nothing here decides anything; it only turns the Engine API into facts
 * (facts.ts) and raw events. The daemon must be a swarm manager: only managers list tasks and
 * update services. The connection (deadlines, the event stream) is the docker plugin's
 * (../docker/engine/connection.ts).
 */
import Docker from 'dockerode'
import { nodeFromApi, serviceFromApi, taskFromApi, type NodeFacts, type ServiceFacts, type TaskFacts } from './facts.ts'
import { engineConnection, type EventStream } from '../docker/engine/connection.ts'

export type { EventStream } from '../docker/engine/connection.ts'

/** A service's spec as Docker returns and takes it; changed here only in `Mode.Replicated.Replicas`. */
export interface ServiceSpec {
  Mode?: { Replicated?: { Replicas?: number } } & Record<string, unknown>
  [field: string]: unknown
}

export interface SwarmApi {
  /** This daemon's node id; rejects with a clear message when the daemon is not a swarm manager. */
  self(): Promise<{ nodeId: string }>
  /** Services, narrowed by Docker `label` filters. */
  services(labels: string[]): Promise<ServiceFacts[]>
  /** Every task (history included) of these services. */
  tasks(serviceIds: string[]): Promise<TaskFacts[]>
  nodes(): Promise<NodeFacts[]>
  /** The service's spec and its version now; undefined when it is gone. */
  inspectService(id: string): Promise<{ version: number; spec: ServiceSpec } | undefined>
  /** Replaces the spec; rejects with `conflict: true` when `version` is no longer the service's. */
  updateService(id: string, version: number, spec: ServiceSpec): Promise<void>
  /** Resolves once the daemon accepted the subscription; `onClose` runs once, when the stream ends for any reason. */
  events(filters: Record<string, string[]>, onEvent: (raw: unknown) => void, onClose: (err?: Error) => void): Promise<EventStream>
  /** Closes every connection (the event stream too). */
  close(): void
}

/** A rejected update whose spec version was stale (someone else updated the service meanwhile). */
export class VersionConflict extends Error {
  readonly conflict = true
}

/** `agent`: a keep-alive node:http Agent (the runtime's `io.httpAgent()`), so calls reuse the socket's connections. */
export function swarmApi(opts: { socketPath?: string; timeoutMs: number; agent: unknown }): SwarmApi {
  const engine = engineConnection(opts)
  const { docker, timed } = engine

  return {
    self: () =>
      timed(async (abortSignal) => {
        const info = (await (docker as unknown as { info(o: object): Promise<unknown> }).info({ abortSignal })) as { Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean } }
        const swarm = info.Swarm ?? {}
        if (swarm.LocalNodeState !== 'active' || !swarm.NodeID) throw new Error(`this Docker is not in a swarm (state: ${swarm.LocalNodeState || 'unknown'})`)
        if (!swarm.ControlAvailable) throw new Error('this Docker is a swarm worker; tasks are listed by managers only, point the plugin at a manager')
        return { nodeId: swarm.NodeID }
      }),

    services: (labels) =>
      timed(async (abortSignal) => {
        const list = await docker.listServices({ filters: labels.length ? { label: labels } : {}, abortSignal } as Docker.ServiceListOptions)
        return list.map((s) => serviceFromApi(s as Parameters<typeof serviceFromApi>[0]))
      }),

    tasks: (serviceIds) =>
      timed(async (abortSignal) => {
        if (!serviceIds.length) return []
        const list = await docker.listTasks({ filters: { service: serviceIds }, abortSignal })
        return list.map(taskFromApi)
      }),

    nodes: () => timed(async (abortSignal) => (await docker.listNodes({ abortSignal } as object)).map(nodeFromApi)),

    inspectService: (id) =>
      timed(async (abortSignal) => {
        try {
          const s = (await docker.getService(id).inspect({ abortSignal } as object)) as { Version?: { Index?: number }; Spec?: ServiceSpec }
          return { version: s.Version?.Index ?? 0, spec: s.Spec ?? {} }
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return undefined
          throw err
        }
      }),

    updateService: (id, version, spec) =>
      timed(async (abortSignal) => {
        try {
          await docker.getService(id).update({ _query: { version }, _body: spec, abortSignal } as object)
        } catch (err) {
          // Docker 20.10 answers a stale version with 500 "update out of sequence"; newer ones may say 409.
          const e = err as { statusCode?: number; message?: string }
          if (e.statusCode === 409 || /out of sequence/i.test(e.message ?? '')) throw new VersionConflict(e.message ?? 'update out of sequence')
          throw err
        }
      }),

    events: engine.events,
    close: engine.close,
  }
}
