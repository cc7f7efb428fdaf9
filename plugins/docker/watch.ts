/**
 * Keeps one source's snapshot current: each container event applies at once (a stop signal takes
 * its container out before it exits), and what a full list reads; subscribing, re-listing and
 * reconnecting are the Engine follower's (engine/follow.ts). Wires the I/O (`DockerApi`) to the
 * pure parts (`ContainerTracker`, `translate`).
 */
import type { DiscoveryContext } from '../../core/types.ts'
import type { DockerApi } from './client.ts'
import { followEngine, message } from './engine/follow.ts'
import { noteReporter } from './engine/notes.ts'
import { parseEvent, WATCHED_ACTIONS } from './events.ts'
import type { ContainerFacts } from './facts.ts'
import { labelFilters, selects } from './select.ts'
import type { Replica } from './replicas.ts'
import { ContainerTracker } from './tracker.ts'
import { translate, type TranslateSettings } from './translate.ts'

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
  let listed = false // nothing is emitted before the first full list: a partial snapshot would drop containers

  const publish = () => {
    if (!listed || signal.aborted) return
    const { snapshot, skipped, held, replicas } = translate(tracker.containers(), s.translate)
    report(skipped, held)
    s.replicas?.(replicas)
    emit(snapshot) // an unchanged one is dropped by the gateway's watcher
  }

  /** Each skip (warn) and hold (info) is logged once per container and reason. */
  const report = noteReporter(
    (n) => log.warn(`docker: container ${n.name} (${n.id.slice(0, 12)}) skipped: ${n.reason}`),
    (n) => log.info(`docker: container ${n.name} (${n.id.slice(0, 12)}) held back: ${n.reason}`),
  )

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
    if (!event) return
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
  const follower = followEngine(
    {
      name: 'docker',
      where: s.where,
      what: 'containers',
      resyncMs: s.resyncMs,
      reconnectMaxMs: s.reconnectMaxMs,
      subscribe: (onEvent, onClose) => api.events({ type: ['container'], event: [...WATCHED_ACTIONS], ...(filters.length ? { label: filters } : {}) }, onEvent, onClose),
      onEvent,
      relist,
      published: () => listed,
      onStop: () => api.close(),
    },
    { signal, log },
  )
  await follower.start() // the first snapshot is out before start() resolves, when Docker answers
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
