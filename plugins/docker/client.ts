/**
 * The Docker half of the plugin: list, inspect and the event stream, through dockerode. Nothing
 * here decides anything; it only turns the Engine API into `ContainerFacts` and raw events.
 * (dockerode speaks HTTP over the unix socket with node:http, so this file is Node-API code; Bun
 * and Deno run it through their Node compatibility.)
 */
import Docker from 'dockerode'
import { factsFromInspect, type ContainerFacts } from './facts.ts'

/** Enough of a container, from the list, to decide whether to inspect it. */
export interface ContainerSummary {
  id: string
  name: string
  image: string
  labels: Record<string, string>
}

export interface EventStream {
  close(): void
}

export interface DockerApi {
  /** Running and paused containers, narrowed by Docker `label` filters. */
  list(labels: string[]): Promise<ContainerSummary[]>
  /** Undefined when the container is gone. */
  inspect(id: string): Promise<ContainerFacts | undefined>
  /** Resolves once the daemon accepted the subscription; `onClose` runs once, when the stream ends for any reason. */
  events(filters: Record<string, string[]>, onEvent: (raw: unknown) => void, onClose: (err?: Error) => void): Promise<EventStream>
  /** Closes every connection (the event stream too). */
  close(): void
}

/** `agent`: a keep-alive node:http Agent (the runtime's `io.httpAgent()`), so calls reuse the socket's connections. */
export function dockerApi(opts: { socketPath?: string; timeoutMs: number; agent: unknown }): DockerApi {
  const { agent } = opts
  // Without socketPath, docker-modem reads DOCKER_HOST (unix://, tcp://, + DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) or uses /var/run/docker.sock.
  const docker = new Docker({ ...(opts.socketPath ? { socketPath: opts.socketPath } : {}), agent } as Docker.DockerOptions)
  const streams = new Set<NodeJS.ReadableStream & { destroy(): void }>()

  /** Each call gets a deadline: a hung daemon must not stall re-lists forever. */
  const timed = async <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error(`Docker API call timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs)
    try {
      return await call(controller.signal)
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    list: (labels) =>
      timed(async (abortSignal) => {
        const list = await docker.listContainers({ all: false, filters: labels.length ? { label: labels } : {}, abortSignal } as Docker.ContainerListOptions)
        return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), image: c.Image, labels: c.Labels ?? {} }))
      }),

    inspect: (id) =>
      timed(async (abortSignal) => {
        try {
          return factsFromInspect(await docker.getContainer(id).inspect({ abortSignal } as Docker.ContainerInspectOptions))
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return undefined
          throw err
        }
      }),

    async events(filters, onEvent, onClose) {
      // The deadline covers the subscription only (until the daemon answers); the stream itself may idle forever.
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(new Error(`no answer to the events subscription within ${opts.timeoutMs} ms`)), opts.timeoutMs)
      const pending = docker.getEvents({ filters, abortSignal: controller.signal } as Docker.GetEventsOptions)
      const stream = (await pending.finally(() => clearTimeout(timer))) as NodeJS.ReadableStream & { destroy(): void }
      streams.add(stream)
      let buffered = ''
      let closed = false
      const end = (err?: Error) => {
        if (closed) return
        closed = true
        streams.delete(stream)
        stream.destroy()
        onClose(err)
      }
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8')
        let nl: number
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim()
          buffered = buffered.slice(nl + 1)
          if (!line) continue
          let event: unknown
          try {
            event = JSON.parse(line)
          } catch {
            continue // not an event; the periodic re-list covers anything lost
          }
          onEvent(event)
        }
      })
      stream.once('error', (err: Error) => end(err))
      stream.once('end', () => end())
      stream.once('close', () => end())
      return { close: () => end() }
    },

    close() {
      for (const s of streams) s.destroy()
      streams.clear()
      ;(agent as { destroy?(): void }).destroy?.()
    },
  }
}
