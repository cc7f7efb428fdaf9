// `gatehouse-node-100routes`: the round-robin config behind a 100-route table, to show what
// route matching costs. The measured request (GET /api/v100/hello, Host 127.0.0.1) is built to
// be the table's worst case (see core/routing/route-table.ts for the lookup order):
//   routes   1-30  exact hosts  svcNN.bench.test      -> a Map miss for Host 127.0.0.1
//   routes  31-50  wildcard     *.tenantNN.bench.test -> a Map miss too
//   routes  51-100 host-less    /api/vNNN/*           -> one regex each, all with the same
//                  specificity, so they are tried in config order and route 100 (the one the
//                  request matches) comes after 49 failing patterns.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'

const pad = (n: number) => String(n).padStart(3, '0')
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

// Every route points at the same pool: only the matching work differs from `round-robin`.
const routes = [
  ...range(1, 30).map((n) => ({ host: `svc${pad(n)}.bench.test`, path: '/*', pool: 'bench' })),
  ...range(31, 50).map((n) => ({ host: `*.tenant${pad(n)}.bench.test`, path: '/api/*', pool: 'bench' })),
  ...range(51, 100).map((n) => ({ path: `/api/v${pad(n)}/*`, pool: 'bench' })),
]

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes,
})
