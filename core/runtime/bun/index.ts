/** The Bun runtime: Bun.serve serving, the own HTTP/1.1 upstream client over Bun.connect, process facts. */
import type { Runtime } from '../types.ts'
import { nodeHttp2Listeners } from '../node-http2/listeners.ts'
import { processFacts } from '../io/process-facts.ts'
import { nodeCompatibleIO } from '../plugin-io/index.ts'
import { processStatsReader } from '../io/process-stats.ts'
import { bunHealthCheck } from './health-check.ts'
import { importModule } from './import-module.ts'
import { bunRequest } from './request.ts'
import { webCompression } from '../web/compression.ts'
import { processAlive } from '../io/process-alive.ts'
import { readSecret } from '../io/read-secret.ts'
import { forkedWorkers } from '../io/workers.ts'
import { bunServe } from './serve.ts'
import { bunTransport } from './transport.ts'

export const bunRuntime: Runtime = {
  name: 'bun',
  // Bun.serve (1.4.5) speaks HTTP/1.1 only: HTTP/2 listeners run on Bun's node:http2 (node-http2/listeners.ts).
  http2: { tls: true, h2c: true },
  ...nodeHttp2Listeners({ serve: bunServe, request: bunRequest, transport: bunTransport }),
  io: nodeCompatibleIO({ serve: bunServe, healthCheck: bunHealthCheck, env: processFacts.env, processStats: processStatsReader({ runtime: { name: 'bun', version: process.versions.bun ?? '' }, fds: true }) }),
  ...processFacts,
  importModule,
  readSecret,
  processAlive,
  workers: forkedWorkers,
  compression: webCompression,
}
