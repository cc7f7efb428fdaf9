// `gatehouse-node-full`: the target configuration of issue #6 — the 100-route worst case
// (worst-case-routes.ts; request GET /api/v100/hello) with everything a production pool would
// have switched on: active health checks (GET / every 1s on each upstream), passive outlier
// detection on real traffic, and the metrics observer counting every request.
import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { outlierDetection } from 'gatehouse/plugins/outlier-detection'
import { metrics } from 'gatehouse/plugins/metrics'
import { benchListen, benchUpstreams } from './env.ts'
import { decoyPoolConfig, worstCaseRoutes } from './worst-case-routes.ts'

export default defineConfig({
  listen: benchListen,
  observe: [metrics()],
  pools: {
    bench: {
      upstreams: benchUpstreams,
      balancer: roundRobin(),
      health: activeHealth({ path: '/', interval: '1s' }),
      outlier: outlierDetection(),
    },
    decoy: decoyPoolConfig,
  },
  routes: worstCaseRoutes(100, 'bench', 'decoy'),
})
