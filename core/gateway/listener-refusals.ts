/**
 * Requests the listeners refused before the gateway's handler saw them (core/runtime: Node's parser,
 * the header limits on every runtime): counted by reason for the metrics, and logged, one warning
 * each, at most `LINES_PER_MINUTE` a minute, so a flood of garbage cannot flood the log; the first
 * line after a quiet spell says how many went unlogged.
 */
import type { Logger } from '../logger.ts'
import type { ListenerRefusal } from '../runtime/types.ts'

const LINES_PER_MINUTE = 10
const MINUTE_MS = 60_000

export class ListenerRefusals {
  /** Refusals so far, by reason. */
  readonly counts = new Map<ListenerRefusal, number>()
  private windowStart = 0
  private lines = 0
  private unlogged = 0

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bound once: the listeners' `onRefused`. */
  readonly refused = (reason: ListenerRefusal, detail?: string): void => {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1)
    const now = this.now()
    if (now - this.windowStart >= MINUTE_MS) {
      this.windowStart = now
      this.lines = 0
    }
    if (this.lines >= LINES_PER_MINUTE) return void this.unlogged++
    this.lines++
    const fields: Record<string, unknown> = { reason, ...(detail && { code: detail }) }
    if (this.unlogged) fields.unlogged = this.unlogged
    this.unlogged = 0
    this.log.warn(`refused a request before routing: ${reason}${detail ? ` (${detail})` : ''}`, fields)
  }
}
