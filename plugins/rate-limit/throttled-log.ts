/**
 * A warning that may fire on every request (a store outage) is logged at most once per
 * `intervalMs`, with the number of repeats it stood for.
 */
import type { Logger } from '../../core/types.ts'

export function throttledWarn(log: Logger, intervalMs: number): (msg: string) => void {
  let last = Number.NEGATIVE_INFINITY
  let suppressed = 0
  return (msg) => {
    const now = Date.now()
    if (now - last < intervalMs) {
      suppressed++
      return
    }
    last = now
    log.warn(msg, suppressed ? { repeatedSinceLast: suppressed } : undefined)
    suppressed = 0
  }
}
