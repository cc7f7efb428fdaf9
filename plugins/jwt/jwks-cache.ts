/**
 * A remote JWKS kept in memory. Chosen over jose's `createRemoteJWKSet` because that one blocks
 * on a refetch once its cache is older than `cacheMaxAge` and fails every token while the JWKS
 * endpoint is down; an edge gateway should keep verifying with the keys it has:
 *
 * - stale keys are still used while a background refetch runs (stale-while-revalidate), and
 *   keep being used while the endpoint is down (logged, retried once per `cooldown`);
 * - a token with an unknown `kid` triggers one refetch (key rotation), at most once per
 *   `cooldown`, so a flood of bogus `kid`s cannot hammer the endpoint;
 * - with nothing cached, requests fail closed (`JwksUnavailable`), and a refetch is tried at
 *   most once a second.
 */
import { createLocalJWKSet, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose'
import type { Logger } from '../../core/types.ts'

export class JwksUnavailable extends Error {
  override name = 'JwksUnavailable'
}

type LocalSet = ReturnType<typeof createLocalJWKSet>
const RETRY_WHEN_EMPTY_MS = 1000

export class JwksCache {
  #local?: LocalSet
  #fetchedAt = 0
  #attemptedAt = Number.NEGATIVE_INFINITY
  #inflight?: Promise<void>
  #version = 0

  constructor(
    private readonly opts: { url: string; cacheMaxAge: number; cooldown: number; timeout: number },
    private readonly log: Logger,
  ) {}

  async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput) {
    const local = await this.#current()
    try {
      return await local(header, token)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err
      if (Date.now() - this.#attemptedAt < this.opts.cooldown) throw err
      await this.#refresh().catch(() => {}) // logged; the old keys stay
      return this.#local!(header, token)
    }
  }

  /**
   * Which key set is in use; changes with every fetched set. Also starts the background refetch
   * of a stale set, as a verification would (tokens reused from the verified cache verify nothing).
   */
  version(): number {
    this.#refreshIfStale()
    return this.#version
  }

  /** A cached set older than cacheMaxAge is refetched in the background (at most once per cooldown). */
  #refreshIfStale(): void {
    const now = Date.now()
    if (this.#local && now - this.#fetchedAt > this.opts.cacheMaxAge && now - this.#attemptedAt >= this.opts.cooldown) this.#refresh().catch(() => {})
  }

  async #current(): Promise<LocalSet> {
    if (this.#local) {
      this.#refreshIfStale()
      return this.#local
    }
    if (!this.#inflight && Date.now() - this.#attemptedAt < RETRY_WHEN_EMPTY_MS) {
      throw new JwksUnavailable('no signing keys yet (JWKS endpoint failed)')
    }
    await this.#refresh().catch((err) => {
      throw new JwksUnavailable(`no signing keys: ${(err as Error).message}`)
    })
    return this.#local!
  }

  /** One fetch at a time; concurrent callers share it. Rejects (after logging) when it fails. */
  #refresh(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => (this.#inflight = undefined))
    return this.#inflight
  }

  async #fetch(): Promise<void> {
    this.#attemptedAt = Date.now()
    try {
      const res = await fetch(this.opts.url, {
        headers: { accept: 'application/json' },
        redirect: 'follow',
        signal: AbortSignal.timeout(this.opts.timeout),
      })
      if (!res.ok) {
        await res.body?.cancel()
        throw new Error(`HTTP ${res.status}`)
      }
      const jwks = (await res.json()) as JSONWebKeySet
      this.#local = createLocalJWKSet(jwks) // throws on a malformed set: the old one stays
      this.#fetchedAt = Date.now()
      this.#version++
      this.log.info(`jwt: loaded ${jwks.keys.length} key(s) from ${this.opts.url}`)
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.opts.timeout} ms` : (err as Error).message
      this.log.warn(`jwt: cannot fetch JWKS from ${this.opts.url}: ${why}${this.#local ? '; using the cached keys' : ''}`)
      throw new Error(why)
    }
  }
}
