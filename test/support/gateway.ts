// Gateways for tests: in-process (fast, for behaviour) or as a real CLI process (for RSS, signals).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { validateConfig } from '../../core/config/validate.ts'
import { createGateway, type Gateway } from '../../core/gateway/create-gateway.ts'
import { createLogger, silentLogger } from '../../core/log.ts'
import { nodeRuntime } from '../../core/runtime/node/index.ts'
import type { GatewayConfigInput } from '../../core/config/schema.ts'
import type { Logger } from '../../core/types.ts'
import { freePort } from './ports.ts'
import { spawnLogged, waitFor, type LoggedProcess } from './process.ts'

export const ROOT = resolve(import.meta.dirname, '../..')

export interface TestGateway {
  url: string
  port: number
  gateway: Gateway
  stop(): Promise<void>
}

export async function startGateway(input: GatewayConfigInput, opts: { verbose?: boolean; log?: Logger } = {}): Promise<TestGateway> {
  const config = validateConfig({ ...input, listen: { host: '127.0.0.1', port: 0, ...input.listen } })
  const log = opts.log ?? (opts.verbose || process.env.GATEHOUSE_TEST_LOGS === '1' ? createLogger('text', (l) => console.error(l)) : silentLogger)
  const gateway = createGateway(config, { runtime: nodeRuntime, log })
  const server = await gateway.start()
  return { url: `http://127.0.0.1:${server.port}`, port: server.port, gateway, stop: () => gateway.stop(1000) }
}

/** A logger that keeps its lines ("warn: …") for assertions. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(`${level}: ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`)
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') }
}

export interface GatewayProcess {
  url: string
  port: number
  proc: LoggedProcess
}

/** Writes `source` as a config file inside the repo (so `import 'gatehouse'` resolves) and runs the CLI. */
export async function spawnGatewayCli(source: (port: number) => string, name = 'cli'): Promise<GatewayProcess> {
  const dir = join(ROOT, 'test-output', 'configs')
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const file = join(dir, `${name}-${port}.config.ts`)
  writeFileSync(file, source(port))
  const proc = spawnLogged(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'start', '--config', file], { cwd: ROOT, name: 'gatehouse' })
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/__gatehouse/health`).catch(() => undefined)) !== undefined, { timeoutMs: 15_000 })
  return { url: `http://127.0.0.1:${port}`, port, proc }
}
