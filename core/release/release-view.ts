/** What the admin API, metrics, dashboard and other gateways see of a pool's release (pool-release.ts). */
import type { ReleaseConfig } from '../config/release-schema.ts'
import type { ReleaseEvent } from '../gateway/events.ts'

export type VersionRole = 'stable' | 'canary' | 'waiting' | 'failed' | 'drained' | 'other'

/** What the admin API, metrics and dashboard show of a release. */
export interface ReleaseView {
  by: string
  strategy: ReleaseConfig['strategy']
  stable?: string
  candidate?: string
  /** The canary's step (index into `steps`), when one runs. */
  step?: number
  steps: number[]
  paused: boolean
  /** Another gateway decides this release (coordination); this one follows its state. */
  following: boolean
  weights: Record<string, number>
  versions: { name: string; role: VersionRole; upstreams: number; available: number; weight: number; requests: number; errorRate: number; p99Ms: number }[]
  /** The last decision and its figures. */
  last?: { time: number; action: ReleaseEvent['action']; version: string; reason: string; figures?: ReleaseEvent['figures'] }
  /** Blue-green: the version traffic can be switched back to (abort), and until when. */
  previous?: { version: string; until: number }
  /** Shadow copies: sent, skipped (too many in flight), in flight; whether the new version's copies passed. */
  mirror?: { percent: number; sent: number; skipped: number; inflight: number; passed: boolean }
}

/** What gateways share of a rollout (coordination): everything a decision depends on, not the measurements. */
export interface SharedRelease {
  stable?: string
  candidate?: string
  step: number
  stepStarted: number
  paused: boolean
  weights: [string, number][]
  settled: [string, 'failed' | 'drained'][]
  previous?: { version: string; until: number }
  last?: ReleaseView['last']
  mirrorPassed: boolean
  mirrorStarted: number
}

export type ActionResult = { ok: true; message: string } | { ok: false; message: string }
