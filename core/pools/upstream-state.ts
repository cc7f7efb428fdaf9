/**
 * The runtime side of an upstream: load and health, written by the core and health plugins and
 * read by balancers. Kept across discovery snapshots by upstream id, so a container that is
 * re-listed keeps its in-flight count and health history.
 */
import type { CheckResult, Upstream, UpstreamHealth, UpstreamProtocol } from './upstream.ts'

export class UpstreamRuntime implements UpstreamHealth {
  id: string
  private address: URL
  protocol: UpstreamProtocol | undefined
  labels: Readonly<Record<string, string>>
  /** The configured weight; `weight` is lower while a slow start ramps up. */
  baseWeight: number
  private rampEnds = 0
  private rampLength = 0
  inflight = 0
  /** Health verdict from active checks (true until a checker says otherwise). */
  healthy = true
  /** Passive ejection: unavailable until this time (ms since epoch). */
  ejectedUntil = 0
  /** The last active check, when a checker runs. */
  lastCheck: CheckResult | undefined
  /** True once the upstream has left every snapshot: it finishes in-flight work but takes none. */
  draining = false
  /** Switched off by an operator (admin API). */
  disabled = false
  /** Joined a pool that scales (core/scale/) and has not answered its readiness probe yet. */
  warming = false
  /** Called whenever availability may have changed, so the pool recomputes its candidate list. */
  onChange: () => void = () => {}

  constructor(up: Upstream) {
    this.id = up.id
    this.address = up.url
    this.protocol = up.protocol
    this.baseWeight = up.weight
    this.labels = up.labels
  }

  /** Where requests go; changed only by `update()`. */
  get url(): URL {
    return this.address
  }

  /** The weight balancers use: from 10 % up to the configured weight over a slow start. */
  get weight(): number {
    if (this.rampEnds === 0) return this.baseWeight
    const left = this.rampEnds - Date.now()
    if (left <= 0) {
      this.rampEnds = 0
      return this.baseWeight
    }
    return this.baseWeight * Math.max(0.1, 1 - left / this.rampLength)
  }

  rampUp(ms: number): void {
    this.rampLength = ms
    this.rampEnds = Date.now() + ms
  }

  get available(): boolean {
    return this.healthy && !this.warming && !this.draining && !this.disabled && this.ejectedUntil <= Date.now()
  }

  /**
   * Takes the descriptive fields of a newer snapshot; state stays. On a new origin, `movedFrom` is
   * the old address (its transport client is to be closed after its last request).
   */
  update(up: Upstream): { changed: boolean; movedFrom?: { id: string; url: URL; protocol?: UpstreamProtocol } } {
    const changed = up.url.href !== this.address.href || up.protocol !== this.protocol || up.weight !== this.baseWeight || !sameLabels(up.labels, this.labels)
    // Another protocol needs another client too: the old one is closed like an old address's.
    const movedFrom = up.url.origin !== this.address.origin || up.protocol !== this.protocol ? { id: this.id, url: this.address, protocol: this.protocol } : undefined
    this.address = up.url
    this.protocol = up.protocol
    this.baseWeight = up.weight
    this.labels = up.labels
    return { changed, movedFrom }
  }

  setHealthy(healthy: boolean): void {
    if (healthy === this.healthy) return
    this.healthy = healthy
    this.onChange()
  }

  recordCheck(check: CheckResult): void {
    this.lastCheck = check
  }

  /** Readiness (core/scale/wake-gate.ts): false holds a new replica back until it answers. */
  setWarming(warming: boolean): void {
    if (warming === this.warming) return
    this.warming = warming
    this.onChange()
  }

  setDisabled(disabled: boolean): void {
    if (disabled === this.disabled) return
    this.disabled = disabled
    this.onChange()
  }

  private ejectionTimer: ReturnType<typeof setTimeout> | undefined

  /** It left every snapshot: it finishes in-flight work, takes none, and reports nothing more (an ejection's end included). */
  leave(): void {
    this.draining = true
    clearTimeout(this.ejectionTimer)
  }

  eject(until: number): void {
    this.ejectedUntil = until
    clearTimeout(this.ejectionTimer)
    this.onChange()
    // The candidate list is cached: recompute it when the ejection ends, not on every request.
    if (until > Date.now()) {
      this.ejectionTimer = setTimeout(() => this.onChange(), until - Date.now() + 1)
      ;(this.ejectionTimer as { unref?: () => void }).unref?.() // never keeps a stopping process alive
    }
  }
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => a[k] === b[k])
}
