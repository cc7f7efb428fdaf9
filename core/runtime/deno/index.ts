/** The Deno runtime: Deno.serve serving, undici upstream client over node:net, process facts. */
import type { Runtime } from '../types.ts'
import { http2Upstreams } from '../node-http2/listeners.ts'
import { nodeHealthCheck } from '../node/health-check.ts'
import { nodeCompatibleIO } from '../plugin-io/index.ts'
import { processStatsReader } from '../io/process-stats.ts'
import { deno } from './api.ts'
import { importModule } from './import-module.ts'
import { denoRequest } from './request.ts'
import { webCompression } from '../web/compression.ts'
import { processAlive } from '../io/process-alive.ts'
import { readSecret } from '../io/read-secret.ts'
import { denoServe } from './serve.ts'
import { denoTransport } from './transport.ts'

// Without --allow-env for a variable, Deno throws; a variable we may not read is unset.
function env(name: string): string | undefined {
  try {
    return deno.env.get(name)
  } catch {
    return undefined
  }
}

export const denoRuntime: Runtime = {
  name: 'deno',
  // Deno.serve negotiates h2 by ALPN over TLS, and its plain listener always takes h2c prior knowledge too;
  // a Web Response carries no trailers, so no gRPC to clients (node-http2/listeners.ts says why not Deno's node:http2).
  http2: { tls: true, h2c: true, trailers: false },
  request: denoRequest,
  transport: http2Upstreams(denoTransport),
  serve: denoServe,
  // The same undici probe as Node's (fetch on Deno ignores a Host header and decompresses bodies).
  io: nodeCompatibleIO({ serve: denoServe, healthCheck: nodeHealthCheck, env, processStats: processStatsReader({ runtime: { name: 'deno', version: deno.version.deno }, fds: false }) }),
  args: deno.args,
  cwd: () => deno.cwd(),
  env,
  exit: (code) => deno.exit(code),
  onSignal: (signal, fn) => deno.addSignalListener(signal, fn),
  pid: deno.pid,
  kill: (pid, signal) => deno.kill(pid, signal),
  writeTextFile: (path, text) => deno.writeTextFile(path, text),
  removeFile: (path) => deno.remove(path).catch((err: Error) => (err.name === 'NotFound' ? undefined : Promise.reject(err))),
  importModule,
  readSecret,
  processAlive,
  compression: webCompression,
}
