// `gatehouse-node-jwt`: the round-robin config with its one route behind the jwt plugin (HS256,
// secret from BENCH_JWT_SECRET). run.sh signs a long-lived token with the same secret and wrk
// sends it as `Authorization: Bearer …`; without it every request would be a 401 (an error row).
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { jwt } from 'gatehouse/plugins/jwt'
import { benchListen, benchUpstreams } from './env.ts'

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { upstreams: benchUpstreams, balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'bench', use: [jwt({ secret: process.env.BENCH_JWT_SECRET ?? '', algorithms: ['HS256'] })] }],
})
