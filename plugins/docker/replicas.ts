/**
 * A pool's replicas as the scaler sees them (every selected, well-labelled container of the pool,
 * whatever its state), and what they add up to. Pure; the translation fills them in.
 */
import type { ReplicaState, TrackedContainer } from './facts.ts'
import type { ContainerLabels } from './labels.ts'
import { stateOf } from './facts.ts'

export interface Replica {
  id: string
  name: string
  state: ReplicaState
  /** A stop signal was sent and it has not exited yet: leaving, not running. */
  stopping: boolean
  startedAt: number
  createdAt: number
  /** The container port traffic goes to; with `--network host`, also the port it takes on the host. */
  port: number
  hostNetwork: boolean
  /** Created by the scaler from the pool's newest container; removed again when scaled in. */
  clone: boolean
  group?: string
  /** Raw `<prefix>.scale.*` labels, keys without the prefix. */
  scale: Readonly<Record<string, string>>
}

export function replicaOf(c: TrackedContainer, l: ContainerLabels, port: number): Replica {
  return {
    id: c.id,
    name: c.name,
    state: stateOf(c),
    stopping: c.stopping === true,
    startedAt: c.startedAt,
    createdAt: c.createdAt,
    port,
    hostNetwork: c.networkMode === 'host',
    clone: l.clone,
    ...(l.group !== undefined ? { group: l.group } : {}),
    scale: l.scale,
  }
}

/** Serving or on its way there: running (health starting too) or restarting by itself, and not leaving. */
export const isRunning = (r: Replica) => (r.state === 'running' || r.state === 'restarting') && !r.stopping
export const isAsleep = (r: Replica) => r.state === 'paused' || r.state === 'stopped'

export function counts(list: readonly Replica[]): { running: number; asleep: number } {
  return { running: list.filter(isRunning).length, asleep: list.filter(isAsleep).length }
}

/**
 * The pool's template: its newest original (a deploy's new version is newer than any clone made
 * from the old one), else its newest clone. Its labels are the pool's settings; clones copy it.
 */
export function newest(list: readonly Replica[]): Replica | undefined {
  const byAge = [...list].sort((a, b) => b.createdAt - a.createdAt || (a.name < b.name ? -1 : 1))
  return byAge.find((r) => !r.clone) ?? byAge[0]
}
