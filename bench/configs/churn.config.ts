// `gatehouse-node-churn`: one pool whose membership changes 100 times a second during the run
// (churn-discovery.ts): the 2 base upstreams (BENCH_UPSTREAMS) stay, plus a window of
// BENCH_CHURN_WINDOW (100) of the rotating upstreams in BENCH_CHURN_UPSTREAMS (extra ports the
// upstream nginx also listens on), sliding by one every BENCH_CHURN_MS (10 ms): one upstream
// leaves and one joins 100 times a second, each staying ~1 s. Round robin spreads requests over
// all of them, so a draining upstream dropping requests would show as errors. Compare with
// gatehouse-node-up-100 (the same pool size, no churn).
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'
import { churn } from './churn-discovery.ts'

const rotating = (process.env.BENCH_CHURN_UPSTREAMS ?? 'http://127.0.0.1:19000,http://127.0.0.1:19500').split(',')

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: {
      discovery: churn({
        base: benchUpstreams,
        rotating,
        window: Number(process.env.BENCH_CHURN_WINDOW ?? 100),
        everyMs: Number(process.env.BENCH_CHURN_MS ?? 10),
      }),
      balancer: roundRobin(),
    },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
