/**
 * How a Docker Engine source stays current, for containers (the docker plugin) and for Swarm
 * services and tasks alike: subscribe to events, then list (so nothing falls between the two);
 * re-list every `resyncMs` against missed events, one re-list at a time; when the stream breaks,
 * keep serving the last snapshot while reconnecting with backoff (from 100 ms, doubling up to
 * `reconnectMaxMs`), then re-list. What a list reads and what an event does is the caller's.
 */
import type { DiscoveryContext } from '../../../core/types.ts'
import type { EventStream } from './event-stream.ts'

export interface FollowSpec {
  /** For log lines: `docker /var/run/docker.sock: …` and what a list reads (`containers`). */
  name: string
  where: string
  what: string
  resyncMs: number
  reconnectMaxMs: number
  /** Resolves once the daemon accepted the subscription; `onClose` runs once, however it ends. */
  subscribe(onEvent: (raw: unknown) => void, onClose: (err?: Error) => void): Promise<EventStream>
  onEvent(raw: unknown): void
  /** One full list, applied and published. */
  relist(): Promise<void>
  /** Whether a snapshot is out (losing Docker is then a warning, else an error). */
  published(): boolean
  /** Each new subscription, before its list (Swarm: the daemon may have rejoined as another node). */
  onSubscribed?(): void
  /** Connected and listed (again). */
  onConnected?(): void
  /** The source stops: clear the caller's own timers. */
  onStop?(): void
}

export interface Follower {
  /** Connects and lists; resolves once the first snapshot is out, or the first attempt failed and retries are scheduled. */
  start(): Promise<void>
  /** A re-list; one at a time, and a request during one runs once more after it (it may have started too early). */
  resync(): Promise<void>
  /** A re-list whose failure is logged, not thrown (while connected; the next re-list catches up). */
  resyncLogged(what: string): void
  /** Connected, with a live event stream. */
  live(): boolean
}

type Ctx = Pick<DiscoveryContext, 'signal' | 'log'>

export function followEngine(s: FollowSpec, { signal, log }: Ctx): Follower {
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  const resync = (): Promise<void> => {
    if (!running) return (running = s.relist().finally(() => (running = undefined)))
    return (queued ??= running.catch(() => {}).then(() => ((queued = undefined), resync())))
  }
  const resyncLogged = (what: string) =>
    void resync().catch((err) => signal.aborted || down || log.warn(`${s.name} ${s.where}: ${what} failed (${message(err)}); the next re-list will catch up`))

  let stream: EventStream | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let backoff = Math.min(100, s.reconnectMaxMs)
  let down = false
  const lost = (why: string) => {
    if (down) return
    down = true
    const line = `${s.name} ${s.where}: ${why}; ${s.published() ? 'serving the last snapshot' : 'no snapshot yet'}, reconnecting (backoff up to ${s.reconnectMaxMs} ms)`
    s.published() ? log.warn(line) : log.error(line)
  }
  const retry = () => {
    if (timer || signal.aborted) return
    timer = setTimeout(() => ((timer = undefined), void connect()), backoff)
    backoff = Math.min(backoff * 2, s.reconnectMaxMs)
  }
  const onClose = (err?: Error) => {
    stream = undefined
    if (signal.aborted) return
    lost(`event stream ended${err ? ` (${message(err)})` : ''}`)
    retry()
  }
  const connect = async () => {
    if (signal.aborted) return
    try {
      stream = await s.subscribe((raw) => signal.aborted || s.onEvent(raw), onClose)
    } catch (err) {
      if (signal.aborted) return
      lost(`cannot subscribe to events (${message(err)})`)
      return retry()
    }
    if (signal.aborted) return stream.close()
    s.onSubscribed?.()
    try {
      await resync() // after subscribing: whatever changed before is in the list, whatever after arrives as events
    } catch (err) {
      if (signal.aborted) return
      lost(`cannot list ${s.what} (${message(err)})`)
      return stream?.close() // onClose retries
    }
    backoff = Math.min(100, s.reconnectMaxMs)
    if (down) log.info(`${s.name} ${s.where}: connected again, re-listed ${s.what}`)
    down = false
    s.onConnected?.()
  }
  const live = () => stream !== undefined && !down

  return {
    async start() {
      if (signal.aborted) return
      const periodic = setInterval(() => live() && resyncLogged('periodic re-list'), s.resyncMs)
      signal.addEventListener(
        'abort',
        () => {
          clearInterval(periodic)
          clearTimeout(timer)
          s.onStop?.()
        },
        { once: true },
      )
      await connect()
    },
    resync,
    resyncLogged,
    live,
  }
}

export const message = (err: unknown) => (err as Error)?.message ?? String(err)
