/**
 * The ACME control loop for one HTTPS listener. It follows the hosts routes name (config and
 * discovery), keeps one certificate per host, and pushes the whole set (a self-signed fallback
 * first, then one certificate per host) whenever one is issued, renewed, picked up from the
 * store or expires. Renewal is due at two thirds of a certificate's life, or when the CA's
 * renewal information (ARI) says. Every second it starts at most one order: a host without a certificate, or
 * one past its renewal time, whose backoff has passed. Orders run under the store's lock, so
 * replicas sharing a store order each host once; a certificate that fails to renew keeps serving
 * until it expires, with a warning at each failure.
 */
import type acmeClient from 'acme-client'
import type { CertificateContext, CertificateStatus, ChallengeType } from '../../core/tls/certificate-source.ts'
import { accountClient, forgetAccount, trustDirectoryCa } from './account.ts'
import type { ChallengeBoard } from './challenges.ts'
import { fallbackCertificate } from './fallback-certificate.ts'
import { orderableHosts } from './hosts.ts'
import type { AcmeSettings } from './options.ts'
import { orderCertificate } from './order.ts'
import { suggestedRenewal } from './renewal-info.ts'
import { OrderRate, renewalTime, retryDelay } from './schedule.ts'
import type { AcmeStore, StoredCertificate } from './store.ts'

const TICK_MS = 1_000
/** How soon to look again when another replica holds a host's lock. */
const LOCKED_WAIT_MS = 2_000

interface HostState {
  current?: StoredCertificate
  /** Order when now passes both: renewal time (0: no certificate) and backoff. */
  renewAt: number
  nextTry: number
  failures: number
  lastError?: string
}

export class AcmeManager {
  private readonly hosts = new Map<string, HostState>()
  private readonly skipped = new Map<string, string>()
  private readonly fallback = fallbackCertificate()
  private readonly rate: OrderRate
  private readonly log: CertificateContext['log']
  private challenges: ChallengeType[] = []
  private ordering = false
  private published: string | undefined
  private client?: acmeClient.Client

  constructor(
    private readonly settings: AcmeSettings,
    private readonly ctx: CertificateContext,
    private readonly store: AcmeStore,
    private readonly board: ChallengeBoard,
  ) {
    this.rate = new OrderRate(settings.newOrders.max, settings.newOrders.per)
    this.log = ctx.log
  }

  async run(): Promise<void> {
    const { signal, log, io } = this.ctx
    this.publish() // the fallback alone: the listener starts, and can answer challenges
    this.challenges = this.usableChallenges()
    if (this.settings.directoryCa) {
      const caPem = await io.files.readText(this.settings.directoryCa)
      trustDirectoryCa(this.settings.directory, caPem, io.httpAgent({ ca: caPem }))
    }
    await this.store.open(this.ctx)
    this.store.watch?.((key, value) => this.onStoreChange(key, value))
    await this.followHosts()
    this.ctx.onHostsChange(() => void this.followHosts().catch((err) => log.error(`${(err as Error).message}`)))
    await this.ctx.listening
    if (signal.aborted) return
    const timer = setInterval(() => this.tick(), TICK_MS)
    signal.addEventListener('abort', () => clearInterval(timer), { once: true })
    this.tick()
  }

  describe(): CertificateStatus[] {
    const managed = [...this.hosts].map(([host, s]): CertificateStatus => ({
      host,
      state: s.lastError ? 'failing' : s.current ? 'valid' : 'pending',
      ...(s.current && { notAfter: s.current.notAfter }),
      next: new Date(Math.max(s.renewAt, s.nextTry, Date.now())).toISOString(),
      ...(s.lastError && { lastError: s.lastError }),
    }))
    return managed.concat([...this.skipped].map(([host, reason]): CertificateStatus => ({ host, state: 'skipped', lastError: reason })))
  }

  private usableChallenges(): ChallengeType[] {
    const wanted = this.settings.challenges ?? this.ctx.challenges
    const usable = wanted.filter((c) => this.ctx.challenges.includes(c))
    for (const c of wanted) if (!usable.includes(c)) this.log.warn(`${c} cannot be answered on this runtime; not used`)
    if (!usable.length) this.log.error(`none of the challenges ${wanted.join(', ')} can be answered here; no certificate can be ordered`)
    return usable
  }

  /** Takes the hosts routes name now: new ones load from the store (or are ordered soon), gone ones are dropped. */
  private async followHosts(): Promise<void> {
    const wanted = new Set(orderableHosts(this.ctx.hosts(), this.skipped, this.log))
    for (const host of this.hosts.keys()) if (!wanted.has(host)) this.hosts.delete(host)
    for (const host of wanted) {
      if (this.hosts.has(host)) continue
      const state: HostState = { renewAt: 0, nextTry: 0, failures: 0 }
      this.hosts.set(host, state)
      const stored = parse(await this.store.get(`certs/${host}`).catch(() => undefined))
      if (stored) this.adopt(host, stored)
      else this.log.info(`${host} needs a certificate`, { host })
    }
    this.publish()
  }

  private adopt(host: string, c: StoredCertificate): void {
    const state = this.hosts.get(host)
    if (!state || Date.parse(c.notAfter) <= Date.now() || (state.current && c.notAfter <= state.current.notAfter)) return
    Object.assign(state, { current: c, renewAt: renewalTime(c), nextTry: 0, failures: 0, lastError: undefined })
    // Where the CA offers ARI, its window replaces the two-thirds rule.
    suggestedRenewal(this.settings.directory, c.cert).then((at) => {
      if (at === undefined || state.current !== c) return
      state.renewAt = Math.min(at, Date.parse(c.notAfter))
      this.log.info(`the CA suggests renewing ${host} at ${new Date(at).toISOString()} (ARI)`, { host })
    }, () => {})
  }

  private onStoreChange(key: string, value: string | undefined): void {
    if (key.startsWith('challenges/')) return this.board.shared(key.slice('challenges/'.length), value)
    const host = key.startsWith('certs/') ? key.slice('certs/'.length) : undefined
    const stored = parse(value)
    if (!host || !stored || !this.hosts.has(host)) return
    const before = this.hosts.get(host)!.current?.cert
    this.adopt(host, stored)
    if (this.hosts.get(host)!.current?.cert !== before) {
      this.log.info(`certificate for ${host} picked up from the store, valid until ${stored.notAfter}`, { host })
      this.publish()
    }
  }

  /** Pushes fallback + every unexpired certificate, when that set changed. */
  private publish(): void {
    const now = Date.now()
    for (const [host, s] of this.hosts) {
      if (s.current && Date.parse(s.current.notAfter) <= now) {
        this.log.error(`the certificate for ${host} expired at ${s.current.notAfter}; serving the fallback for it`, { host })
        s.current = undefined
      }
    }
    const certs = [...this.hosts].filter(([, s]) => s.current).map(([host, s]) => ({ cert: s.current!.cert, key: s.current!.key, hosts: [host] }))
    const id = certs.map((c) => `${c.hosts[0]}\n${c.cert}`).join('\n')
    if (id === this.published) return
    this.published = id
    this.ctx.update([{ ...this.fallback, hosts: [] }, ...certs])
  }

  private tick(): void {
    this.publish() // drops what expired
    if (this.ordering || !this.challenges.length) return
    const now = Date.now()
    const due = [...this.hosts].filter(([, s]) => now >= Math.max(s.renewAt, s.nextTry)).sort(([, a], [, b]) => a.renewAt - b.renewAt)[0]
    if (!due) return
    this.ordering = true
    this.obtain(due[0], due[1]).finally(() => {
      this.ordering = false
      this.publish()
    })
  }

  private async obtain(host: string, state: HostState): Promise<void> {
    const why = state.current ? `renewal, current one valid until ${state.current.notAfter}` : 'none yet'
    try {
      const outcome = await this.store.withLock(`order-${host}`, async () => {
        // Another replica may have just stored one.
        const stored = parse(await this.store.get(`certs/${host}`))
        if (stored && renewalTime(stored) > Date.now()) return this.adopt(host, stored), 'stored'
        if (!this.rate.take()) return 'limited'
        this.log.info(`ordering a certificate for ${host} (${why})`, { host })
        this.client ??= await accountClient(this.store, { directory: this.settings.directory, email: this.settings.email })
        const issued = await orderCertificate(this.client, host, { preferred: this.challenges, board: this.board, store: this.store })
        this.adopt(host, issued) // before the store's watch echoes it back
        await this.store.put(`certs/${host}`, JSON.stringify(issued))
        this.log.info(`certificate for ${host} issued, valid until ${issued.notAfter}; renewal from ${new Date(renewalTime(issued)).toISOString()}`, { host })
        return 'issued'
      })
      if (!outcome.ran) state.nextTry = Date.now() + LOCKED_WAIT_MS // another replica is ordering it: its result arrives through the store
      else if (outcome.value === 'limited') {
        state.nextTry = this.rate.nextFree()
        this.log.warn(`order for ${host} postponed to ${new Date(state.nextTry).toISOString()}: at most ${this.settings.newOrders.max} orders per ${this.settings.newOrders.per} ms`, { host })
      }
    } catch (err) {
      const reason = String((err as Error)?.message ?? err)
      if (/accountDoesNotExist|account.*(does not exist|not found)/i.test(reason)) {
        this.client = undefined
        await forgetAccount(this.store, this.settings.directory).catch(() => {})
      }
      state.failures++
      state.lastError = reason
      state.nextTry = Date.now() + retryDelay(state.failures, this.settings.retry)
      this.log.error(`ordering a certificate for ${host} failed: ${reason}; next try at ${new Date(state.nextTry).toISOString()}`, { host, reason })
      if (state.current) this.log.warn(`the certificate for ${host} keeps serving until it expires at ${state.current.notAfter}`, { host })
    }
  }
}

function parse(text: string | undefined): StoredCertificate | undefined {
  if (!text) return undefined
  try {
    const c = JSON.parse(text) as StoredCertificate
    return typeof c.cert === 'string' && typeof c.key === 'string' && !Number.isNaN(Date.parse(c.notAfter)) ? c : undefined
  } catch {
    return undefined
  }
}
