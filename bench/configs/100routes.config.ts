// `gatehouse-node-100routes`: the round-robin config behind a 100-route table, to show what
// route matching costs. The measured request (GET /api/v100/hello, Host 127.0.0.1) is built to
// be the table's worst case (see core/routing/route-table.ts for the lookup order):
//   routes   1-30  exact hosts  svcNNN.bench.test      -> a Map miss for Host 127.0.0.1
//   routes  31-50  wildcard     *.tenantNNN.bench.test -> a Map miss too
//   routes  51-100 host-less    /api/vNNN/*            -> one regex each, all with the same
//                  specificity, so they are tried in config order and route 100 (the one the
//                  request matches) comes after 49 failing patterns.
// Routes 1-99 lead to a `decoy` pool whose upstream does not listen: if the request ever matched
// one of them, the bench would show 502s in its errors column instead of a plausible number.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'

const pad = (n: number) => String(n).padStart(3, '0')
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

const routes = [
  ...range(1, 30).map((n) => ({ host: `svc${pad(n)}.bench.test`, path: '/*', pool: 'decoy' })),
  ...range(31, 50).map((n) => ({ host: `*.tenant${pad(n)}.bench.test`, path: '/api/*', pool: 'decoy' })),
  ...range(51, 99).map((n) => ({ path: `/api/v${pad(n)}/*`, pool: 'decoy' })),
  { path: '/api/v100/*', pool: 'bench' },
]

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
    decoy: { upstreams: ['http://127.0.0.1:18099'], retries: 0 },
  },
  routes,
})
