/**
 * Turns the gateway's `health` events into availability flips with a reason. Health events fire
 * on every verdict, ejection, drain or operator switch; an observer that reports changes wants
 * only the moments an upstream stops or starts taking requests, and why.
 *
 * @example
 * const flips = healthFlips(gateway, signal)
 * gateway.events.on('health', (e) => { const f = flips(e); if (f) log.warn(f.text) })
 */
import type { HealthChange } from '../../core/gateway/events.ts'
import type { GatewayView } from '../../core/types.ts'

export interface HealthFlip {
  pool: string
  upstream: string
  available: boolean
  /** Why it became unavailable: `unhealthy`, `ejected`, `disabled` (by an operator), or `draining` (it is leaving the pool). */
  reason?: 'unhealthy' | 'ejected' | 'disabled' | 'draining'
  /** `pool web: upstream http://10.0.0.5:8000 unavailable (failing health checks)`. */
  text: string
}

export function healthFlips(view: GatewayView, signal: AbortSignal): (e: HealthChange) => HealthFlip | undefined {
  const available = new Map<string, boolean>()
  const off = view.events.on('pool', (e) => void (e.change === 'removed' && available.delete(`${e.pool} ${e.id}`)))
  signal.addEventListener('abort', off)
  return (e) => {
    const key = `${e.pool} ${e.id}`
    if ((available.get(key) ?? true) === e.available) return undefined
    available.set(key, e.available)
    const head = `pool ${e.pool}: upstream ${e.upstream}`
    if (e.available) return { pool: e.pool, upstream: e.upstream, available: true, text: `${head} available again` }
    const reason = !e.healthy ? 'unhealthy' : e.ejectedUntil > Date.now() ? 'ejected' : e.disabled ? 'disabled' : 'draining'
    const why =
      reason === 'unhealthy' ? 'failing health checks'
      : reason === 'ejected' ? `ejected by passive health until ${new Date(e.ejectedUntil).toISOString()}`
      : reason === 'disabled' ? 'disabled by an operator'
      : 'leaving the pool'
    return { pool: e.pool, upstream: e.upstream, available: false, reason, text: `${head} unavailable (${why})` }
  }
}
