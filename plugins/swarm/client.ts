/**
 * The Docker half of the Swarm plugin: services, tasks, nodes, a service's update, and the event
 * stream, through dockerode. Nothing here decides anything; it only turns the Engine API into facts
 * (facts.ts) and raw events. The daemon must be a swarm manager: only managers list tasks and
 * update services. (dockerode speaks HTTP over the unix socket with node:http, so this file is
 * Node-API code; Bun and Deno run it through their Node compatibility.)
 */
import Docker from 'dockerode'
import { nodeFromApi, serviceFromApi, taskFromApi, type NodeFacts, type ServiceFacts, type TaskFacts } from './facts.ts'
import { readEvents, type EventStream } from './event-stream.ts'

export type { EventStream } from './event-stream.ts'

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
  const { agent } = opts
  // Without socketPath, docker-modem reads DOCKER_HOST (unix://, tcp://, + DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) or uses /var/run/docker.sock.
  const docker = new Docker({ ...(opts.socketPath ? { socketPath: opts.socketPath } : {}), agent } as Docker.DockerOptions)
  const streams = new Set<EventStream>()

  /** Each call gets a deadline: a hung daemon must not stall re-lists or a scale forever. */
  const timed = async <T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error(`Docker API call timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs)
    try {
      return await call(controller.signal)
    } finally {
      clearTimeout(timer)
    }
  }

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

    async events(filters, onEvent, onClose) {
      // The deadline covers the subscription only (until the daemon answers); the stream itself may idle forever.
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(new Error(`no answer to the events subscription within ${opts.timeoutMs} ms`)), opts.timeoutMs)
      const pending = docker.getEvents({ filters, abortSignal: controller.signal } as Docker.GetEventsOptions)
      const raw = (await pending.finally(() => clearTimeout(timer))) as NodeJS.ReadableStream & { destroy(): void }
      const stream = readEvents(raw, onEvent, (err) => {
        streams.delete(stream)
        onClose(err)
      })
      streams.add(stream)
      return stream
    },

    close() {
      for (const s of streams) s.close()
      streams.clear()
      ;(agent as { destroy?(): void }).destroy?.()
    },
  }
}
