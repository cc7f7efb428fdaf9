/**
 * A scaling pool's `scale` event as one log line: what it did, from how many replicas to how
 * many, and why. Every event is a decision or its outcome, so each one is a line (unlike health
 * events, which need filtering into flips). A failed engine call is an error, a wake that found
 * no ready replica a warning.
 *
 * @example
 * scaleLine({ pool: 'web', action: 'sleep', from: 2, to: 0, reason: 'idle for 300s', ms: 40 })
 * // { level: 'info', text: 'pool web: asleep, 2 → 0 replicas (idle for 300s)' }
 */
import type { ScaleEvent } from '../../core/gateway/events.ts'
import type { Level } from './format.ts'

const DONE: Record<ScaleEvent['action'], string> = {
  wake: 'waking',
  ready: 'awake',
  'wake-failed': 'no replica ready',
  pause: 'paused',
  sleep: 'asleep',
  out: 'scaled out',
  in: 'scaled in',
}

export function scaleLine(e: ScaleEvent): { level: Level; text: string } {
  const head = `pool ${e.pool}:`
  const replicas = `${e.from} → ${e.to} replicas`
  if (e.error !== undefined) return { level: 'error', text: `${head} ${e.action} ${replicas} failed (${e.reason}): ${e.error}` }
  if (e.action === 'ready') return { level: 'info', text: `${head} awake after ${e.ms ?? '?'} ms, ${e.to} ${e.to === 1 ? 'replica' : 'replicas'} running` }
  if (e.action === 'wake-failed') return { level: 'warn', text: `${head} no replica ready ${e.ms ?? '?'} ms after the wake` }
  return { level: 'info', text: `${head} ${DONE[e.action]}, ${replicas} (${e.reason})` }
}
