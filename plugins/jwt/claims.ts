/** Claim rules (`{ scope: { includes: 'orders:read' } }`) and how claim values travel in headers. */
import { z } from 'zod'
import type { JWTPayload } from 'jose'

const scalar = z.union([z.string(), z.number(), z.boolean()])

export const claimRule = z.union([
  /** The claim equals this value. */
  z.strictObject({ equals: scalar }),
  /** The claim is an array holding this value, or a space-separated string (OAuth `scope`) with this word. */
  z.strictObject({ includes: z.string().min(1) }),
  /** The claim equals one of these values. */
  z.strictObject({ oneOf: z.array(scalar).min(1) }),
])
export type ClaimRule = z.output<typeof claimRule>

/** Why the payload fails one of the rules (a short phrase for the client), or undefined. */
export function failedRule(payload: JWTPayload, rules: Readonly<Record<string, ClaimRule>>): string | undefined {
  for (const [name, rule] of Object.entries(rules)) {
    const value = payload[name]
    if ('equals' in rule) {
      if (value !== rule.equals) return `claim "${name}" must equal ${JSON.stringify(rule.equals)}`
    } else if ('includes' in rule) {
      const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : []
      if (!list.includes(rule.includes)) return `claim "${name}" must include ${JSON.stringify(rule.includes)}`
    } else if (!rule.oneOf.includes(value as never)) {
      return `claim "${name}" must be one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(', ')}`
    }
  }
  return undefined
}

/**
 * A claim as a header value: strings as they are, numbers and booleans as text, arrays of
 * scalars comma-separated, objects as JSON. Anything outside printable ASCII (non-Latin
 * letters, control characters) is percent-encoded as UTF-8, so a claim can never split a header.
 */
export function headerValue(value: unknown): string {
  const text =
    typeof value === 'string' ? value
    : typeof value === 'number' || typeof value === 'boolean' ? String(value)
    : Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null) ? value.join(',')
    : JSON.stringify(value)
  return /^[\x20-\x7e\t]*$/.test(text) ? text : text.replace(/[^\x20-\x7e\t]+/g, percentEncode)
}

const utf8 = new TextEncoder()
const percentEncode = (s: string) => Array.from(utf8.encode(s), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
