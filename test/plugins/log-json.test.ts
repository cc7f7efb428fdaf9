// `--log json` reaches every plugin: plugins log through the gateway's logger (ctx.log), never a
// logger of their own. The real CLI starts with --log json and a config whose plugins all have
// something to say (jwt: JWKS unreachable; rateLimit: Redis unreachable; file: a broken registry;
// activeHealth: an upstream that is down; accessLog: the requests); every line it writes, on
// stdout and stderr, must parse as JSON.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../support/gateway.ts'
import { forge } from '../support/jwks.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'

test('--log json: every line of every plugin is JSON', async () => {
  const dir = join(ROOT, 'test-output', 'configs')
  mkdirSync(dir, { recursive: true })
  const [port, deadJwks, deadRedis, deadUpstream] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const registry = join(dir, `log-json-${port}.json`)
  writeFileSync(registry, '{ "pools": ') // broken on purpose: the file plugin logs why
  const file = join(dir, `log-json-${port}.config.ts`)
  writeFileSync(file, `import { defineConfig } from 'gatehouse'
import { accessLog } from 'gatehouse/plugins/access-log'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { file } from 'gatehouse/plugins/file'
import { jwt } from 'gatehouse/plugins/jwt'
import { rateLimit } from 'gatehouse/plugins/rate-limit'
export default defineConfig({
  listen: { port: ${port}, host: '127.0.0.1' },
  observe: [accessLog()],
  discovery: [file({ path: ${JSON.stringify(registry)} })],
  pools: { web: { upstreams: ['http://127.0.0.1:${deadUpstream}'], health: activeHealth({ interval: '100ms', timeout: '100ms', fall: 1, jitter: 0 }) } },
  routes: [
    { path: '/jwt/*', pool: 'web', use: [jwt({ jwksUrl: 'http://127.0.0.1:${deadJwks}/jwks.json', jwks: { timeout: '500ms' } })] },
    { path: '/limited/*', pool: 'web', use: [rateLimit({ rate: '100/1m', store: { redis: 'redis://127.0.0.1:${deadRedis}', timeout: '200ms' } })] },
  ],
})
`)
  const child = spawn(process.execPath, ['bin/gatehouse.js', 'start', '--config', file, '--log', 'json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c))
  child.stderr.on('data', (c: Buffer) => (stderr += c))
  const exited = new Promise((resolve) => child.once('close', resolve))
  try {
    await waitFor(() => /listening on/.test(stdout), { timeoutMs: 15_000, what: 'the gateway listening' })
    const token = forge({ alg: 'RS256', kid: 'k1' }, { sub: 'x' }, 'c2ln')
    const jwtRes = await fetch(`http://127.0.0.1:${port}/jwt/a`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(jwtRes.status, 503, 'JWKS unreachable, nothing cached: fails closed')
    await (await fetch(`http://127.0.0.1:${port}/limited/a`)).text()
    const all = () => stdout + stderr
    const heard = { jwt: /"msg":"jwt: cannot fetch JWKS/, rateLimit: /"msg":"rateLimit: /, file: /"msg":"file [^"]*: /, activeHealth: /"msg":"activeHealth: pool web: upstream .* is now unhealthy/, accessLog: /"path":"\/limited\/a"/ }
    await waitFor(() => Object.values(heard).every((re) => re.test(all())), { timeoutMs: 10_000, what: `a line from each plugin: ${Object.keys(heard).join(', ')}` })
  } finally {
    child.kill('SIGTERM')
    await exited
  }
  const lines = (stdout + '\n' + stderr).split('\n').filter((l) => l.trim())
  assert.ok(lines.length >= 6, lines.join('\n'))
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`)
})
