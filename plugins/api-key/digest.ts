/** SHA-256 with crypto.subtle, and comparing digests without an early exit. */

const utf8 = new TextEncoder()

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)))
}

export const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * True when both arrays hold the same bytes. The time depends only on the length (never on
 * where the first difference is); callers compare fixed-length digests, so lengths are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * The form an API key takes in `apiKey({ keys })`: its SHA-256 as 64 lower-case hex digits
 * (the same as `printf %s "$KEY" | sha256sum`).
 *
 * @example
 * ```ts
 * import { hashApiKey } from 'gatehouse/plugins/api-key'
 * console.log(await hashApiKey('k_live_4f9…')) // paste the output into keys: { '<hex>': 'billing-service' }
 * ```
 */
export async function hashApiKey(key: string): Promise<string> {
  return toHex(await sha256(key))
}
