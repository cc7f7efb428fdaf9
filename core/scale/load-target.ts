/**
 * Scale with load: the replicas a pool needs for its in-flight requests to stay near
 * `target.inflight` per ready replica. Out when the average over the last `window` stayed above
 * the target (a burst shorter than the window does not start containers); in when it stayed
 * below half the target for the idle time (hysteresis: a pool at 60 % of its target keeps its
 * size). Never below max(min, 1) here — the last replica goes only through the idle rule. Pure.
 */
export interface LoadSample {
  at: number
  /** Requests in flight on the pool's replicas. */
  inflight: number
  /** Replicas that serve. */
  ready: number
}

export interface LoadPolicy {
  target: number
  min: number
  max: number
  /** How long load must stay above target before scaling out (ms). */
  window: number
  /** How long load must stay below half the target before scaling in (ms). */
  calm: number
}

/** The replica count to move to, or undefined to stay. `samples` are oldest first. */
export function loadDecision(samples: readonly LoadSample[], running: number, now: number, p: LoadPolicy): { replicas: number; reason: string } | undefined {
  const floor = Math.max(p.min, 1)
  const within = (ms: number) => samples.filter((s) => s.at > now - ms)
  // Enough history: the oldest sample kept is at least `ms` old.
  const covers = (list: readonly LoadSample[], ms: number) => list.length > 0 && samples[0]!.at <= now - ms
  const perReplica = (s: LoadSample) => s.inflight / Math.max(1, s.ready)

  const recent = within(p.window)
  if (covers(recent, p.window) && running < p.max) {
    const mean = recent.reduce((sum, s) => sum + perReplica(s), 0) / recent.length
    if (mean > p.target && recent.every((s) => s.ready > 0)) {
      const total = recent.reduce((sum, s) => sum + s.inflight, 0) / recent.length
      const replicas = Math.min(p.max, Math.max(running + 1, Math.ceil(total / p.target)))
      return { replicas, reason: `load: ${mean.toFixed(1)} in flight per replica over ${Math.round(p.window / 1000)}s, target ${p.target}` }
    }
  }
  const calm = within(p.calm)
  if (covers(calm, p.calm) && running > floor && calm.every((s) => perReplica(s) < p.target / 2)) {
    const peak = Math.max(...calm.map((s) => s.inflight))
    const replicas = Math.max(floor, Math.ceil(peak / p.target))
    if (replicas < running) return { replicas, reason: `load: below ${p.target / 2} in flight per replica for ${Math.round(p.calm / 1000)}s` }
  }
  return undefined
}

/** The samples a pool keeps for `loadDecision`: the last `keepMs`, oldest first. */
export class LoadWindow {
  private samples: LoadSample[] = []

  add(sample: LoadSample, keepMs: number): void {
    this.samples.push(sample)
    while (this.samples.length && this.samples[0]!.at < sample.at - keepMs) this.samples.shift()
  }

  /** The decision on what was kept; a decision starts a new window (the next one measures the new size). */
  decide(running: number, now: number, policy: LoadPolicy): { replicas: number; reason: string } | undefined {
    const decision = loadDecision(this.samples, running, now, policy)
    if (decision) this.samples = []
    return decision
  }
}
