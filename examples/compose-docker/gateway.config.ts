// Seed 002 the Gatehouse way: the gateway watches Docker itself (Synapse's Docker watcher and
// HAProxy in one process) and serves every running container of the image local/nodeapp.
import { defineConfig } from 'gatehouse'
import { docker } from 'gatehouse/plugins/docker'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { metrics } from 'gatehouse/plugins/metrics'
import { accessLog } from 'gatehouse/plugins/access-log'
import { admin } from 'gatehouse/plugins/admin'

const m = metrics()

export default defineConfig({
  listen: { port: 8080 },
  pools: {
    nodesrv: {
      // Synapse: "method": "docker", "image_name": "local/nodeapp", "container_port": 8000.
      // The gateway shares the apps' network, so it dials container addresses on it.
      discovery: docker({ image: 'local/nodeapp', containerPort: 8000, network: 'gatehouse-apps' }),
      // HAProxy: "option httpchk /", "http-check expect string Hello".
      health: activeHealth({ path: '/', expect: { body: 'Hello' } }),
    },
  },
  routes: [{ name: 'nodesrv', path: '/*', pool: 'nodesrv' }],
  observe: [
    m,
    accessLog(),
    admin({ listen: { host: '0.0.0.0', port: 9901 }, token: process.env.GATEHOUSE_ADMIN_TOKEN, metrics: m }),
  ],
})
