// `gatehouse-node-routes-<N>` (growth rows): the 100routes worst case at any size, N from
// BENCH_ROUTES (1…10000); the bench requests GET /api/v<N>/hello, which matches the last route.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'
import { decoyPoolConfig, worstCaseRoutes } from './worst-case-routes.ts'

const n = Number(process.env.BENCH_ROUTES ?? 100)
if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_ROUTES must be a positive integer, got ${process.env.BENCH_ROUTES}`)

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
    decoy: decoyPoolConfig,
  },
  routes: worstCaseRoutes(n, 'bench', 'decoy'),
})
