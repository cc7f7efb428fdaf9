/**
 * Tokens that verified recently, so a client sending the same token on every request is not
 * verified again each time (Envoy's jwt_authn keeps such a cache too). Keyed by the whole token,
 * signature included, so only the exact bytes that verified can hit. An entry is used only:
 * - before the earliest of `ttl`, the token's `exp` (plus clock tolerance) and `iat + maxTokenAge`,
 *   so every time-based check still holds at each use;
 * - while the key set is the one it verified with (a JWKS refetch starts afresh).
 * Issuer, audience and required claims are fixed facts of a token; claim rules and forwarded
 * claims are applied on every request by the plugin. At most `max` entries, oldest dropped first.
 */
import type { JWTPayload } from 'jose'

interface Entry {
  payload: JWTPayload
  until: number
  version: number
}

export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>()

  constructor(
    readonly ttlMs: number,
    readonly limits: { clockToleranceMs: number; maxTokenAgeMs?: number },
    readonly max = 4096,
  ) {}

  get(token: string, version: number, now = Date.now()): JWTPayload | undefined {
    const e = this.#entries.get(token)
    if (!e) return undefined
    if (e.until > now && e.version === version) return e.payload
    this.#entries.delete(token)
    return undefined
  }

  add(token: string, payload: JWTPayload, version: number, now = Date.now()): void {
    if (this.ttlMs <= 0) return
    let until = now + this.ttlMs
    const { clockToleranceMs, maxTokenAgeMs } = this.limits
    if (typeof payload.exp === 'number') until = Math.min(until, payload.exp * 1000 + clockToleranceMs)
    if (maxTokenAgeMs !== undefined && typeof payload.iat === 'number') until = Math.min(until, payload.iat * 1000 + maxTokenAgeMs + clockToleranceMs)
    if (until <= now) return
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(token, { payload, until, version })
  }

  get size(): number {
    return this.#entries.size
  }
}
