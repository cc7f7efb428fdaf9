/**
 * One pool that scales: asleep, waking or awake, and what moves it (Knative's activator and
 * autoscaler, Sablier, in one object per pool). It outlives gateway states like the pool's
 * members (it hangs on PoolMembers.scale) and acts only through its source's Scaler.
 *
 * - A request that finds no available replica (admit) wakes an asleep pool and waits, bounded by
 *   `wake.queue` and `wake.timeout`; it goes on the moment the first replica is ready (WakeGate),
 *   queued requests in arrival order (PoolMembers' waiters). Probe paths (`wake.ignore`) never
 *   wake it.
 * - Idle is no request picked and nothing in flight (a WebSocket, an SSE stream or a download
 *   counts as in flight until it ends) for `idle`: the replicas above `min` pause, then stop.
 * - With `target`, load moves the replica count between max(min, 1) and `max` (load-target.ts).
 *
 * One scale action at a time; a wake waits for one in progress.
 */
import type { ScaleConfig } from '../config/scale-schema.ts'
import type { Scaler } from '../plugin/scaler.ts'
import type { PoolMembers } from '../pools/pool-members.ts'
import type { Admission, MemberGate, Refusal, WakingRequest } from '../pools/admission.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Logger } from '../logger.ts'
import type { ScaleEvent } from '../gateway/events.ts'
import type { CoordinationSession } from '../plugin/coordination.ts'
import { LoadWindow } from './load-target.ts'
import { pathMatcher } from './path-patterns.ts'
import { WakeGate, type Probe } from './wake-gate.ts'
import { awakeAnswer, WAKE_HEADER, waitingPage, wantsWaitingPage } from './waiting-page.ts'
import { WakeBurst } from './wake-burst.ts'
import { SharedActivity } from './shared-activity.ts'
import type { PoolScaleView, ScaleState } from './scale-view.ts'


export interface PoolScaleDeps {
  log: Logger
  emit: (event: ScaleEvent) => void
  probe: Probe
  /** Other gateways in front of the same replicas (core/plugin/coordination.ts), once connected. */
  coordination?: () => CoordinationSession | undefined
  now?: () => number
}



export class PoolScale implements MemberGate {
  state: ScaleState = 'awake'
  private ignore: (path: string) => boolean
  private readonly gate: WakeGate
  private readonly now: () => number
  private wakeStarted = 0
  private readonly wakeFailed = new Set<(r: Refusal) => void>()
  private lastActive: number
  private lastPicks = -1
  private paused = false
  private acting: string | undefined
  private readonly load = new LoadWindow()
  private queued = 0
  private readonly readyWaiters = new Set<() => void>()
  private readonly burst: WakeBurst
  private readonly activity: SharedActivity

  constructor(
    readonly name: string,
    private readonly members: PoolMembers,
    private scaler: Scaler,
    private settings: ScaleConfig,
    private readonly deps: PoolScaleDeps,
  ) {
    this.now = deps.now ?? Date.now
    this.lastActive = this.now()
    this.ignore = pathMatcher(settings.wake.ignore)
    this.gate = new WakeGate(deps.probe, () => (this.ready(), this.burst.letGo()))
    this.burst = new WakeBurst(() => Math.max(1, this.members.current?.available().length ?? 1) * this.settings.wake.burst, this.now)
    this.activity = new SharedActivity(name, () => deps.coordination?.(), deps.log)
    this.state = this.sleeping() ? 'asleep' : 'awake'
  }

  get currentSettings(): ScaleConfig {
    return this.settings
  }

  /** New settings or a new scaler (a reload, labels that changed). */
  update(scaler: Scaler, settings: ScaleConfig): void {
    this.scaler = scaler
    if (settings !== this.settings) this.ignore = pathMatcher(settings.wake.ignore)
    this.settings = settings
  }

  /** The pool stopped scaling (its scale settings or its scaler went): held replicas serve. */
  close(): void {
    this.gate.close()
    this.failWaiters({ reason: 'wake-failed', retryAfter: 1, message: 'no longer scales' })
  }

  view(): PoolScaleView {
    const { min } = this.settings
    return { state: this.state, running: this.scaler.running(this.name), asleep: this.scaler.asleep(this.name), min, max: this.max(), acting: this.acting }
  }

  /** MemberGate: every replica that joins is held until it answers. */
  joined(up: UpstreamRuntime): void {
    this.gate.hold(up)
  }

  /** MemberGate: a request found no available replica. Undefined: not a wake (replicas run, none available): the pool's own queue applies. */
  async admit(req: WakingRequest): Promise<Admission | undefined> {
    const { wake } = this.settings
    this.lastActive = this.now()
    const sleeping = this.sleeping()
    // Replicas run but none is available (unhealthy, ejected, switched off) and none is starting: not a wake.
    if (!sleeping && this.state !== 'waking' && this.gate.pending === 0 && !this.acting) return undefined
    const retryAfter = Math.ceil(wake.timeout / 1000)
    if (this.ignore(req.path)) return { ok: false, refusal: { reason: 'asleep', retryAfter, message: `is asleep (${req.path} does not wake it)` } }
    if (this.queued >= wake.queue) return { ok: false, refusal: { reason: 'queue-full', retryAfter: 1, message: `is waking and its queue is full (${wake.queue} requests)` } }
    // Asleep: wake it. Otherwise a replica is starting (a wake or a scale-out under way): wait for it.
    if (sleeping) this.wake('a request')
    if (wake.page && wantsWaitingPage(req.method, req.header)) return { ok: false, answer: waitingPage(this.name, 1) }
    const statusOnly = req.header(WAKE_HEADER) === 'status'
    const arrived = this.now()
    this.queued++
    let fail: ((r: Refusal) => void) | undefined
    try {
      const failed = new Promise<Refusal>((resolve) => this.wakeFailed.add((fail = resolve)))
      const outcome = await Promise.race([this.members.waitForAvailable({ timeout: wake.timeout, max: Number.MAX_SAFE_INTEGER }), failed])
      if (outcome === true && statusOnly) return { ok: false, answer: awakeAnswer() }
      if (outcome === true) {
        const done = await this.burst.slot(arrived + wake.timeout)
        return { ok: true, wakeMs: this.now() - arrived, done }
      }
      if (outcome === false) return { ok: false, refusal: { reason: 'wake-timeout', retryAfter: Math.ceil(wake.timeout / 1000), message: `did not wake within ${wake.timeout} ms` } }
      return { ok: false, refusal: outcome }
    } finally {
      this.queued--
      this.wakeFailed.delete(fail!)
    }
  }

  /** Starts the pool's replicas, once per wake. */
  wake(reason: string): void {
    if (this.state === 'waking') return
    const running = this.scaler.running(this.name)
    // Every replica that sleeps wakes (`max` bounds scaling with load, not a wake).
    const replicas = Math.min(this.settings.max ?? Infinity, Math.max(this.settings.min, 1, running + this.scaler.asleep(this.name)))
    this.state = 'waking'
    this.paused = false
    this.wakeStarted = this.now()
    this.deps.log.info(`pool "${this.name}": waking (${reason}): ${running} → ${replicas} replicas`)
    this.act('wake', running, replicas, 'stop', reason).then(
      (ok) => {
        if (!ok) this.wakeEnded(false)
      },
      () => {},
    )
  }

  /** Called every tick: activity, idle, load, and the state when nothing is under way. */
  tick(): void {
    const now = this.now()
    const list = this.members.list()
    let inflight = 0
    let ready = 0
    for (const up of list) {
      inflight += up.inflight
      if (up.available) ready++
    }
    const picks = this.members.picks
    if (picks !== this.lastPicks || inflight > 0 || this.queued > 0) this.lastActive = now
    this.lastPicks = picks
    this.activity.publish(this.lastActive, now)
    if (this.state === 'waking') {
      if (ready > 0) this.ready()
      else if (now - this.wakeStarted > this.settings.wake.timeout && !this.acting) this.wakeEnded(false)
      return
    }
    if (this.settings.target) this.load.add({ at: now, inflight, ready }, Math.max(this.settings.window, this.settings.idle.stop) + 1000)
    if (this.acting) return
    const running = this.scaler.running(this.name)
    const { min, idle } = this.settings
    const idleFor = now - this.activity.newest(this.lastActive)
    if (running > min && idle.pause !== undefined && !this.paused && idleFor >= idle.pause) {
      void this.actWhenIdle('pause', running, min, idle.pause)
    } else if ((running > min || this.paused) && idleFor >= idle.stop) {
      void this.actWhenIdle('sleep', running, min, idle.stop)
    } else if (this.settings.target && running > 0) {
      const policy = { target: this.settings.target.inflight, min, max: this.max(), window: this.settings.window, calm: idle.stop }
      const decision = this.load.decide(running, now, policy)
      if (decision) void this.act(decision.replicas > running ? 'out' : 'in', running, decision.replicas, 'stop', decision.reason)
    }
    this.state = this.sleeping() ? 'asleep' : 'awake'
  }

  private failWaiters(refusal: Refusal): void {
    for (const fail of this.wakeFailed) fail(refusal)
    this.wakeFailed.clear()
  }

  private max(): number {
    return this.settings.max ?? Math.max(this.settings.min, 1)
  }

  /** No replica runs, some can be woken. */
  private sleeping(): boolean {
    return this.scaler.running(this.name) === 0 && this.scaler.asleep(this.name) > 0
  }

  /** The first replica answered: the wake is over. */
  private ready(): void {
    if (this.state === 'waking') this.wakeEnded(true)
  }

  private wakeEnded(ok: boolean): void {
    for (const done of this.readyWaiters) done()
    if (this.state !== 'waking') return
    const ms = this.now() - this.wakeStarted
    this.state = ok ? 'awake' : this.sleeping() ? 'asleep' : 'awake'
    this.lastActive = this.now()
    this.deps.emit({ pool: this.name, action: ok ? 'ready' : 'wake-failed', from: 0, to: this.scaler.running(this.name), reason: ok ? 'first replica answered' : 'no replica answered', ms })
    if (ok) this.deps.log.info(`pool "${this.name}": awake after ${ms} ms`)
    else this.deps.log.warn(`pool "${this.name}": no replica ready ${ms} ms after the wake`)
  }

  /** Pause or sleep after `after` ms idle — with coordination, only when idle at every gateway. */
  private async actWhenIdle(action: 'pause' | 'sleep', running: number, min: number, after: number): Promise<void> {
    this.acting = `${action} check`
    let idle: boolean
    try {
      idle = await this.activity.idleFor(after, this.lastActive, this.now)
    } finally {
      this.acting = undefined
    }
    if (!idle) return
    this.paused = action === 'pause'
    const idleFor = this.now() - this.activity.newest(this.lastActive)
    await this.act(action, running, min, action === 'pause' ? 'pause' : 'stop', `idle for ${Math.round(idleFor / 1000)}s`)
  }

  /** Resolves once the wake under way ended (ready or not), or after `ms`. */
  private wakeOver(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => (clearTimeout(timer), this.readyWaiters.delete(done), resolve())
      const timer = setTimeout(done, ms)
      this.readyWaiters.add(done)
    })
  }

  /**
   * One scale action through the scaler; false when it failed (logged, emitted). With
   * coordination it runs only while this gateway holds the pool's lock — a wake holds it until the
   * pool is ready, so another gateway's requests wait for this wake instead of starting their own.
   */
  private async act(action: ScaleEvent['action'], from: number, to: number, how: 'stop' | 'pause', reason: string): Promise<boolean> {
    this.acting = reason
    const started = this.now()
    try {
      const session = this.deps.coordination?.()
      const run = async () => {
        if (action !== 'wake') this.deps.log.info(`pool "${this.name}": ${action} ${from} → ${to} replicas (${reason})`)
        await this.scaler.scale(this.name, to, { how, clone: this.settings.clone, reason })
        if (session && action === 'wake' && this.state === 'waking') await this.wakeOver(this.settings.wake.timeout)
      }
      if (session) {
        const outcome = await session.exclusive(`scale/${this.name}`, run)
        if (!outcome.ran) {
          this.deps.log.info(`pool "${this.name}": ${action} left to the gateway that holds the pool's lock`)
          return true
        }
      } else await run()
      this.deps.emit({ pool: this.name, action, from, to, reason, ms: this.now() - started })
      return true
    } catch (err) {
      const message = String((err as Error)?.message ?? err)
      this.deps.log.error(`pool "${this.name}": ${action} to ${to} replicas failed: ${message}`)
      this.deps.emit({ pool: this.name, action, from, to, reason, ms: this.now() - started, error: message })
      if (action === 'wake') this.failWaiters({ reason: 'wake-failed', retryAfter: 5, message: `could not be woken: ${message}` })
      return false
    } finally {
      this.acting = undefined
    }
  }
}
