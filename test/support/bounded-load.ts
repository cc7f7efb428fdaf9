// A bounded client load: `concurrency` loops of requests until `until()` holds, `max` requests
// were sent or `timeoutMs` passed — whichever comes first. Counts statuses and failures.
import { Agent, request } from 'node:http'

export interface LoadResult {
  sent: number
  statuses: Record<number, number>
  /** Transport failures (no answer at all). */
  failed: number
  /** Answers of 5xx plus transport failures. */
  errors: number
  ms: number
  /** Each answered request's time, ms. */
  latencies: number[]
}

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)]! : 0
}

export async function boundedLoad(
  url: string,
  opts: { concurrency: number; max: number; timeoutMs: number; until?: () => boolean; headers?: Record<string, string> },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency })
  const result: LoadResult = { sent: 0, statuses: {}, failed: 0, errors: 0, ms: 0, latencies: [] }
  const started = Date.now()
  const done = () => result.sent >= opts.max || Date.now() - started >= opts.timeoutMs || (opts.until?.() ?? false)
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now()
      const req = request(url, { agent, headers: opts.headers }, (res) => {
        res.resume()
        res.on('end', () => {
          const s = res.statusCode!
          result.latencies.push(performance.now() - t0)
          result.statuses[s] = (result.statuses[s] ?? 0) + 1
          if (s >= 500) result.errors++
          resolve()
        })
      })
      req.on('error', () => {
        result.failed++
        result.errors++
        resolve()
      })
      req.end()
    })
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (!done()) {
        result.sent++
        await one()
      }
    }),
  )
  agent.destroy()
  result.ms = Date.now() - started
  return result
}
