// `gatehouse-node-tracing` and `-tracing-0`: the round-robin row with the tracing() observer, every
// request traced (BENCH_SAMPLE=1) or every new trace sampled out (0): the cost of spans on the
// request path and of exporting them, compared with `gatehouse-node`. The spans go to the first
// nginx upstream, which answers any POST 200 (a collector that accepts at once).
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { tracing } from 'gatehouse/plugins/tracing'
import { benchListen, benchUpstreams } from './env.ts'

export default defineConfig({
  listen: benchListen,
  observe: [tracing({ endpoint: `${benchUpstreams[0]}/v1/traces`, sampleRatio: Number(process.env.BENCH_SAMPLE ?? 1) })],
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
