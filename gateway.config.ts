// The embedded default: `npm start` serves this. Round robin over two DEMO upstreams that the
// gateway starts itself, plus registry.json: edit it while the gateway runs and its pools and
// routes apply within a second (no restart). Point `discovery` at your real sources for real use.
import { defineConfig } from 'gatehouse'
import { demoUpstreams } from 'gatehouse/plugins/demo'
import { file } from 'gatehouse/plugins/file'
import { roundRobin } from 'gatehouse/plugins/round-robin'

export default defineConfig({
  listen: { port: 8080 },
  discovery: [file({ path: 'registry.json' })],
  pools: {
    demo: { discovery: demoUpstreams({ count: 2 }), balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'demo' }],
})
