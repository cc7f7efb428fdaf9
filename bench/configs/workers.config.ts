// `gatehouse-*-workers`: round-robin.config.ts served by BENCH_WORKERS worker processes (default
// 2) and a primary. The workers inherit the proxy's CPU pinning: on the 2-core box (wrk needs the
// other core) they share one core, so the row shows the cost of N processes (cpu%, rps/core), not
// their speed-up; PROXY_CPU=1-7 on a bigger machine gives them a core each.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'

export default defineConfig({
  listen: benchListen,
  workers: Number(process.env.BENCH_WORKERS ?? 2),
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
