/**
 * Timeouts without a timer per request: exchanges arm a deadline (a Set insert) and one shared
 * interval fires those that passed. At tens of thousands of requests a second, setTimeout plus
 * clearTimeout per phase costs more than the exchange's parsing; the price is up to TICK_MS of lateness.
 */
const TICK_MS = 20

export class Deadline {
  at = 0
  constructor(readonly fire: () => void) {}
}

const armed = new Set<Deadline>()
let ticker: ReturnType<typeof setInterval> | undefined

export function arm(d: Deadline, ms: number): void {
  d.at = Date.now() + ms
  armed.add(d)
  ticker ??= setInterval(tick, TICK_MS)
}

export function disarm(d: Deadline): void {
  armed.delete(d)
}

function tick(): void {
  if (armed.size === 0) {
    clearInterval(ticker) // nothing to watch: let the process exit
    ticker = undefined
    return
  }
  const now = Date.now()
  for (const d of armed) {
    if (d.at > now) continue
    armed.delete(d)
    d.fire()
  }
}
