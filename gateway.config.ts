// The embedded default: `npm start` serves this. It balances round robin over two DEMO upstreams
// that the gateway starts itself; point `discovery` at your real ones (static, file, docker, etcd, dns).
import { defineConfig } from 'gatehouse'
import { demoUpstreams } from 'gatehouse/plugins/demo'
import { roundRobin } from 'gatehouse/plugins/round-robin'

export default defineConfig({
  listen: { port: 8080 },
  pools: {
    demo: { discovery: demoUpstreams({ count: 2 }), balancer: roundRobin() },
  },
  routes: [{ path: '/*', pool: 'demo' }],
})
