// `gatehouse-node-metrics`: the round-robin row with the metrics observer counting every request
// (code, method, sizes, durations) — its cost on the request path, compared with `gatehouse-node`.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { metrics } from 'gatehouse/plugins/metrics'
import { benchListen, benchUpstreams } from './env.ts'

export default defineConfig({
  listen: benchListen,
  observe: [metrics()],
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
