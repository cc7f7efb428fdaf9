// Helpers for the ACME tests: an in-process gateway whose log lines are kept (orders, renewals
// and failures are asserted from them), and curl over HTTPS with SNI, trusting only a given root.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { validateConfig } from '../../core/config/validate.ts'
import { createGateway, type Gateway } from '../../core/gateway/create-gateway.ts'
import { createLogger } from '../../core/log.ts'
import { nodeRuntime } from '../../core/runtime/node/index.ts'
import type { GatewayConfigInput } from '../../core/config/schema.ts'
import { onExit } from './process.ts'
import { ROOT } from './runtimes.ts'

export interface LoggedGateway {
  gateway: Gateway
  port: number
  lines: string[]
  stop(): Promise<void>
}

export async function startLoggedGateway(input: GatewayConfigInput, name = 'gw'): Promise<LoggedGateway> {
  const lines: string[] = []
  const echo = process.env.GATEHOUSE_TEST_LOGS === '1'
  const log = createLogger('text', (l) => (lines.push(l), echo && console.error(`[${name}] ${l}`)))
  const gateway = createGateway(validateConfig(input), { runtime: nodeRuntime, log })
  const server = await gateway.start()
  return { gateway, port: server.port, lines, stop: () => gateway.stop(1000) }
}

/** A fresh directory inside the repo (Deno's --allow-read=. covers it), removed at exit. */
export function acmeDir(prefix: string): string {
  const base = join(ROOT, 'test-output')
  mkdirSync(base, { recursive: true })
  const dir = mkdtempSync(join(base, `${prefix}-`))
  onExit(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** GET https://host:port/ through curl, resolving host to `address`, trusting only `cacert`. */
export function curlHttps(host: string, port: number, cacert: string, address = '127.0.0.1'): Promise<{ ok: boolean; body: string; error: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '5', '--cacert', cacert, '--resolve', `${host}:${port}:${address}`, `https://${host}:${port}/`], (err, stdout, stderr) =>
      resolve({ ok: !err, body: stdout, error: stderr.trim() }),
    )
  })
}
