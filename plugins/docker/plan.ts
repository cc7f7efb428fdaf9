/**
 * What bringing a pool to `n` running replicas takes, from the replicas' current states. Pure.
 *
 * Up: paused ones first (they resume in milliseconds), then stopped ones (originals before stray
 * clones, newest first), then, with `clone`, new clones for the rest.
 * Down: the running replicas above `n` go, clones first, then the most recently started (the
 * longest-running ones have warm caches and proven health). `pause` pauses them; `stop` stops them
 * and also every paused one (stop means "free the memory", which paused ones hold). Stopped clones
 * are removed: the scaler made them, and only the scaler removes anything.
 */
import { isRunning, type Replica } from './replicas.ts'
import type { ScaleAction } from '../../core/types.ts'

export interface ScalePlan {
  unpause: Replica[]
  start: Replica[]
  /** New clones to create and start. */
  clones: number
  pause: Replica[]
  stop: Replica[]
  /** Clones to remove (those in `stop` once stopped). */
  remove: Replica[]
  /** Replicas still missing after all that (nothing left to wake, cloning off). */
  short: number
}

export function plan(list: readonly Replica[], n: number, action: Pick<ScaleAction, 'how' | 'clone'>): ScalePlan {
  const out: ScalePlan = { unpause: [], start: [], clones: 0, pause: [], stop: [], remove: [], short: 0 }
  const running = list.filter(isRunning)
  const paused = list.filter((r) => r.state === 'paused')
  const stopped = list.filter((r) => r.state === 'stopped')

  if (n > running.length) {
    let need = n - running.length
    out.unpause = [...paused].sort((a, b) => b.startedAt - a.startedAt).slice(0, need)
    need -= out.unpause.length
    out.start = [...stopped].sort((a, b) => Number(a.clone) - Number(b.clone) || b.createdAt - a.createdAt).slice(0, need)
    need -= out.start.length
    out.clones = action.clone ? need : 0
    out.short = need - out.clones
    return out
  }

  const above = [...running].sort((a, b) => Number(b.clone) - Number(a.clone) || b.startedAt - a.startedAt).slice(0, running.length - n)
  if (action.how === 'pause') {
    out.pause = above
    return out
  }
  out.stop = [...above, ...paused]
  out.remove = [...out.stop, ...stopped].filter((r) => r.clone)
  return out
}

/** A plan with nothing to do. */
export const idle = (p: ScalePlan) => !p.unpause.length && !p.start.length && !p.clones && !p.pause.length && !p.stop.length && !p.remove.length
