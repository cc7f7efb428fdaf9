/**
 * The shape both per-pool control loops share (core/scale/scaling.ts, core/release/releases.ts):
 * one long-lived object per pool, matched to the state's pools by `sync()`, and one timer that
 * syncs and ticks each of them every TICK_MS, a failing one logged without stopping the others.
 */
import type { Logger } from '../logger.ts'

const TICK_MS = 250

export abstract class PoolLoops<T extends { readonly name: string; tick(): void }> {
  protected readonly pools = new Map<string, T>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    /** What the loop does, for its log line ("scaling", "release"). */
    private readonly what: string,
    private readonly loopLog: Logger,
  ) {}

  /** Creates, updates or drops each pool's object to match the state in force. */
  abstract sync(): void

  /** Lets go of a pool's object (its pool left, or no longer qualifies). */
  protected abstract drop(name: string): void

  /** Runs after every pool ticked (shared state between gateways, say). */
  protected afterTick(): void {}

  start(): void {
    this.tick()
    this.timer ??= setInterval(() => this.tick(), TICK_MS)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    for (const name of [...this.pools.keys()]) this.drop(name)
  }

  tick(): void {
    this.sync()
    for (const pool of this.pools.values()) {
      try {
        pool.tick()
      } catch (err) {
        this.loopLog.error(`pool "${pool.name}": ${this.what} tick failed`, { error: String((err as Error)?.stack ?? err) })
      }
    }
    this.afterTick()
  }
}
