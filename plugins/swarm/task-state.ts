/**
 * Reading Swarm's task lifecycle. A task's `desired` state is the orchestrator's intent and its
 * `state` what the node reports. The intent changes first: on a scale-in or a rolling update a
 * task is set to `shutdown`/`remove` while its container still runs (Docker then waits about 2 s
 * for the overlay's gossip before it sends the stop signal). So a task serves only while both
 * say running: the intent is what takes it out of a pool ahead of its container stopping.
 */
import type { ServiceFacts, TaskFacts, TrackedTask } from './facts.ts'

/** States a task never leaves (Swarm's `TaskStateCompleted` and after). */
const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'])

export const ended = (t: TaskFacts): boolean => ENDED.has(t.state)

/** Wanted running now, or next in a rolling update ('ready' waits for the old task to stop). */
export const wanted = (t: TaskFacts): boolean => t.desired === 'running' || t.desired === 'ready'

/** Serves requests: wanted and reported running, and its container was not sent a stop signal. */
export const serving = (t: TrackedTask): boolean => t.desired === 'running' && t.state === 'running' && !t.stopping

/**
 * Replicas a service runs now, serving or still starting: its slots (replicated) or nodes (global)
 * with a wanted, unended task. Counted by slot so the old and the new task of a rolling update
 * count once.
 */
export function replicasRunning(tasks: readonly TaskFacts[]): number {
  const slots = new Set<string>()
  for (const t of tasks) if (wanted(t) && !ended(t)) slots.add(t.slot ? `slot ${t.slot}` : `node ${t.nodeId}`)
  return slots.size
}

/**
 * Whether Swarm is still converging this service: an update rolling, a task starting or
 * stopping, or fewer/more wanted tasks than replicas (the orchestrator has not acted on a new
 * spec yet). While so, the watcher re-reads tasks, since no event tells it when each one moves.
 */
export function converging(service: ServiceFacts, tasks: readonly TaskFacts[]): boolean {
  if (service.updateState === 'updating' || service.updateState === 'rollback_started') return true
  for (const t of tasks) {
    if (wanted(t) ? t.state !== 'running' : !ended(t)) return true
  }
  return service.replicas !== undefined && replicasRunning(tasks) !== service.replicas
}

/** A rolling update or rollback in progress: Swarm drives it to an end, so re-reading through it is bounded. */
export const rolling = (service: ServiceFacts): boolean => service.updateState === 'updating' || service.updateState === 'rollback_started'
