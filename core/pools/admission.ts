/**
 * What a request that finds no available upstream is told by a pool that scales (core/scale/):
 * go on (after a wake), or a refusal, or the gateway's own answer. Types only, a leaf module: the
 * pool, the proxy, the events and the scale loop all name them.
 */
import type { UpstreamRuntime } from './upstream-state.ts'

/** What a scaling pool (core/scale/pool-scale.ts) does with members and with requests that find none. */
export interface MemberGate {
  /** A new member, before any state holds it: a replica just started may not listen yet. */
  joined(up: UpstreamRuntime): void
  /** A request found no available member: wake the pool and wait, or refuse. Undefined: not asleep, the pool's own queue applies. */
  admit(req: WakingRequest): Promise<Admission | undefined>
}

/** What admission looks at: the client's path (wake.ignore), method and headers (the waiting page). */
export interface WakingRequest {
  path: string
  method: string
  header(name: string): string | undefined
}

/**
 * Whether a request that found no available upstream may go on, how long it waited for a wake and
 * what to call when it ends (`done`: its place in the wake's burst); or the gateway's own answer instead (a waiting page, the page's "awake" signal).
 */
export type Admission = { ok: true; wakeMs?: number; done?: () => void } | { ok: false; refusal?: Refusal; answer?: Response }

/** Why a scaling pool answers 503 (without one: the plain "no available upstream"). */
export interface Refusal {
  reason: 'asleep' | 'wake-timeout' | 'queue-full' | 'wake-failed'
  /** Seconds, for Retry-After. */
  retryAfter: number
  message: string
}
