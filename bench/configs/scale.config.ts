// `gatehouse-node-scale`: the round-robin row with `scale` configured on an awake pool — the cost
// of the serverless half when nothing sleeps (per-request activity counting, the readiness flag,
// the control loop's ticks). The upstreams are the bench's nginx pair; their "engine" is a scaler
// that reports both running and never needs to act (the bench does not stop nginx).
import { defineConfig } from 'gatehouse'
import type { DiscoveryPlugin } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { benchListen, benchUpstreams } from './env.ts'

const alwaysRunning: DiscoveryPlugin = {
  kind: 'discovery',
  name: 'benchReplicas',
  start(ctx) {
    ctx.scaler?.({ asleep: () => 0, running: () => benchUpstreams.length, scale: async () => {} })
    ctx.emit({ pools: { bench: benchUpstreams } })
  },
}

export default defineConfig({
  listen: benchListen,
  pools: {
    bench: { discovery: alwaysRunning, balancer: roundRobin(), scale: { min: 0, idle: '1h', target: { inflight: 1000 }, max: 2 } },
  },
  routes: [{ path: '/*', pool: 'bench' }],
})
