/**
 * What the dashboard shows per upstream that the gateway view does not keep: requests/s and the
 * 5xx share over the last 5 seconds, p50 and p99 latency of its last 200 requests, and since when
 * it has been in its state (seen at each render: the state it showed, and when that changed).
 */
import type { RequestRecord } from '../../core/gateway/events.ts'

const WINDOW_S = 5
const SAMPLES = 200

interface Entry {
  seconds: Float64Array
  requests: Uint32Array
  errors: Uint32Array
  latencies: Float64Array
  next: number
  filled: number
}

export interface UpstreamRates {
  rps: number
  /** Share answered 5xx or failed; null without requests. */
  errorRate: number | null
  /** Milliseconds; null before any request. */
  p50: number | null
  p99: number | null
}

export class UpstreamStats {
  private readonly entries = new Map<string, Entry>()
  private readonly states = new Map<string, { state: string; since: number }>()

  record(r: RequestRecord): void {
    if (r.pool === undefined || r.upstream === undefined) return
    const key = `${r.pool} ${r.upstream}`
    let e = this.entries.get(key)
    if (!e) this.entries.set(key, (e = { seconds: new Float64Array(WINDOW_S + 1).fill(-1), requests: new Uint32Array(WINDOW_S + 1), errors: new Uint32Array(WINDOW_S + 1), latencies: new Float64Array(SAMPLES), next: 0, filled: 0 }))
    const sec = Math.floor(Date.now() / 1000)
    const i = sec % (WINDOW_S + 1)
    if (e.seconds[i] !== sec) (e.seconds[i] = sec), (e.requests[i] = 0), (e.errors[i] = 0)
    e.requests[i]!++
    if (r.status >= 500 || r.error) e.errors[i]!++
    e.latencies[e.next] = r.durationMs
    e.next = (e.next + 1) % SAMPLES
    e.filled = Math.min(SAMPLES, e.filled + 1)
  }

  rates(pool: string, url: string, now = Date.now()): UpstreamRates {
    const e = this.entries.get(`${pool} ${url}`)
    if (!e) return { rps: 0, errorRate: null, p50: null, p99: null }
    const current = Math.floor(now / 1000)
    let requests = 0
    let errors = 0
    for (let sec = current - WINDOW_S; sec < current; sec++) {
      const i = sec % (WINDOW_S + 1)
      if (e.seconds[i] === sec) (requests += e.requests[i]!), (errors += e.errors[i]!)
    }
    const sorted = Array.from(e.latencies.subarray(0, e.filled)).sort((a, b) => a - b)
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : null)
    return { rps: requests / WINDOW_S, errorRate: requests ? errors / requests : null, p50: at(0.5), p99: at(0.99) }
  }

  /** Since when (ms since epoch) the upstream has shown `state`; the first sight counts as its start. */
  since(pool: string, id: string, state: string, now = Date.now()): number {
    const key = `${pool} ${id}`
    const seen = this.states.get(key)
    if (seen?.state === state) return seen.since
    this.states.set(key, { state, since: now })
    return now
  }

  /** An upstream left its pool: its numbers go too. */
  forget(pool: string, id: string, url: string): void {
    this.entries.delete(`${pool} ${url}`)
    this.states.delete(`${pool} ${id}`)
  }
}
