/**
 * The primary → worker feed: what workers need of the primary's discovery and health checks, as
 * plain data (the config itself holds functions, so each worker loads the config file itself).
 * Every message carries a version one more than the last; a worker that sees a gap (it missed
 * one) ignores what follows and asks for a `sync`, the whole current picture, to catch up.
 *
 * - `source`: a discovery source's last good snapshot (the worker's watcher validates and merges
 *   it as the primary's did), or `forget` when the source stopped.
 * - `verdict`: an upstream's health verdict, operator switch and ejection, from active health
 *   checks and the admin API.
 */

/** What the primary decided about one upstream. */
export interface UpstreamVerdict {
  pool: string
  id: string
  healthy: boolean
  disabled: boolean
  /** Ms since epoch; 0 when not ejected. */
  ejectedUntil: number
}

export type FeedMessage =
  | { t: 'sync'; v: number; sources: [string, unknown][]; verdicts: UpstreamVerdict[] }
  | { t: 'source'; v: number; source: string; snapshot?: unknown; forget?: true }
  | { t: 'verdict'; v: number; verdict: UpstreamVerdict }

export const isFeedMessage = (m: unknown): m is FeedMessage =>
  typeof m === 'object' && m !== null && ['sync', 'source', 'verdict'].includes((m as { t?: string }).t ?? '') && typeof (m as { v?: unknown }).v === 'number'

/** The primary's side: turns changes into versioned messages, and keeps what a `sync` needs. */
export class FeedPublisher {
  private version = 0
  private readonly sources = new Map<string, unknown>()

  constructor(
    /** Every upstream's verdict now (for a sync). */
    private readonly verdicts: () => UpstreamVerdict[],
  ) {}

  source(source: string, snapshot: unknown): FeedMessage {
    this.sources.set(source, snapshot)
    return { t: 'source', v: ++this.version, source, snapshot }
  }

  forget(source: string): FeedMessage {
    this.sources.delete(source)
    return { t: 'source', v: ++this.version, source, forget: true }
  }

  verdict(verdict: UpstreamVerdict): FeedMessage {
    return { t: 'verdict', v: ++this.version, verdict }
  }

  /** The whole picture at the current version: what a new worker, or one that missed a message, starts from. */
  sync(): FeedMessage {
    return { t: 'sync', v: this.version, sources: [...this.sources], verdicts: this.verdicts() }
  }
}

/** What a worker applies the feed to (its watcher and upstream store). */
export interface FeedTarget {
  push(source: string, snapshot: unknown): void
  forget(source: string): void
  verdict(verdict: UpstreamVerdict): void
}

/** The worker's side: applies messages in order; `receive` answers 'resync' once when it finds a gap. */
export class FeedReceiver {
  private version = -1
  private awaitingSync = true
  private readonly known = new Set<string>()

  constructor(private readonly target: FeedTarget) {}

  /** The version applied last (-1 before the first sync). */
  get applied(): number {
    return this.version
  }

  receive(m: FeedMessage): 'applied' | 'resync' | 'ignored' {
    if (m.t === 'sync') {
      const now = new Set(m.sources.map(([source]) => source))
      for (const source of this.known) if (!now.has(source)) this.target.forget(source)
      this.known.clear()
      for (const [source, snapshot] of m.sources) {
        this.known.add(source)
        this.target.push(source, snapshot)
      }
      for (const v of m.verdicts) this.target.verdict(v)
      this.version = m.v
      this.awaitingSync = false
      return 'applied'
    }
    if (this.awaitingSync) return 'ignored'
    if (m.v !== this.version + 1) {
      this.awaitingSync = true
      return 'resync'
    }
    this.version = m.v
    if (m.t === 'verdict') this.target.verdict(m.verdict)
    else if (m.forget) {
      this.known.delete(m.source)
      this.target.forget(m.source)
    } else {
      this.known.add(m.source)
      this.target.push(m.source, m.snapshot)
    }
    return 'applied'
  }
}
