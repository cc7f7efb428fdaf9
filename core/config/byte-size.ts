/** Sizes in configs: a number of bytes, or a string like "512b", "16kb", "10mb", "1gb" (1kb = 1024 bytes, as in nginx). */
import { unitValue } from './unit-value.ts'

const UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 }
const PATTERN = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)$/i

export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const m = PATTERN.exec(value.trim())
  return m ? Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!) : undefined
}

const MESSAGE = 'expected a size like "10mb" (b, kb, mb, gb; 1kb = 1024) or a whole number of bytes'

/** A zod size resolving to bytes. */
export const byteSize = () => unitValue(parseByteSize, MESSAGE)
