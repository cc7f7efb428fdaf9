/** What an upstream is to sources, balancers and health plugins (a leaf module: it imports nothing). */

/** One address that can serve a pool. `id` is stable across snapshots (container id, etcd key, url). */
export interface Upstream {
  readonly id: string
  /** http: or https: (an `h2c://` or `h2://` URL as written becomes http: or https: plus `protocol`). */
  readonly url: URL
  /** HTTP/2 to this upstream: `h2c` cleartext with prior knowledge, `h2` over TLS by ALPN. Absent: HTTP/1.1. */
  readonly protocol?: UpstreamProtocol
  readonly weight: number
  readonly labels: Readonly<Record<string, string>>
}

export type UpstreamProtocol = 'h2c' | 'h2'

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
