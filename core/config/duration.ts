/** Durations in configs: a number of milliseconds, or a string like "250ms", "2s", "1.5m", "1h". */
import { unitValue } from './unit-value.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/

export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const m = PATTERN.exec(value.trim())
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : undefined
}

const MESSAGE = 'expected a duration like "2s" (ms, s, m, h) or a number of milliseconds'

/** A zod duration resolving to milliseconds. */
export const duration = () => unitValue(parseDuration, MESSAGE)
