/**
 * Process stats for runtimes that provide Node's `process` (Node, Bun, Deno). Event-loop lag is
 * measured the same way everywhere, by how late a timer fires (Node's monitorEventLoopDelay has
 * no Bun or Deno twin), and only once someone reads the stats: a gateway without metrics runs no
 * timer. The timer is unref'd, so it never keeps a process alive.
 */
import process from 'node:process'
import { readdirSync } from 'node:fs'
import type { ProcessStats } from '../../plugin/io.ts'

const LAG_INTERVAL_MS = 250

export interface ProcessStatsOptions {
  runtime: ProcessStats['runtime']
  /** Count /proc/self/fd (Linux; Deno would need a read permission for it). */
  fds: boolean
  /** The runtime's GC time so far, in seconds, when it exposes it. */
  gcSeconds?: () => number
}

export function processStatsReader(o: ProcessStatsOptions): () => ProcessStats {
  const startTimeSeconds = Date.now() / 1000 - process.uptime()
  let lag: LagSampler | undefined
  return () => {
    lag ??= new LagSampler()
    const cpu = process.cpuUsage()
    const mem = process.memoryUsage()
    return {
      runtime: o.runtime,
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      residentBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      startTimeSeconds,
      openFds: o.fds ? openFds() : undefined,
      eventLoopLagSeconds: lag.take(),
      gcSeconds: o.gcSeconds?.(),
    }
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1 // less the descriptor readdir itself held open
  } catch {
    return undefined // not Linux
  }
}

/** The worst lateness of a repeating timer since the last `take()`. */
class LagSampler {
  private worst = 0
  private expected = performance.now() + LAG_INTERVAL_MS

  constructor() {
    const timer = setInterval(() => {
      const now = performance.now()
      this.worst = Math.max(this.worst, now - this.expected)
      this.expected = now + LAG_INTERVAL_MS
    }, LAG_INTERVAL_MS)
    ;(timer as { unref?: () => void }).unref?.()
  }

  take(): number {
    const worst = this.worst
    this.worst = 0
    return Math.max(0, worst) / 1000
  }
}
