/** Rates as configs write them: "100/1m", "10/s", "5/10s", "1000/1h" (count per duration). */
import { parseDuration } from '../../core/config/duration.ts'

export const RATE_ERROR = 'expected "<count>/<duration>", like "100/1m", "10/s" or "5/10s"'

export function parseRate(text: string): { count: number; periodMs: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)\s*$/.exec(text)
  if (!m) return undefined
  const count = Number(m[1])
  const periodMs = parseDuration(`${m[2] ?? '1'}${m[3]}`)
  if (!count || !periodMs) return undefined
  return { count, periodMs }
}
