/**
 * The canary's verdict over one window, against the stable version's (Flagger's checks, from the
 * gateway's own measurements): the error rate is absolute (`maxErrorRate`), latency is relative
 * (`maxLatencyRatio` of the stable p99, differences under `latencySlack` ignored).
 */
import type { ReleaseConfig } from '../config/release-schema.ts'
import type { MeasureWindow } from './window.ts'

export interface Figures {
  requests: number
  errorRate: number
  p99Ms: number
}

export interface Verdict {
  /** `wait`: fewer than minRequests on a side. */
  result: 'pass' | 'fail' | 'wait'
  reason: string
  canary: Figures
  stable: Figures
}

export function figures(w: MeasureWindow): Figures {
  return { requests: w.requests, errorRate: w.errorRate, p99Ms: w.p99() }
}

export function analyse(canary: MeasureWindow, stable: MeasureWindow, a: ReleaseConfig['analysis']): Verdict {
  const c = figures(canary)
  const s = figures(stable)
  const verdict = (result: Verdict['result'], reason: string): Verdict => ({ result, reason, canary: c, stable: s })
  // Errors fail a canary as soon as it has enough requests of its own: rollback need not wait for the stable side.
  if (c.requests >= a.minRequests && c.errorRate > a.maxErrorRate) return verdict('fail', `error rate ${pct(c.errorRate)} above ${pct(a.maxErrorRate)}`)
  if (c.requests < a.minRequests || s.requests < a.minRequests) return verdict('wait', `${c.requests}/${s.requests} requests, ${a.minRequests} needed on each side`)
  const limit = Math.max(s.p99Ms * a.maxLatencyRatio, s.p99Ms + a.latencySlack)
  if (c.p99Ms > limit) return verdict('fail', `p99 ${c.p99Ms} ms above ${round(limit)} ms (stable ${s.p99Ms} ms × ${a.maxLatencyRatio})`)
  return verdict('pass', `error rate ${pct(c.errorRate)}, p99 ${c.p99Ms} ms (stable ${s.p99Ms} ms)`)
}

const round = (n: number) => Math.round(n * 10) / 10
const pct = (r: number) => `${round(r * 100)}%`
