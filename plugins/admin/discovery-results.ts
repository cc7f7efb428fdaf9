/**
 * Each discovery source's last applied and last rejected snapshot, with the problems that got it
 * rejected (field named: `pools.web[0]: …`): a broken registry file keeps the last good snapshot
 * serving, so without this it would never show.
 */
import type { DiscoveryResult } from '../../core/gateway/events.ts'

export interface SourceResult {
  source: string
  /** When its last good snapshot was applied (ms since epoch). */
  appliedAt?: number
  /** When its last snapshot was rejected, and why. */
  rejectedAt?: number
  problems?: string[]
  /** The latest snapshot was rejected: the gateway serves an older one. */
  failing: boolean
}

export class DiscoveryResults {
  private readonly sources = new Map<string, SourceResult>()

  record(e: DiscoveryResult, now = Date.now()): void {
    const s = this.sources.get(e.source) ?? { source: e.source, failing: false }
    if (e.ok) (s.appliedAt = now), (s.failing = false)
    else (s.rejectedAt = now), (s.problems = (e.problems ?? []).slice(0, 20)), (s.failing = true)
    this.sources.set(e.source, s)
  }

  all(): SourceResult[] {
    return [...this.sources.values()]
  }
}
