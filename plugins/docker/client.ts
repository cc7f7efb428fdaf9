/**
 * The Docker half of the plugin: list, inspect, the scaler's actions and the event stream, over
 * the shared Engine connection (engine/connection.ts). Nothing here decides anything; it only
 * turns the Engine API into `ContainerFacts` and raw events.
 */
import Docker from 'dockerode'
import { engineConnection, type EventStream } from './engine/connection.ts'
import { factsFromInspect, type ContainerFacts } from './facts.ts'

export type { EventStream } from './engine/connection.ts'

export type ContainerInfo = Docker.ContainerInspectInfo
export type CreateSpec = Docker.ContainerCreateOptions

/** Enough of a container, from the list, to decide whether to inspect it. */
export interface ContainerSummary {
  id: string
  name: string
  image: string
  labels: Record<string, string>
  /** Docker's state: `running`, `paused`, `restarting`, `created`, `exited`, `dead`, `removing`. */
  state: string
}

export interface DockerApi {
  /** Every container, running or not, narrowed by Docker `label` filters. */
  list(labels: string[]): Promise<ContainerSummary[]>
  /** Undefined when the container is gone. */
  inspect(id: string): Promise<ContainerFacts | undefined>
  /** The whole inspect JSON (to clone a container); undefined when it is gone. */
  inspectInfo(id: string): Promise<ContainerInfo | undefined>
  /** The scaler's actions; each resolves once Docker did it. `stop` sends the stop signal and kills after `graceS` seconds. */
  start(id: string): Promise<void>
  stop(id: string, graceS: number): Promise<void>
  pause(id: string): Promise<void>
  unpause(id: string): Promise<void>
  remove(id: string): Promise<void>
  /** Creates (does not start) a container; returns its id. */
  create(name: string, spec: CreateSpec): Promise<string>
  /** Resolves once the daemon accepted the subscription; `onClose` runs once, when the stream ends for any reason. */
  events(filters: Record<string, string[]>, onEvent: (raw: unknown) => void, onClose: (err?: Error) => void): Promise<EventStream>
  /** Closes every connection (the event stream too). */
  close(): void
}

/** `agent`: a keep-alive node:http Agent (the runtime's `io.httpAgent()`), so calls reuse the socket's connections. */
export function dockerApi(opts: { socketPath?: string; timeoutMs: number; agent: unknown }): DockerApi {
  const engine = engineConnection(opts)
  const { docker, timed } = engine

  const inspectInfo = (id: string) =>
    timed(async (abortSignal) => {
      try {
        return await docker.getContainer(id).inspect({ abortSignal } as Docker.ContainerInspectOptions)
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined
        throw err
      }
    })

  const act = (graceS: number, call: (abortSignal: AbortSignal) => Promise<unknown>) =>
    timed(async (abortSignal) => {
      try {
        await call(abortSignal)
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 304) throw err
      }
    }, graceS * 1000)

  return {
    list: (labels) =>
      timed(async (abortSignal) => {
        const list = await docker.listContainers({ all: true, filters: labels.length ? { label: labels } : {}, abortSignal } as Docker.ContainerListOptions)
        return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), image: c.Image, labels: c.Labels ?? {}, state: c.State }))
      }),

    inspect: async (id) => {
      const info = await inspectInfo(id)
      return info && factsFromInspect(info)
    },
    inspectInfo,

    // An action may take a stop's grace on top of the deadline. 304 (already started/stopped) is success.
    start: (id) => act(0, (abortSignal) => docker.getContainer(id).start({ abortSignal })),
    stop: (id, graceS) => act(graceS, (abortSignal) => docker.getContainer(id).stop({ t: graceS, abortSignal })),
    pause: (id) => act(0, (abortSignal) => docker.getContainer(id).pause({ abortSignal })),
    unpause: (id) => act(0, (abortSignal) => docker.getContainer(id).unpause({ abortSignal })),
    remove: (id) => act(0, (abortSignal) => docker.getContainer(id).remove({ v: true, abortSignal })), // only clones are removed: their anonymous volumes too
    create: (name, spec) => timed(async (abortSignal) => (await docker.createContainer({ ...spec, name, abortSignal } as CreateSpec)).id),

    events: engine.events,
    close: engine.close,
  }
}
