/** What an upstream is to sources, balancers and health plugins (a leaf module: it imports nothing). */

/** One address that can serve a pool. `id` is stable across snapshots (container id, etcd key, url). */
export interface Upstream {
  readonly id: string
  readonly url: URL
  readonly weight: number
  readonly labels: Readonly<Record<string, string>>
}

/** What a balancer sees: the upstream plus the load and health the core and health plugins write. */
export interface UpstreamState extends Upstream {
  /** False while unhealthy, ejected or draining; balancers only ever receive available ones. */
  readonly available: boolean
  /** Requests sent to this upstream that have not completed yet. */
  readonly inflight: number
}

/** An upstream as health plugins see it: they write its verdicts, balancers read `available`. */
export interface UpstreamHealth extends UpstreamState {
  /** Active-check verdict. */
  setHealthy(healthy: boolean): void
  /** What the last active check saw (the dashboard shows why an upstream fails). */
  recordCheck(check: CheckResult): void
  /** Passive ejection: unavailable until this time (ms since epoch); 0 lifts it. */
  eject(until: number): void
  readonly healthy: boolean
  readonly ejectedUntil: number
}

/** One active health check: its outcome, when it ran (ms since epoch), how long it took, and what it saw. */
export interface CheckResult {
  ok: boolean
  at: number
  ms: number
  /** `200`, `status 503 not accepted`, `body did not match`, or the failure (`refused`, `timeout` …). */
  detail: string
}
