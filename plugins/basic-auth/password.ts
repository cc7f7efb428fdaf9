/**
 * Password hashes the basic-auth plugin accepts, all computable with crypto.subtle on every runtime:
 *
 * - `$pbkdf2-sha256$i=<iterations>$<salt>$<hash>` (PHC string format, salt and hash in base64
 *   without padding): salted and slow; what `hashPassword()` makes (600 000 iterations, OWASP 2023).
 * - 64 hex digits: plain SHA-256, unsalted and fast. Only for long random generated passwords
 *   (service accounts), never for passwords people choose.
 */
import { constantTimeEqual, fromHex, sha256 } from '../api-key/digest.ts'

const PBKDF2 = /^\$pbkdf2-sha256\$i=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/
const SHA256_HEX = /^[0-9a-fA-F]{64}$/
const DEFAULT_ITERATIONS = 600_000

export interface ParsedHash {
  verify(password: string): Promise<boolean>
  /** PBKDF2 iterations (0 for SHA-256): unknown users are checked against a dummy of the same cost. */
  readonly iterations: number
}

/** Why `stored` is not a hash this plugin accepts, or undefined. */
export function hashProblem(stored: string): string | undefined {
  if (SHA256_HEX.test(stored)) return undefined
  const m = PBKDF2.exec(stored)
  if (!m) return 'expected "$pbkdf2-sha256$i=<n>$<salt>$<hash>" (see hashPassword) or 64 hex digits of SHA-256; never a plain password'
  const iterations = Number(m[1])
  if (iterations < 1000 || iterations > 10_000_000) return 'PBKDF2 iterations must be between 1000 and 10000000'
  try {
    if (b64decode(m[2]!).length < 8) return 'PBKDF2 salt must be at least 8 bytes'
    if (b64decode(m[3]!).length < 16) return 'PBKDF2 hash must be at least 16 bytes'
  } catch {
    return 'PBKDF2 salt and hash must be base64'
  }
  return undefined
}

/** A verifier for a stored hash that passed `hashProblem`. */
export function parseHash(stored: string): ParsedHash {
  if (SHA256_HEX.test(stored)) {
    const expected = fromHex(stored.toLowerCase())
    return { iterations: 0, verify: async (pw) => constantTimeEqual(await sha256(pw), expected) }
  }
  const [, i, salt, hash] = PBKDF2.exec(stored)!
  const expected = b64decode(hash!)
  const iterations = Number(i)
  return { iterations, verify: async (pw) => constantTimeEqual(await pbkdf2(pw, b64decode(salt!), iterations, expected.length), expected) }
}

/**
 * Hashes a password for `basicAuth({ users })`. Run it once, offline, and paste the result.
 *
 * @example
 * ```ts
 * import { hashPassword } from 'gatehouse/plugins/basic-auth'
 * console.log(await hashPassword('correct horse battery staple'))
 * // $pbkdf2-sha256$i=600000$4cR8…$Yq1…
 * ```
 */
export async function hashPassword(password: string, opts: { iterations?: number } = {}): Promise<string> {
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await pbkdf2(password, salt, iterations, 32)
  return `$pbkdf2-sha256$i=${iterations}$${b64encode(salt)}$${b64encode(hash)}`
}

async function pbkdf2(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, bytes * 8)
  return new Uint8Array(bits)
}

const b64encode = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, '')
const b64decode = (text: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(text.padEnd(Math.ceil(text.length / 4) * 4, '=')), (ch) => ch.charCodeAt(0))
