/** The Deno runtime: Deno.serve serving, undici upstream client over node:net, process facts. */
import type { Runtime } from '../types.ts'
import { nodeHealthCheck } from '../node/health-check.ts'
import { deno } from './api.ts'
import { importModule } from './import-module.ts'
import { webCompression } from '../web/compression.ts'
import { processAlive } from '../io/process-alive.ts'
import { readSecret } from '../io/read-secret.ts'
import { denoInbound } from './inbound.ts'
import { denoServe } from './serve.ts'
import { denoTransport } from './transport.ts'

export const denoRuntime: Runtime = {
  name: 'deno',
  inbound: denoInbound,
  transport: denoTransport,
  // The same undici probe as Node's (fetch on Deno ignores a Host header and decompresses bodies).
  healthCheck: nodeHealthCheck,
  serve: denoServe,
  args: deno.args,
  cwd: () => deno.cwd(),
  // Without --allow-env for a variable, Deno throws; a variable we may not read is unset.
  env(name) {
    try {
      return deno.env.get(name)
    } catch {
      return undefined
    }
  },
  exit: (code) => deno.exit(code),
  onSignal: (signal, fn) => deno.addSignalListener(signal, fn),
  importModule,
  readSecret,
  processAlive,
  compression: webCompression,
}
