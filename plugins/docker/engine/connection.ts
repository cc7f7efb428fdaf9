/**
 * One connection to a Docker Engine through dockerode, shared by the docker and swarm plugins:
 * every call under a deadline (a hung daemon must not stall re-lists or a scale forever), and the
 * event stream. (dockerode speaks HTTP over the unix socket with node:http, so this is Node-API
 * code; Bun and Deno run it through their Node compatibility.)
 */
import Docker from 'dockerode'
import { readEvents, type EventStream } from './event-stream.ts'

export type { EventStream } from './event-stream.ts'

export interface EngineConnection {
  readonly docker: Docker
  /** Runs `call` with an abort signal that fires after the deadline (plus `extraMs`, e.g. a stop's grace). */
  timed<T>(call: (abortSignal: AbortSignal) => Promise<T>, extraMs?: number): Promise<T>
  /** Resolves once the daemon accepted the subscription; `onClose` runs once, when the stream ends for any reason. */
  events(filters: Record<string, string[]>, onEvent: (raw: unknown) => void, onClose: (err?: Error) => void): Promise<EventStream>
  /** Closes every connection (the event streams too). */
  close(): void
}

/** `agent`: a keep-alive node:http Agent (the runtime's `io.httpAgent()`), so calls reuse the socket's connections. */
export function engineConnection(opts: { socketPath?: string; timeoutMs: number; agent: unknown }): EngineConnection {
  const { agent } = opts
  // Without socketPath, docker-modem reads DOCKER_HOST (unix://, tcp://, + DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) or uses /var/run/docker.sock.
  const docker = new Docker({ ...(opts.socketPath ? { socketPath: opts.socketPath } : {}), agent } as Docker.DockerOptions)
  const streams = new Set<EventStream>()

  const timed = async <T>(call: (abortSignal: AbortSignal) => Promise<T>, extraMs = 0): Promise<T> => {
    const controller = new AbortController()
    const ms = opts.timeoutMs + extraMs
    const timer = setTimeout(() => controller.abort(new Error(`Docker API call timed out after ${ms} ms`)), ms)
    try {
      return await call(controller.signal)
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    docker,
    timed,
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
