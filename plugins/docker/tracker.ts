/**
 * The containers a source knows, kept current from two kinds of news: events (applied at once,
 * synchronously, in the order they arrive) and reads (an inspect or a full list, which take time
 * and may be overtaken by events). Pure state, no I/O. Stopped and paused containers are known
 * too (a pool's asleep replicas); only a removed one is forgotten.
 *
 * Ordering rule: every event bumps a counter and stamps its container. A read (`beginRead`)
 * records the counter when it starts; its result is applied only to containers no event touched
 * meanwhile (for a single inspect, `applyInspect` returns false and the caller reads again). So a
 * slow read can never undo a newer event: e.g. an inspect that saw "running" cannot bring back a
 * container whose `kill`/`die` arrived while the inspect was on its way. Stamps are kept while a
 * read that started before them is still open, then dropped.
 */
import { isStopSignal, type ContainerEvent } from './events.ts'
import type { ContainerFacts, TrackedContainer } from './facts.ts'

/** An open read: the event counter when it started. */
export interface Read {
  readonly since: number
}

export class ContainerTracker {
  private readonly facts = new Map<string, ContainerFacts>()
  /** Containers sent a stop signal: the event's time (ms), to tell the run it was for from a later one. */
  private readonly stopping = new Map<string, number>()
  private readonly touched = new Map<string, number>()
  private clock = 0
  private readonly open = new Set<Read>()

  /** Call when a read starts; hand the token to `applyInspect` / `applyList`, or to `abandon` when it failed. */
  beginRead(): Read {
    const read = { since: this.clock }
    this.open.add(read)
    return read
  }

  abandon(read: Read): void {
    this.open.delete(read)
    this.prune()
  }

  /** Applies an event; returns true when the container must be (re-)inspected. */
  onEvent(e: ContainerEvent): boolean {
    this.touched.set(e.id, ++this.clock)
    const known = this.facts.get(e.id)
    switch (e.action) {
      case 'create':
        return true
      case 'start':
        this.stopping.delete(e.id)
        return true
      case 'unpause':
      case 'pause':
        if (known) known.paused = e.action === 'pause'
        return e.action === 'unpause' // refresh health, which may have changed while paused
      case 'kill':
        if (isStopSignal(e.signal, known?.stopSignal)) this.stopping.set(e.id, e.at)
        return false
      case 'die':
      case 'stop':
        if (known) Object.assign(known, { running: false, paused: false })
        this.stopping.delete(e.id)
        return e.action === 'die' // a restart policy may be bringing it back: ask
      case 'destroy':
        this.forget(e.id)
        return false
      case 'health':
        if (known) known.health = e.health
        return !known
      case 'rename':
        return true
    }
  }

  /** An inspect's result (undefined: gone or not selected). False: overtaken, read again. */
  applyInspect(id: string, facts: ContainerFacts | undefined, read: Read): boolean {
    const fresh = (this.touched.get(id) ?? 0) <= read.since
    if (fresh) this.set(id, facts)
    this.abandon(read)
    return fresh
  }

  /** A full list's result (selected containers, running or not). Containers touched meanwhile keep their state. */
  applyList(list: readonly ContainerFacts[], read: Read): void {
    const listed = new Map(list.map((c) => [c.id, c]))
    const ids = new Set([...this.facts.keys(), ...this.stopping.keys(), ...listed.keys()])
    for (const id of ids) if ((this.touched.get(id) ?? 0) <= read.since) this.set(id, listed.get(id))
    this.abandon(read)
  }

  containers(): TrackedContainer[] {
    return [...this.facts.values()].map((c) => (this.stopping.has(c.id) ? { ...c, stopping: true } : c))
  }

  /** Stamps no open read can be overtaken by any more. */
  private prune(): void {
    let oldest = this.clock
    for (const r of this.open) oldest = Math.min(oldest, r.since)
    for (const [id, at] of this.touched) if (at <= oldest) this.touched.delete(id)
  }

  private set(id: string, facts: ContainerFacts | undefined): void {
    if (!facts) return this.forget(id)
    this.facts.set(id, facts)
    const at = this.stopping.get(id)
    if (at !== undefined && (!facts.running || facts.startedAt > at)) this.stopping.delete(id) // the run the signal was for ended
  }

  private forget(id: string): void {
    this.facts.delete(id)
    this.stopping.delete(id)
  }
}
