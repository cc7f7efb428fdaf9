/**
 * What a source knows of the swarm, kept current from two kinds of news: full lists (services,
 * tasks, nodes; they take time) and this node's container events (applied at once, in the order
 * they arrive). Pure state, no I/O.
 *
 * A list is the swarm as it was when the list started; an event that arrived meanwhile is newer.
 * The one thing an event changes here is a task whose container is stopping: the task is marked
 * and stays out of its pool until a list that started after the event shows it ended or gone (or
 * its container starts again). So a slow list can never bring back a task whose container got its
 * stop signal while that list was on its way.
 */
import { isStopSignal, type SwarmEvent } from './events.ts'
import type { SwarmView } from './facts.ts'
import { ended } from './task-state.ts'

/** An open read: the event counter when it started. */
export interface Read {
  readonly since: number
}

export class SwarmTracker {
  private listed: SwarmView | undefined
  /** Task id → the event counter when its container was seen stopping. */
  private readonly stopping = new Map<string, number>()
  private clock = 0

  /** Call when a list starts; hand the token to `applyList`. */
  beginRead(): Read {
    return { since: this.clock }
  }

  /** Applies a task's container event; returns true when a task left or came back. */
  onTaskEvent(e: Extract<SwarmEvent, { kind: 'task' }>): boolean {
    this.clock++
    if (e.action === 'health') return false // Swarm's verdict comes with the next list
    if (e.action === 'start') return this.stopping.delete(e.taskId)
    if (e.action === 'kill') {
      const service = this.listed?.services.find((s) => s.id === e.serviceId)
      if (!isStopSignal(e.signal, service?.stopSignal)) return false
    }
    if (this.stopping.has(e.taskId)) return false
    this.stopping.set(e.taskId, this.clock)
    return true
  }

  /** A full list's result. Marks older than the list are dropped once it shows their task ended or gone. */
  applyList(view: SwarmView, read: Read): void {
    const tasks = new Map(view.tasks.map((t) => [t.id, t]))
    for (const [id, at] of this.stopping) {
      const task = tasks.get(id)
      if (at <= read.since && (!task || ended(task))) this.stopping.delete(id)
    }
    this.listed = view
  }

  /** Whether the latest list holds this service (one of the source's). */
  hasService(id: string): boolean {
    return this.listed?.services.some((s) => s.id === id) ?? false
  }

  /** The latest list with the stopping marks applied; undefined before the first list. */
  view(): SwarmView | undefined {
    const v = this.listed
    if (!v) return undefined
    return { ...v, tasks: v.tasks.map((t) => (this.stopping.has(t.id) ? { ...t, stopping: true } : t)) }
  }
}
