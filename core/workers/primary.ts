/**
 * The primary's side of `workers`: starts N worker processes (each serves the listen port, shared
 * by SO_REUSEPORT), feeds them the primary's discovery snapshots and health verdicts (feed.ts),
 * hands their finished requests to the primary's observers (one metrics registry, one access log),
 * restarts a worker that dies (with backoff; the others keep serving), and reloads and stops them
 * all. The first worker starts alone, so a port that cannot be bound fails the start.
 */
import type { Gateway } from '../gateway/create-gateway.ts'
import type { Logger } from '../types.ts'
import type { WorkerProcess, WorkerSpawner } from '../runtime/types.ts'
import { FeedPublisher, type FeedMessage, type UpstreamVerdict } from './feed.ts'
import { messageType, type PrimaryMessage, type WorkerMessage } from './messages.ts'

const BACKOFF_MIN_MS = 100
const BACKOFF_MAX_MS = 10_000
/** A worker that ran this long before dying is restarted at once (the backoff starts over). */
const STABLE_MS = 10_000

export interface WorkersDeps {
  spawner: WorkerSpawner
  count: number
  /** The CLI arguments that start a worker (`__worker --config FILE …`). */
  args: readonly string[]
  gateway: Gateway
  log: Logger
  /** The listen port; 0: the one the first worker got. */
  port: number
}

interface Slot {
  index: number
  proc?: WorkerProcess
  /** Has had its start message: takes feed messages. */
  fed: boolean
  startedAt: number
  backoffMs: number
  reloads: Map<number, (error?: string) => void>
}

export class Workers {
  private readonly slots: Slot[]
  private readonly feed: FeedPublisher
  private port: number
  private stopping = false
  private readonly unsubscribe: (() => void)[] = []

  constructor(private readonly deps: WorkersDeps) {
    this.port = deps.port
    this.slots = Array.from({ length: deps.count }, (_, index) => ({ index, fed: false, startedAt: 0, backoffMs: BACKOFF_MIN_MS, reloads: new Map() }))
    this.feed = new FeedPublisher(() => verdicts(deps.gateway))
  }

  /** Subscribes to the primary's sources and health; call before `gateway.start()` so the first snapshots are in the feed. */
  follow(): void {
    const { gateway } = this.deps
    this.unsubscribe.push(
      gateway.watcher.onSource((source, snapshot, forgotten) => this.broadcast(forgotten ? this.feed.forget(source) : this.feed.source(source, snapshot))),
      gateway.events.on('health', (e) => this.broadcast(this.feed.verdict({ pool: e.pool, id: e.id, healthy: e.healthy, disabled: e.disabled, ejectedUntil: e.ejectedUntil }))),
    )
  }

  /** Starts every worker: the first alone (its port is every other's), then the rest. Resolves with the port they serve. */
  async start(): Promise<number> {
    const [first, ...rest] = this.slots
    await this.spawn(first!)
    await Promise.all(rest.map((slot) => this.spawn(slot)))
    return this.port
  }

  /** Process ids of the running workers. */
  pids(): number[] {
    return this.slots.flatMap((s) => (s.proc ? [s.proc.pid] : []))
  }

  /** Every worker loads the config file again; resolves when all have answered (a worker's failure is logged). */
  async reload(): Promise<void> {
    const records = this.deps.gateway.events.has('request')
    await Promise.all(
      this.slots.map((slot) => {
        const proc = slot.proc
        if (!proc || !slot.fed) return
        return new Promise<void>((resolve) => {
          slot.reloads.set(proc.pid, (error) => {
            if (error) this.deps.log.error(`worker ${slot.index + 1} (pid ${proc.pid}): reload failed, it keeps its config`, { error })
            resolve()
          })
          proc.onExit(() => resolve())
          this.send(proc, { t: 'reload', records })
        })
      }),
    )
  }

  /** Every worker drains within `graceMs` and exits (killed 2 s past it); resolves when all have exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true
    for (const off of this.unsubscribe) off()
    await Promise.all(
      this.slots.map((slot) => {
        const proc = slot.proc
        if (!proc) return
        return new Promise<void>((resolve) => {
          const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs + 2_000)
          proc.onExit(() => {
            clearTimeout(kill)
            resolve()
          })
          this.send(proc, { t: 'stop', graceMs })
        })
      }),
    )
  }

  /** `restart`: a worker that exits before it serves is tried again (with backoff) instead of failing the start. */
  private spawn(slot: Slot, restart = false): Promise<void> {
    const { spawner, args, log, gateway } = this.deps
    const proc = spawner.spawn(args)
    slot.proc = proc
    slot.fed = false
    slot.startedAt = Date.now()
    return new Promise<void>((resolve, reject) => {
      let ready = false
      proc.onMessage((raw) => {
        const m = raw as WorkerMessage
        switch (messageType(m)) {
          case 'hello':
            this.send(proc, { t: 'start', port: this.port, records: gateway.events.has('request'), sync: this.feed.sync() })
            slot.fed = true
            return
          case 'ready':
            ready = true
            if (this.port === 0) this.port = (m as { port: number }).port
            log.info(`worker ${slot.index + 1} (pid ${proc.pid}) serving on port ${(m as { port: number }).port}`)
            return resolve()
          case 'requests':
            for (const r of (m as Extract<WorkerMessage, { t: 'requests' }>).records) gateway.events.emit('request', { ...r, worker: proc.pid })
            return
          case 'resync':
            return this.send(proc, this.feed.sync())
          case 'reloaded': {
            const done = slot.reloads.get(proc.pid)
            slot.reloads.delete(proc.pid)
            return done?.((m as { error?: string }).error)
          }
        }
      })
      proc.onExit((code, signal) => {
        slot.fed = false
        if (slot.proc === proc) slot.proc = undefined
        if (!ready) reject(new Error(`worker ${slot.index + 1} exited before it served (${signal ?? `code ${code}`})`))
        if ((!ready && !restart) || this.stopping) return
        const ranMs = Date.now() - slot.startedAt
        if (ranMs >= STABLE_MS) slot.backoffMs = BACKOFF_MIN_MS
        const wait = ranMs >= STABLE_MS ? 0 : slot.backoffMs
        slot.backoffMs = Math.min(BACKOFF_MAX_MS, slot.backoffMs * 2)
        log.error(`worker ${slot.index + 1} (pid ${proc.pid}) died (${signal ?? `code ${code}`}); the others keep serving, restarting it in ${wait} ms`)
        setTimeout(() => {
          if (!this.stopping) this.spawn(slot, true).catch(() => {}) // its exit schedules the next try
        }, wait)
      })
    })
  }

  private broadcast(m: FeedMessage): void {
    for (const slot of this.slots) if (slot.fed && slot.proc) this.send(slot.proc, m)
  }

  private send(proc: WorkerProcess, m: PrimaryMessage | FeedMessage): void {
    proc.send(m)
  }
}

/** Every upstream's verdict in the primary now. */
function verdicts(gateway: Gateway): UpstreamVerdict[] {
  const out: UpstreamVerdict[] = []
  for (const members of gateway.store.all()) {
    for (const up of members.list()) out.push({ pool: members.name, id: up.id, healthy: up.healthy, disabled: up.disabled, ejectedUntil: up.ejectedUntil })
  }
  return out
}
