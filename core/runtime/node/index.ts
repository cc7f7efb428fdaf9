/** The Node runtime: node:http serving, undici upstream client, process facts. */
import type { Runtime } from '../types.ts'
import { processFacts } from '../io/process-facts.ts'
import { nodeCompatibleIO } from '../plugin-io/index.ts'
import { processStatsReader } from '../io/process-stats.ts'
import { nodeGcSeconds } from './gc-time.ts'
import { nodeHealthCheck } from './health-check.ts'
import { importModule } from './import-module.ts'
import { nodeRequest } from './request.ts'
import { nodeCompression } from './compression.ts'
import { processAlive } from '../io/process-alive.ts'
import { readSecret } from '../io/read-secret.ts'
import { forkedWorkers } from '../io/workers.ts'
import { nodeServe } from './serve.ts'
import { nodeTlsAlpnChallenges } from './tls.ts'
import { nodeTransport } from './transport.ts'

export const nodeRuntime: Runtime = {
  name: 'node',
  tlsAlpnChallenges: nodeTlsAlpnChallenges,
  http2: { tls: true, h2c: true },
  request: nodeRequest,
  transport: nodeTransport,
  io: nodeCompatibleIO({ serve: nodeServe, healthCheck: nodeHealthCheck, env: processFacts.env, processStats: processStatsReader({ runtime: { name: 'node', version: process.versions.node }, fds: true, gcSeconds: nodeGcSeconds }) }),
  serve: nodeServe,
  ...processFacts,
  importModule,
  readSecret,
  processAlive,
  workers: forkedWorkers,
  compression: nodeCompression,
}
