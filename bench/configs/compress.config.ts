// `gatehouse-node-gzip/-br/-zstd`: the round-robin config with compress() on its route; wrk asks
// for one encoding per row, and the page (/text, 16 KiB of HTML) is compressed on every request.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { compress } from 'gatehouse/plugins/compress'
import { benchListen, benchUpstreams } from './env.ts'

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'bench', use: [compress()] }],
})
