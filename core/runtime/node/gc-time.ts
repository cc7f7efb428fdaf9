/** Node's GC time so far, from its `gc` performance entries (Bun and Deno do not emit them). Observed from the first read on. */
import { PerformanceObserver } from 'node:perf_hooks'

let totalMs: number | undefined

export function nodeGcSeconds(): number {
  if (totalMs === undefined) {
    totalMs = 0
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) totalMs! += e.duration
    }).observe({ entryTypes: ['gc'] })
  }
  return totalMs / 1000
}
