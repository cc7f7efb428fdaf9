/**
 * Readiness of a replica that just joined a scaling pool: it is held back (`warming`) until it
 * answers, so no request meets a container whose process is not listening yet (the 502 on the
 * first request that KEDA's HTTP add-on and Sablier users meet). The answer that counts is the
 * pool's active check when it has one, else any HTTP answer at all — the first successful
 * exchange, not a fixed delay. Containers with a HEALTHCHECK reach the pool only once Docker
 * reports them healthy (the Docker plugin), so this probe passes at once for them.
 *
 * Probes start at once and repeat every PROBE_MS until the replica answers, leaves the pool, or
 * the gate is closed.
 */
import type { UpstreamRuntime } from '../pools/upstream-state.ts'

const PROBE_MS = 25

export type Probe = (up: UpstreamRuntime) => Promise<boolean>

export class WakeGate {
  private readonly watched = new Set<UpstreamRuntime>()
  private closed = false

  constructor(
    private readonly probe: Probe,
    /** The replica answered (the first one ends a wake). */
    private readonly onReady: (up: UpstreamRuntime) => void,
  ) {}

  /** Holds `up` back until it answers (before any state holds it: no request can pick it meanwhile). */
  hold(up: UpstreamRuntime): void {
    up.warming = true
    this.watched.add(up)
    void this.watch(up)
  }

  /** How many replicas are still being probed. */
  get pending(): number {
    return this.watched.size
  }

  /** Stops probing and lets every held replica serve (the pool no longer scales). */
  close(): void {
    this.closed = true
    for (const up of this.watched) up.setWarming(false)
    this.watched.clear()
  }

  private async watch(up: UpstreamRuntime): Promise<void> {
    while (!this.closed && !up.draining) {
      if (await this.probe(up).catch(() => false)) {
        if (this.closed || up.draining) break
        this.watched.delete(up)
        up.setWarming(false)
        return this.onReady(up)
      }
      await new Promise((r) => setTimeout(r, PROBE_MS))
    }
    this.watched.delete(up)
  }
}
