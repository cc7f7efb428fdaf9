// A discovery source for the `gatehouse-node-churn` row: real discovery through the plugin
// contract (DESIGN.md §3, like plugins/static), publishing a whole new snapshot every `everyMs`:
// the `base` upstreams plus a window of `window` consecutive `rotating` ones that slides by one
// each time. So every snapshot is one upstream leaving (it drains: in-flight requests finish) and
// another joining, and each rotating upstream stays window × everyMs (a fleet whose containers are
// replaced one at a time), rather than a few ms, which would measure little but TCP connects.
// It counts what it really published (timers run late on a busy event loop; late ones are caught
// up, see publish) and logs the running total once a second as
// `churn: published=<total> last1s=<n>`; run.sh's report reads that.
import type { DiscoveryPlugin } from 'gatehouse'

export function churn(opts: { base: string[]; rotating: string[]; window: number; everyMs: number }): DiscoveryPlugin {
  return {
    name: 'bench-churn',
    start({ emit, signal, pool, log }) {
      if (!pool) throw new Error('churn() must be used under pools.<name>.discovery')
      let published = 0
      let lastSecond = 0
      let tick: ReturnType<typeof setTimeout> | undefined
      let t0 = performance.now()
      const publish = () => {
        const n = opts.rotating.length
        const window = Array.from({ length: Math.min(opts.window, n) }, (_, i) => opts.rotating[(published + i) % n]!)
        emit({ pools: { [pool]: [...opts.base, ...window] } })
        published++
        // Next one due at t0 + published * everyMs: a late timer (busy event loop) is caught up by
        // the following ones firing at once, so the rate holds at 1000/everyMs while the loop can.
        // More than 1 s behind (the bench SIGSTOPs this gateway between its runs): start afresh.
        const now = performance.now()
        if (now - (t0 + published * opts.everyMs) > 1000) t0 = now - published * opts.everyMs
        tick = setTimeout(publish, Math.max(0, t0 + published * opts.everyMs - now))
      }
      publish() // the first snapshot at once, so the pool serves from start-up
      let lastReport = performance.now()
      const report = setInterval(() => {
        // A rate only over a real second: after a SIGSTOP (see run.sh T_PAUSE) the interval is longer.
        const now = performance.now()
        if (now - lastReport < 1500) log.info(`churn: published=${published} last1s=${published - lastSecond}`)
        else log.info(`churn: published=${published} (resumed after ${((now - lastReport) / 1000).toFixed(0)} s)`)
        lastSecond = published
        lastReport = now
      }, 1000)
      signal.addEventListener('abort', () => {
        clearTimeout(tick)
        clearInterval(report)
        log.info(`churn: published=${published} (stopped)`)
      })
    },
  } satisfies DiscoveryPlugin
}
