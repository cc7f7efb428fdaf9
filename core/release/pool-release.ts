/**
 * One pool's release: which version is stable, which one is rolling out, and the weights in
 * force (Flagger's and Argo Rollouts' canary loop, from the gateway's own measurements). It
 * outlives gateway states like the pool's members (it hangs on PoolMembers.release); the manager
 * (releases.ts) ticks it, and the request path reads only the weights, through the pool's cached
 * version table.
 *
 * - The first version seen is stable (or `release.stable`, or the one with most upstreams when
 *   several are there at once). A version that appears next is the candidate; it gets no traffic
 *   until one of its upstreams is available.
 * - canary: weights walk through `steps`; every tick the window is analysed (analysis.ts): a
 *   failure rolls the candidate back to 0 % at once and marks it failed; a pass after `interval`
 *   takes the next step; the last step (100) makes it stable and the old version drains.
 * - mirror: before a new version takes traffic, shadow copies of the stable version's requests
 *   (mirror.ts) must pass the analysis for an `interval`; a failure marks it failed.
 * - blue-green: all traffic moves once every upstream of the candidate is available; the old
 *   version may take it back (abort) for `keepWarm`.
 * - manual: weights only from the admin API.
 * Failed and drained versions stay out until all their upstreams have left.
 */
import type { ReleaseConfig } from '../config/release-schema.ts'
import type { ReleaseEvent } from '../gateway/events.ts'
import type { MemberRelease, PoolMembers } from '../pools/pool-members.ts'
import type { UpstreamRuntime } from '../pools/upstream-state.ts'
import type { Logger } from '../types.ts'
import { analyse, type Verdict } from './analysis.ts'
import { versionOf } from './version-table.ts'
import { MeasureWindow } from './window.ts'
import type { ActionResult, ReleaseView, SharedRelease, VersionRole } from './release-view.ts'
import { chooseStable, versionsPresent } from './versions-present.ts'
import { Mirror } from './mirror.ts'
import type { UpstreamProbe } from '../pools/upstream-probe.ts'

export interface PoolReleaseDeps {
  log: Logger
  emit: (event: ReleaseEvent) => void
  /** The runtime's probe client, for shadow copies (release.mirror). */
  send: UpstreamProbe
  now?: () => number
}

const FOLLOWING: ActionResult = { ok: false, message: 'another gateway decides this release (coordination): ask the gateway that leads it' }

export class PoolRelease implements MemberRelease {
  private stable: string | undefined
  private candidate: string | undefined
  private step = -1
  private stepStarted = 0
  private paused = false
  private weights = new Map<string, number>()
  private readonly settled = new Map<string, 'failed' | 'drained'>()
  private seen: string[] = []
  private windows = new Map<string, MeasureWindow>()
  private previous: { version: string; until: number } | undefined
  private last: ReleaseView['last']
  private readonly now: () => number
  private readonly mirror: Mirror
  /** The candidate's shadow copies passed (or no mirror is configured); when its mirror phase began. */
  private mirrorPassed = false
  private mirrorStarted = 0
  /** Another gateway decides (coordination): this one applies its published state and decides nothing. */
  following = false

  constructor(
    readonly name: string,
    private readonly members: PoolMembers,
    private settings: ReleaseConfig,
    private readonly deps: PoolReleaseDeps,
  ) {
    this.now = deps.now ?? Date.now
    this.mirror = new Mirror(deps.send, (up, error, ms) => this.observe(up, error, ms))
  }

  mirrorTarget(): string | undefined {
    return this.settings.mirror && this.candidate !== undefined && !this.settled.has(this.candidate) ? this.candidate : undefined
  }

  sampleMirror(version: string | undefined, method: string): boolean {
    const settings = this.settings.mirror
    return settings !== undefined && version === this.stable && this.mirror.sample(settings, method)
  }

  sendMirror(up: UpstreamRuntime, method: string, path: string, headers: readonly string[]): void {
    const settings = this.settings.mirror
    if (settings) void this.mirror.fire(up, Mirror.copyOf(method, path, headers, settings), settings)
    else this.mirror.cancel() // mirroring was configured away meanwhile
  }

  get currentSettings(): ReleaseConfig {
    return this.settings
  }

  /** The weights in force, the new version first. */
  currentWeights(): ReadonlyMap<string, number> {
    return this.weights
  }

  update(settings: ReleaseConfig): void {
    const relabel = settings.by !== this.settings.by
    this.settings = settings
    if (relabel) this.members.invalidate()
  }

  /** One try's outcome (core/proxy/attempt.ts): an error is a 5xx or a transport failure; `ms` to the response head. */
  observe(up: UpstreamRuntime, error: boolean, ms: number): void {
    const version = versionOf(up, this.settings.by)
    let w = this.windows.get(version)
    if (!w) this.windows.set(version, (w = new MeasureWindow()))
    w.add(error, ms)
  }

  tick(): void {
    if (this.following) return
    const now = this.now()
    const present = versionsPresent(this.members.list(), this.settings.by)
    for (const v of this.settled.keys()) if (!present.has(v)) this.settled.delete(v)
    if (this.previous && (!present.has(this.previous.version) || now > this.previous.until)) this.previous = undefined
    this.seen = this.seen.filter((v) => present.has(v))
    for (const v of present.keys()) if (!this.seen.includes(v)) this.seen.push(v)

    if (this.stable === undefined || !present.has(this.stable)) {
      const next = chooseStable(present, this.settled, this.settings.stable)
      if (next === undefined) return
      this.makeStable(next, 'stable', this.stable === undefined ? 'the first version serving' : `version "${this.stable}" left`)
    }
    if (this.settings.strategy === 'manual') return
    if (this.candidate === undefined) {
      this.candidate = this.seen.find((v) => v !== this.stable && !this.settled.has(v))
      if (this.candidate === undefined) return
      this.mirrorPassed = !this.settings.mirror
      this.mirrorStarted = 0
      this.members.invalidate() // the version table's mirror target
    }
    const candidate = this.candidate
    const c = present.get(candidate)
    if (!c) {
      if (this.step >= 0) this.rollback('its upstreams left')
      else this.candidate = undefined
      return
    }
    if (this.step < 0 && !this.mirrorPassed && c.available > 0 && !this.paused) {
      if (!this.shadowed(now)) return
    }
    if (this.settings.strategy === 'blue-green') {
      if (c.available > 0 && c.available === c.total && this.mirrorPassed) this.switchTo(candidate, now)
      return
    }
    if (this.step < 0) {
      if (c.available > 0 && !this.paused && this.mirrorPassed) this.goToStep(0, 'start', this.settings.mirror ? 'its shadow copies passed' : 'its upstreams are available')
      return
    }
    if (c.available === 0) return this.rollback('no upstream of it is available')
    if (this.paused) return
    const verdict = analyse(this.window(candidate), this.window(this.stable!), this.settings.analysis)
    if (verdict.result === 'fail') return this.rollback(verdict.reason, verdict)
    if (verdict.result === 'pass' && now - this.stepStarted >= this.settings.interval) this.goToStep(this.step + 1, 'step', verdict.reason, verdict)
  }

  /** The mirror phase: true once the candidate's copies passed the analysis for an interval; a failure rolls it back. */
  private shadowed(now: number): boolean {
    if (this.mirrorStarted === 0) {
      this.mirrorStarted = now
      this.resetWindows()
      return false
    }
    const verdict = analyse(this.window(this.candidate!), this.window(this.stable!), this.settings.analysis)
    if (verdict.result === 'fail') {
      this.rollback(`shadow copies: ${verdict.reason}`, verdict)
      return false
    }
    if (verdict.result !== 'pass' || now - this.mirrorStarted < this.settings.interval) return false
    this.mirrorPassed = true
    this.resetWindows()
    return true
  }

  promote(): ActionResult {
    if (this.following) return FOLLOWING
    const candidate = this.candidate
    if (candidate === undefined || !versionsPresent(this.members.list(), this.settings.by).get(candidate)?.available) return { ok: false, message: 'no new version with an available upstream to promote' }
    this.paused = false
    if (this.settings.strategy === 'blue-green') this.switchTo(candidate, this.now())
    else this.promoteCandidate('promoted by an operator')
    return { ok: true, message: `"${candidate}" is stable` }
  }

  pause(): ActionResult {
    if (this.following) return FOLLOWING
    if (this.paused) return { ok: true, message: 'already paused' }
    this.paused = true
    this.announce('pause', this.candidate ?? this.stable ?? '', 'paused by an operator')
    return { ok: true, message: 'paused: weights stay until resume' }
  }

  resume(): ActionResult {
    if (this.following) return FOLLOWING
    if (!this.paused) return { ok: true, message: 'not paused' }
    this.paused = false
    this.stepStarted = this.now()
    this.resetWindows()
    this.announce('resume', this.candidate ?? this.stable ?? '', 'resumed by an operator')
    return { ok: true, message: 'resumed' }
  }

  /** Rolls the rollout back (the candidate is marked failed); after a blue-green switch, switches back while the old version is warm. */
  abort(): ActionResult {
    if (this.following) return FOLLOWING
    if (this.candidate !== undefined && ((this.weights.get(this.candidate) ?? 0) > 0 || this.mirrorStarted > 0)) {
      const version = this.candidate
      this.rollback('aborted by an operator')
      return { ok: true, message: `"${version}" rolled back` }
    }
    if (this.previous && this.stable !== undefined) {
      const back = this.previous.version
      const failed = this.stable
      this.previous = undefined
      this.settled.delete(back)
      this.settled.set(failed, 'failed')
      this.candidate = undefined
      this.makeStable(back, 'switch-back', `switched back from "${failed}" by an operator`)
      return { ok: true, message: `"${back}" is stable again` }
    }
    return { ok: false, message: 'nothing to abort: no rollout under way' }
  }

  /** Operator weights (percent, summing to 100, versions with upstreams only). A canary under way pauses: the operator has taken over. */
  setWeights(input: Record<string, unknown>): ActionResult {
    if (this.following) return FOLLOWING
    const present = versionsPresent(this.members.list(), this.settings.by)
    const next = new Map<string, number>()
    let sum = 0
    for (const [version, weight] of Object.entries(input)) {
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) return { ok: false, message: `weights.${version}: expected a percentage from 0 to 100` }
      if (!present.has(version)) return { ok: false, message: `weights.${version}: no upstream of the pool has ${this.settings.by}=${version}` }
      sum += weight
      if (weight > 0) next.set(version, weight)
    }
    if (Math.abs(sum - 100) > 0.001) return { ok: false, message: `weights: expected a sum of 100, got ${sum}` }
    for (const v of next.keys()) this.settled.delete(v)
    if (this.settings.strategy === 'canary' && this.candidate !== undefined) this.paused = true
    this.setWeightsMap(next)
    this.announce('weights', [...next.keys()].join(','), 'set by an operator')
    return { ok: true, message: 'weights set' }
  }

  /** The rollout as other gateways follow it. */
  shared(): SharedRelease {
    return {
      stable: this.stable, candidate: this.candidate, step: this.step, stepStarted: this.stepStarted, paused: this.paused,
      weights: [...this.weights], settled: [...this.settled], previous: this.previous, last: this.last,
      mirrorPassed: this.mirrorPassed, mirrorStarted: this.mirrorStarted,
    }
  }

  /** Takes the deciding gateway's rollout; its decisions are announced here too (logs, events, metrics), marked as followed. */
  follow(s: SharedRelease): void {
    const weightsChanged = JSON.stringify(s.weights) !== JSON.stringify([...this.weights])
    const candidateChanged = s.candidate !== this.candidate
    if (s.stepStarted !== this.stepStarted || s.stable !== this.stable) this.resetWindows()
    this.stable = s.stable
    this.candidate = s.candidate
    this.step = s.step
    this.stepStarted = s.stepStarted
    this.paused = s.paused
    this.settled.clear()
    for (const [v, how] of s.settled) this.settled.set(v, how)
    this.previous = s.previous
    this.mirrorPassed = s.mirrorPassed
    this.mirrorStarted = s.mirrorStarted
    if (weightsChanged) this.weights = new Map(s.weights)
    if (weightsChanged || candidateChanged) this.members.invalidate()
    const last = s.last
    if (last && (last.time !== this.last?.time || last.action !== this.last?.action)) {
      this.last = last
      const event: ReleaseEvent = { pool: this.name, action: last.action, version: last.version, weights: Object.fromEntries(this.weights), reason: `${last.reason} (decided by another gateway)`, figures: last.figures }
      this.deps.log.info(`pool "${this.name}": release ${last.action} "${last.version}": ${event.reason}`, { weights: event.weights })
      this.deps.emit(event)
    }
  }

  view(): ReleaseView {
    const present = versionsPresent(this.members.list(), this.settings.by)
    const versions = [...new Set([...this.seen, ...present.keys()])].map((name) => {
      const c = present.get(name) ?? { total: 0, available: 0 }
      const w = this.windows.get(name)
      return {
        name, role: this.role(name), upstreams: c.total, available: c.available, weight: this.weights.get(name) ?? 0,
        requests: w?.requests ?? 0, errorRate: w?.errorRate ?? 0, p99Ms: w?.p99() ?? 0,
      }
    })
    return {
      by: this.settings.by, strategy: this.settings.strategy, stable: this.stable, candidate: this.candidate,
      step: this.step >= 0 ? this.step : undefined, steps: this.settings.steps, paused: this.paused, following: this.following,
      weights: Object.fromEntries(this.weights), versions, last: this.last, previous: this.previous,
      mirror: this.settings.mirror && { percent: this.settings.mirror.percent, sent: this.mirror.sent, skipped: this.mirror.skipped, inflight: this.mirror.inflight, passed: this.mirrorPassed },
    }
  }

  private role(name: string): VersionRole {
    if (name === this.stable) return 'stable'
    const settled = this.settled.get(name)
    if (settled) return settled
    if (name === this.candidate) return this.step >= 0 ? 'canary' : 'waiting'
    return 'other'
  }

  private window(version: string): MeasureWindow {
    let w = this.windows.get(version)
    if (!w) this.windows.set(version, (w = new MeasureWindow()))
    return w
  }

  private resetWindows(): void {
    this.windows = new Map()
  }

  private goToStep(step: number, action: 'start' | 'step', reason: string, verdict?: Verdict): void {
    const candidate = this.candidate!
    const weight = this.settings.steps[step]
    if (weight === undefined || weight >= 100) return this.promoteCandidate(reason, verdict)
    this.step = step
    this.stepStarted = this.now()
    this.resetWindows()
    this.setWeightsMap(new Map([[candidate, weight], [this.stable!, 100 - weight]]))
    this.announce(action, candidate, `${reason}; step ${step + 1}/${this.settings.steps.length}: ${weight}%`, verdict)
  }

  private promoteCandidate(reason: string, verdict?: Verdict): void {
    const old = this.stable
    if (old !== undefined) this.settled.set(old, 'drained')
    this.makeStable(this.candidate!, 'promote', old !== undefined ? `${reason}; "${old}" drains` : reason, verdict)
  }

  private switchTo(candidate: string, now: number): void {
    const old = this.stable!
    this.settled.set(old, 'drained')
    this.previous = { version: old, until: now + this.settings.keepWarm }
    this.makeStable(candidate, 'switch', `every upstream of it is available; "${old}" stays warm for ${this.settings.keepWarm} ms`)
  }

  private rollback(reason: string, verdict?: Verdict): void {
    const version = this.candidate!
    this.settled.set(version, 'failed')
    this.candidate = undefined
    this.step = -1
    this.paused = false
    this.setWeightsMap(new Map([[this.stable!, 100]]))
    this.announce('rollback', version, reason, verdict)
  }

  private makeStable(version: string, action: ReleaseEvent['action'], reason: string, verdict?: Verdict): void {
    this.stable = version
    if (this.candidate === version) this.candidate = undefined
    this.step = -1
    this.paused = false
    this.resetWindows()
    this.setWeightsMap(new Map([[version, 100]]))
    this.announce(action, version, reason, verdict)
  }

  private setWeightsMap(weights: Map<string, number>): void {
    this.weights = weights
    this.members.invalidate() // pools rebuild their version table
  }

  private announce(action: ReleaseEvent['action'], version: string, reason: string, verdict?: Verdict): void {
    const figs = verdict && { canary: verdict.canary, stable: verdict.stable }
    const event: ReleaseEvent = { pool: this.name, action, version, weights: Object.fromEntries(this.weights), reason, figures: figs }
    this.last = { time: this.now(), action, version, reason, figures: figs }
    const text = `pool "${this.name}": release ${action} "${version}": ${reason}`
    const fields = { weights: event.weights, ...(figs ? { canary: figs.canary, stable: figs.stable } : {}) }
    if (action === 'rollback') this.deps.log.warn(text, fields)
    else this.deps.log.info(text, fields)
    this.deps.emit(event)
  }
}
