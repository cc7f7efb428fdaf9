// `gatehouse-node` (and later -bun/-deno): one catch-all route, round robin over the 2 upstreams.
// The smallest useful config, so the figure is the cost of the forwarding path itself.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
