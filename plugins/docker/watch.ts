/**
 * Keeps one source's snapshot current: subscribe to events, then list (so nothing falls between
 * the two), apply each event at once, re-list every `resyncMs` against missed events, and when the
 * stream breaks, keep serving the last snapshot while reconnecting with backoff, then re-list.
 * Wires the I/O (`DockerApi`) to the pure parts (`ContainerTracker`, `translate`).
 */
import type { DiscoveryContext } from '../../core/types.ts'
import type { DockerApi, EventStream } from './client.ts'
import { parseEvent, WATCHED_ACTIONS } from './events.ts'
import type { ContainerFacts } from './facts.ts'
import { labelFilters, selects } from './select.ts'
import type { Replica } from './replicas.ts'
import { ContainerTracker } from './tracker.ts'
import { translate, type ContainerNote, type TranslateSettings } from './translate.ts'

export interface WatchSettings {
  translate: TranslateSettings
  /** Full re-list interval (ms). */
  resyncMs: number
  /** Longest wait between reconnect attempts (ms); attempts start at 100 ms and double. */
  reconnectMaxMs: number
  /** Where Docker is, for log lines. */
  where: string
  /** Told each pool's replicas, whatever their state, with every snapshot (the scaler's view). */
  replicas?: (replicas: Record<string, Replica[]>) => void
}

type Ctx = Pick<DiscoveryContext, 'emit' | 'signal' | 'log'>

export async function watch(api: DockerApi, s: WatchSettings, { emit, signal, log }: Ctx): Promise<void> {
  const sel = s.translate.selection
  const filters = labelFilters(sel)
  const tracker = new ContainerTracker()
  const noted = new Map<string, string>()
  let listed = false // nothing is emitted before the first full list: a partial snapshot would drop containers

  const publish = () => {
    if (!listed || signal.aborted) return
    const { snapshot, skipped, held, replicas } = translate(tracker.containers(), s.translate)
    report(skipped, held)
    s.replicas?.(replicas)
    emit(snapshot) // an unchanged one is dropped by the gateway's watcher
  }

  /** Logs each skip (warn) and hold (info) once per container and reason. */
  const report = (skipped: ContainerNote[], held: ContainerNote[]) => {
    const now = new Map<string, string>()
    for (const n of skipped) if (noteOnce(now, n, 'skip')) log.warn(`docker: container ${n.name} (${n.id.slice(0, 12)}) skipped: ${n.reason}`)
    for (const n of held) if (noteOnce(now, n, 'hold')) log.info(`docker: container ${n.name} (${n.id.slice(0, 12)}) held back: ${n.reason}`)
    noted.clear()
    for (const [id, key] of now) noted.set(id, key)
  }
  const noteOnce = (now: Map<string, string>, n: ContainerNote, kind: string) => {
    const key = `${kind}:${n.reason}`
    now.set(n.id, key)
    return noted.get(n.id) !== key
  }

  const wanted = (f: ContainerFacts | undefined) => (f && selects(sel, f) ? f : undefined)

  /** Reads one container until no event overtook the read (bounded; the re-list covers the rest). */
  const refresh = async (id: string) => {
    try {
      for (let tries = 0; tries < 5 && !signal.aborted; tries++) {
        const read = tracker.beginRead()
        const facts = await api.inspect(id).catch((err) => (tracker.abandon(read), Promise.reject(err)))
        if (tracker.applyInspect(id, wanted(facts), read)) break
      }
      publish()
    } catch (err) {
      if (!signal.aborted) log.warn(`docker: cannot inspect container ${id.slice(0, 12)} (${message(err)}); the next re-list will catch up`)
    }
  }

  const onEvent = (raw: unknown) => {
    const event = parseEvent(raw)
    if (!event || signal.aborted) return
    const read = tracker.onEvent(event)
    publish()
    if (read) void refresh(event.id)
  }

  const relist = async () => {
    const read = tracker.beginRead()
    let facts: Array<ContainerFacts | undefined>
    try {
      const summaries = await api.list(filters)
      // The list shows an image ID instead of the name once the tag moved on (a rebuilt `myapp:latest`): inspect those too.
      const candidates = summaries.filter((c) => selects(sel, c) || (sel.image !== undefined && c.image.startsWith('sha256:')))
      facts = await mapLimit(candidates, 8, (c) => api.inspect(c.id))
    } catch (err) {
      tracker.abandon(read)
      throw err
    }
    tracker.applyList(facts.map(wanted).filter((f) => f !== undefined), read)
    if (signal.aborted) return
    listed = true
    publish()
  }
  // One re-list at a time; a request during one runs once more after it (it may have started too early).
  let running: Promise<void> | undefined
  let queued: Promise<void> | undefined
  const resync = (): Promise<void> => {
    if (!running) return (running = relist().finally(() => (running = undefined)))
    return (queued ??= running.catch(() => {}).then(() => ((queued = undefined), resync())))
  }

  let stream: EventStream | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let backoff = Math.min(100, s.reconnectMaxMs)
  let down = false
  const lost = (why: string) => {
    if (down) return
    down = true
    const line = `docker ${s.where}: ${why}; ${listed ? 'serving the last snapshot' : 'no snapshot yet'}, reconnecting (backoff up to ${s.reconnectMaxMs} ms)`
    listed ? log.warn(line) : log.error(line)
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
      stream = await api.events({ type: ['container'], event: [...WATCHED_ACTIONS], ...(filters.length ? { label: filters } : {}) }, onEvent, onClose)
    } catch (err) {
      if (signal.aborted) return
      lost(`cannot subscribe to events (${message(err)})`)
      return retry()
    }
    if (signal.aborted) return stream.close()
    try {
      await resync() // after subscribing: whatever changed before is in the list, whatever after arrives as events
    } catch (err) {
      if (signal.aborted) return
      lost(`cannot list containers (${message(err)})`)
      return stream?.close() // onClose retries
    }
    backoff = Math.min(100, s.reconnectMaxMs)
    if (down) log.info(`docker ${s.where}: connected again, re-listed containers`)
    down = false
  }

  const periodic = setInterval(() => {
    if (stream && !down) resync().catch((err) => signal.aborted || log.warn(`docker ${s.where}: periodic re-list failed (${message(err)})`))
  }, s.resyncMs)
  signal.addEventListener(
    'abort',
    () => {
      clearInterval(periodic)
      clearTimeout(timer)
      api.close()
    },
    { once: true },
  )
  await connect() // the first snapshot is out before start() resolves, when Docker answers
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

const message = (err: unknown) => (err as Error)?.message ?? String(err)
