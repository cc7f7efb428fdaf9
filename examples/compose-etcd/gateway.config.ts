// Seed 004 the Gatehouse way: the app's replicas put themselves into etcd under /app/servers/
// (`gatehouse register`), the gateway follows that prefix live: no confd, no template, no reload.
import { defineConfig } from 'gatehouse'
import { etcd } from 'gatehouse/plugins/etcd'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { metrics } from 'gatehouse/plugins/metrics'
import { accessLog } from 'gatehouse/plugins/access-log'
import { admin } from 'gatehouse/plugins/admin'

const m = metrics()

export default defineConfig({
  listen: { port: 8080 },
  pools: {
    app: {
      discovery: etcd({ endpoints: ['http://etcd:2379'], prefix: '/app/servers/' }),
      // HAProxy's `check inter 2000 rise 2 fall 5`, on a path that does not touch redis.
      health: activeHealth({ path: '/health', interval: '2s', rise: 2, fall: 5 }),
      retries: 2, // `option redispatch` + `retries 2`
      timeouts: { connect: '5s', firstByte: '5s' }, // `timeout connect 5000ms`, `timeout server 5000ms`
    },
  },
  routes: [{ name: 'ping', path: '/*', pool: 'app' }],
  observe: [
    m,
    accessLog(),
    // Bound to 0.0.0.0 inside the container so the published port reaches it: a token is required.
    admin({ listen: { host: '0.0.0.0', port: 9901 }, token: process.env.GATEHOUSE_ADMIN_TOKEN, metrics: m }),
  ],
})
