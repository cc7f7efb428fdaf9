/**
 * What a discovery source's engine can do for the pools it reports (Docker: start, stop, pause
 * and clone containers; Swarm: scale a service). The core decides *when* (idle, a request to an
 * asleep pool, load above its target: core/scale/); the scaler only acts, and the source's next
 * snapshots show the result. A source that can act hands its scaler over once at start
 * (`DiscoveryContext.scaler`); a pool without one never sleeps and never scales.
 */
export interface ScaleAction {
  /** How replicas above the target stop: 'pause' keeps their memory and wakes in milliseconds; 'stop' frees it. */
  how: 'stop' | 'pause'
  /** Plain Docker: when too few stopped replicas exist, create more from the pool's newest container (removed again when scaled in). */
  clone: boolean
  /** Why, for the engine's log and the gateway's (idle, wake, load above target, …). */
  reason: string
}

export interface Scaler {
  /** Replicas of `pool` that do not serve but can be woken: stopped or paused containers; a Swarm service at 0 replicas counts 1. */
  asleep(pool: string): number
  /** Replicas of `pool` the engine runs now, serving or still starting. */
  running(pool: string): number
  /**
   * Scale settings written on the pool's replicas (`gatehouse.scale.min=0` → `{ min: '0' }`), raw,
   * from its newest replica; the core validates them with the `scale` schema. A pool's `scale` in
   * the config wins over them.
   */
  settings?(pool: string): Readonly<Record<string, string>> | undefined
  /** Brings `pool` to `replicas` running ones (up: unpause, start, clone; down: stop or pause). Resolves once the engine acted. */
  scale(pool: string, replicas: number, action: ScaleAction): Promise<void>
}
