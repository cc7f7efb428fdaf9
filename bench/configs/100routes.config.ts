// `gatehouse-node-100routes`: the round-robin config behind a 100-route table, to show what
// route matching costs. The measured request (GET /api/v100/hello, Host 127.0.0.1) is built to
// be the table's worst case (worst-case-routes.ts):
//   routes   1-30  exact hosts  svcNNN.bench.test      -> a Map miss for Host 127.0.0.1
//   routes  31-50  wildcard     *.tenantNNN.bench.test -> a Map miss too
//   routes  51-100 host-less    /api/vNNN/*            -> one regex each, all with the same
//                  specificity, so they are tried in config order and route 100 (the one the
//                  request matches) comes after 49 failing patterns (for a plain scan; the
//                  pattern index of core/routing/pattern-index.ts skips them, see there).
// Routes 1-99 lead to a `decoy` pool whose upstream does not listen: if the request ever matched
// one of them, the bench would show 502s in its errors column instead of a plausible number.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'
import { decoyPoolConfig, worstCaseRoutes } from './worst-case-routes.ts'

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
    decoy: decoyPoolConfig,
  },
  routes: worstCaseRoutes(100, 'bench', 'decoy'),
})
