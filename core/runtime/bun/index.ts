/** The Bun runtime: Bun.serve serving, the own HTTP/1.1 upstream client over Bun.connect, process facts. */
import type { Runtime } from '../types.ts'
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
  // Bun.serve (1.4.5) agrees to no ALPN protocol and answers HTTP/1.1 only; a cleartext preface is no request to it.
  http2: { tls: false, h2c: false, why: 'Bun.serve speaks HTTP/1.1 only (Bun 1.4.5)' },
  request: bunRequest,
  transport: bunTransport,
  io: nodeCompatibleIO({ serve: bunServe, healthCheck: bunHealthCheck, env: processFacts.env, processStats: processStatsReader({ runtime: { name: 'bun', version: process.versions.bun ?? '' }, fds: true }) }),
  serve: bunServe,
  ...processFacts,
  importModule,
  readSecret,
  processAlive,
  workers: forkedWorkers,
  compression: webCompression,
}
