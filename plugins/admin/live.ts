/**
 * What the dashboard shows that the gateway view does not keep: requests and 5xx answers per pool
 * per second over the last minute (a ring of one-second slots, one increment per request), and
 * the recent pool changes, availability flips and scaling decisions.
 */
import type { RequestRecord, ScaleEvent } from '../../core/gateway/events.ts'

const SECONDS = 60

interface Ring {
  second: Float64Array
  requests: Uint32Array
  errors: Uint32Array
}

export interface PoolRates {
  /** Requests per second, averaged over the last 5 complete seconds. */
  rps: number
  /** Share of those answered 5xx (or by no upstream); null without requests. */
  errorRate: number | null
  /** Requests per second over the last minute, oldest first. */
  history: number[]
  /** 5xx answers per second over the last minute, oldest first. */
  errorHistory: number[]
}

export class RequestRates {
  private readonly pools = new Map<string, Ring>()

  record(r: RequestRecord): void {
    if (r.pool === undefined) return
    let ring = this.pools.get(r.pool)
    if (!ring) this.pools.set(r.pool, (ring = { second: new Float64Array(SECONDS + 1).fill(-1), requests: new Uint32Array(SECONDS + 1), errors: new Uint32Array(SECONDS + 1) }))
    const sec = Math.floor(Date.now() / 1000)
    const i = sec % (SECONDS + 1)
    if (ring.second[i] !== sec) {
      ring.second[i] = sec
      ring.requests[i] = 0
      ring.errors[i] = 0
    }
    ring.requests[i]!++
    if (r.status >= 500 || r.error) ring.errors[i]!++
  }

  rates(pool: string, now = Date.now()): PoolRates {
    const ring = this.pools.get(pool)
    const current = Math.floor(now / 1000)
    const history: number[] = []
    const errorHistory: number[] = []
    for (let sec = current - SECONDS; sec < current; sec++) {
      const i = sec % (SECONDS + 1)
      const hit = ring && ring.second[i] === sec
      history.push(hit ? ring.requests[i]! : 0)
      errorHistory.push(hit ? ring.errors[i]! : 0)
    }
    const requests = history.slice(-5).reduce((a, b) => a + b, 0)
    const errors = errorHistory.slice(-5).reduce((a, b) => a + b, 0)
    return { rps: requests / 5, errorRate: requests ? errors / requests : null, history, errorHistory }
  }
}

export interface Change {
  time: number
  pool: string
  /** Empty for a change of the whole pool (a scale action). */
  upstream: string
  /** `added`, `removed`, `updated`, `available` or `unavailable`; a scale action: `wake`, `ready`, `wake-failed`, `pause`, `sleep`, `out`, `in`. */
  change: string
  detail: string
}

/** A scale event as a change: replicas before and after, and why (or what failed). */
export function scaleChange(e: ScaleEvent, time = Date.now()): Change {
  const detail =
    e.error !== undefined ? `${e.from} → ${e.to} replicas failed: ${e.error}`
    : e.action === 'ready' ? `after ${e.ms ?? '?'} ms, ${e.to} running`
    : e.action === 'wake-failed' ? `no replica ready after ${e.ms ?? '?'} ms`
    : `${e.from} → ${e.to} replicas: ${e.reason}`
  return { time, pool: e.pool, upstream: '', change: e.action, detail }
}

/** The last `size` changes, newest first. */
export class RecentChanges {
  private readonly list: Change[] = []
  constructor(private readonly size = 30) {}

  add(change: Change): void {
    this.list.unshift(change)
    if (this.list.length > this.size) this.list.pop()
  }

  all(): readonly Change[] {
    return this.list
  }
}
