// `gatehouse-node-release` and `gatehouse-node-mirror`: the round-robin row with versions — v1
// (the bench's nginx pair) stable, v2 at 0 % (`manual`: weights only by hand) — the cost of the
// version table and the per-try measurements. With BENCH_MIRROR=1 a canary of v2 waits in its
// mirror phase (the analysis never decides: minRequests is out of reach) and every request is
// copied to v2, an address that accepts connections and never answers (started here): the
// primary's figures against `gatehouse-node` show what a hanging mirror target costs it.
import { createServer } from 'node:net'
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'

const mirror = process.env.BENCH_MIRROR === '1'
const hanging = createServer(() => {}) // accepts, reads nothing, answers nothing
hanging.unref() // never what keeps a process alive (`gatehouse check`)
await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
const hangingUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: {
      upstreams: [...benchUpstreams.map((url) => ({ url, labels: { version: 'v1' } })), { url: hangingUrl, labels: { version: 'v2' } }],
      balancer: roundRobin(),
      release: {
        stable: 'v1',
        strategy: mirror ? 'canary' : 'manual',
        interval: '1h',
        analysis: { minRequests: 10_000_000 },
        ...(mirror ? { mirror: { percent: 100, timeout: '5s', maxInflight: 100 } } : {}),
      },
    },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
