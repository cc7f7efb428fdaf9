/**
 * Keeps one source's snapshot current: re-list on each event (subscribing, the periodic re-list
 * and reconnecting with backoff are the Engine follower's: ../docker/engine/follow.ts).
 *
 * Swarm sends no task events: after a service or node event (or a scale through the scaler) it
 * moves tasks one by one with no further word. So while a selected service converges (a task
 * starting or stopping, an update rolling: task-state.ts) the watcher re-reads every
 * `convergeEveryMs`: throughout a rolling update (Swarm drives it to an end) and otherwise up to
 * `convergeForMs` after the last such event (10 s after a container of ours starts on this node).
 * That is what takes a task out as soon as its desired state leaves `running`, seconds before
 * Docker stops its container; a stop signal seen on this node's containers takes it out at once.
 *
 * Wires the I/O (`SwarmApi`) to the pure parts (`SwarmTracker`, `translate`).
 */
import type { DiscoveryContext } from '../../core/types.ts'
import { followEngine } from '../docker/engine/follow.ts'
import { noteReporter } from '../docker/engine/notes.ts'
import type { SwarmApi } from './client.ts'
import { parseEvent, WATCHED_ACTIONS, WATCHED_TYPES } from './events.ts'
import { labelFilters, selects } from './select.ts'
import { converging, rolling } from './task-state.ts'
import { SwarmTracker } from './tracker.ts'
import { translate, type TranslateSettings, type Translation } from './translate.ts'

export interface WatchSettings {
  translate: TranslateSettings
  /** Full re-list interval (ms). */
  resyncMs: number
  /** Longest wait between reconnect attempts (ms); attempts start at 100 ms and double. */
  reconnectMaxMs: number
  /** Re-read interval while a service converges (ms). */
  convergeEveryMs: number
  /** How long after a service or node event, or a scale, re-reads may go on (ms); a rolling update is followed to its end. */
  convergeForMs: number
  /** Where Docker is, for log lines. */
  where: string
}

export interface Watcher {
  /** Connects and lists; resolves once the first snapshot is out (or the first attempt failed and retries are scheduled). */
  start(): Promise<void>
  /** Swarm was asked to change something: re-list now and re-read while it converges. */
  converge(): void
  /** The latest translation (which services and tasks serve each pool); undefined before the first list. */
  current(): Translation | undefined
  /** Lists now when no list succeeded yet. */
  ensureListed(): Promise<void>
}

type Ctx = Pick<DiscoveryContext, 'emit' | 'signal' | 'log'>

/**
 * After a container of ours starts (or its health changes) on this node, re-reads go on at most
 * this long: Swarm reports the task running within moments (with a HEALTHCHECK, once healthy,
 * which brings another event). A crash loop keeps them going only as long as it keeps restarting.
 */
const TASK_SETTLE_MS = 10_000

export function watcher(api: SwarmApi, s: WatchSettings, { emit, signal, log }: Ctx): Watcher {
  const sel = s.translate.selection
  const filters = labelFilters(sel)
  const tracker = new SwarmTracker()
  let latest: Translation | undefined
  let localNodeId: string | undefined

  const publish = () => {
    const view = tracker.view()
    if (!view || signal.aborted) return // nothing is emitted before the first full list: a partial snapshot would drop tasks
    latest = translate(view, s.translate)
    report(latest.skipped, latest.held)
    emit(latest.snapshot) // an unchanged one is dropped by the gateway's watcher
  }

  /** Each skip (warn) and hold (info) is logged once per service or task and reason. */
  const report = noteReporter(
    (n) => log.warn(`swarm: ${n.name} (${n.id.slice(0, 12)}) skipped: ${n.reason}`),
    (n) => log.info(`swarm: task ${n.name} (${n.id.slice(0, 12)}) out of its pool: ${n.reason}`),
  )

  const relist = async () => {
    const read = tracker.beginRead()
    localNodeId ??= (await api.self()).nodeId
    const services = (await api.services(filters)).filter((svc) => selects(sel, svc))
    const [tasks, nodes] = await Promise.all([api.tasks(services.map((svc) => svc.id)), api.nodes()])
    tracker.applyList({ services, tasks, nodes, localNodeId }, read)
    if (signal.aborted) return
    publish()
    schedulePoll()
  }

  // Re-reads while converging.
  let convergeUntil = 0
  let poll: ReturnType<typeof setTimeout> | undefined
  const unsettled = () => {
    const now = Date.now()
    for (const members of Object.values(latest?.members ?? {})) {
      for (const { service, tasks } of members) if (converging(service, tasks) && (rolling(service) || now < convergeUntil)) return true
    }
    return false
  }
  const schedulePoll = () => {
    if (poll || signal.aborted || !follower.live() || !unsettled()) return
    poll = setTimeout(() => {
      poll = undefined
      if (follower.live()) resyncLogged('re-reading tasks')
    }, s.convergeEveryMs)
  }
  /** Re-list now, and keep re-reading while converging for up to `forMs` from now. */
  const converge = (forMs = s.convergeForMs) => {
    convergeUntil = Math.max(convergeUntil, Date.now() + Math.min(forMs, s.convergeForMs))
    resyncLogged('re-listing after an event')
  }

  const onEvent = (raw: unknown) => {
    const event = parseEvent(raw)
    if (!event) return
    if (event.kind !== 'task') return converge() // a service's spec or a node changed: Swarm moves tasks next
    const changed = tracker.onTaskEvent(event) // kept for any task: a list on its way may bring its service in
    if (latest && !tracker.hasService(event.serviceId)) return // another service's container
    if (changed) publish() // stopping: out at once
    if (event.action === 'start' || event.action === 'health') converge(TASK_SETTLE_MS) // it may be reported running any moment
    else resyncLogged('re-listing after a container event')
  }

  const follower = followEngine(
    {
      name: 'swarm',
      where: s.where,
      what: 'services and tasks',
      resyncMs: s.resyncMs,
      reconnectMaxMs: s.reconnectMaxMs,
      subscribe: (onEvent, onClose) => api.events({ type: [...WATCHED_TYPES], event: [...WATCHED_ACTIONS] }, onEvent, onClose),
      onEvent,
      relist,
      published: () => latest !== undefined,
      onSubscribed: () => void (localNodeId = undefined), // a daemon that left and joined again is another node
      onConnected: schedulePoll,
      onStop: () => {
        clearTimeout(poll)
        api.close()
      },
    },
    { signal, log },
  )
  const { resync, resyncLogged } = follower

  return {
    start: () => follower.start(), // the first snapshot is out before start() resolves, when Docker answers
    converge,
    current: () => latest,
    ensureListed: async () => {
      if (!latest) await resync()
    },
  }
}
