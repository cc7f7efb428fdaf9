/**
 * Why a limit on concurrent upstream exchanges: Bun's fetch keeps at most 64 idle keep-alive
 * connections per process (all origins together) and closes any connection that finishes while
 * that pool is full. With more than 64 requests in flight the gateway therefore opens a new
 * upstream connection for nearly every request (measured: ~19,000 connections in 3 s at 200
 * concurrent clients). Holding exchanges to fewer than 64 keeps every connection reusable.
 *
 * The limit fails open, so it can never stall the gateway: a request waits at most `maxWaitMs`
 * for a slot, then goes anyway (its connection may then be closed after use), and an exchange
 * that lasts longer than `holdMs` (an event stream, a big upload) gives its slot back early.
 */
export type Release = () => void

const noop: Release = () => {}

export class FetchSlots {
  #free: number
  readonly #waiting: ((release: Release) => void)[] = []

  constructor(
    readonly size = 56,
    readonly maxWaitMs = 100,
    readonly holdMs = 1_000,
  ) {
    this.#free = size
  }

  acquire(): Release | Promise<Release> {
    if (this.#free > 0) {
      this.#free--
      return this.#slot()
    }
    return new Promise<Release>((resolve) => {
      const take = (release: Release) => {
        clearTimeout(timer)
        resolve(release)
      }
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(take)
        if (i !== -1) this.#waiting.splice(i, 1)
        resolve(noop)
      }, this.maxWaitMs)
      this.#waiting.push(take)
    })
  }

  #slot(): Release {
    let held = true
    const release = () => {
      if (!held) return
      held = false
      clearTimeout(timer)
      const next = this.#waiting.shift()
      if (next) next(this.#slot())
      else this.#free++
    }
    const timer = setTimeout(release, this.holdMs)
    return release
  }
}
