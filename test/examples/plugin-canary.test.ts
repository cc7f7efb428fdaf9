/**
 * A third-party plugin is just an npm package: install gatehouse and examples/plugin-canary into
 * a fresh project outside the repo, as a user would, and drive the real CLI (`npx gatehouse`)
 * against two real upstreams labelled track=stable and track=canary.
 *
 * `--install-links` copies both folders into node_modules (as a registry install would). Without
 * it npm symlinks them, and Node resolves the plugin's `import 'gatehouse'` from its real path
 * (/work/main/examples/plugin-canary), where no node_modules/gatehouse exists.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const PLUGIN = join(ROOT, 'examples/plugin-canary')
// npm reads npm_config_* (set when this runs under `npm test`) as its own config: drop them.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))

interface Result { code: number; stdout: string; stderr: string }

/** Runs a command in `cwd` to completion; a timeout kills it (by PID) and fails the test. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs}ms\n${stderr}`))
    }, timeoutMs)
    child.once('error', fail)
    child.once('close', (code) => {
      clearTimeout(timer)
      done({ code: code ?? 1, stdout, stderr })
    })
  })
}

/** An upstream on a random loopback port that answers its own name. */
async function nameServer(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.end(name))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

const config = (port: number, stable: string, canaryUrl: string, options: string) => `
import { defineConfig } from 'gatehouse'
import { canary } from 'gatehouse-plugin-canary'

export default defineConfig({
  listen: { port: ${port}, host: '127.0.0.1' },
  pools: {
    app: {
      upstreams: [
        { url: '${stable}', labels: { track: 'stable' } },
        { url: '${canaryUrl}', labels: { track: 'canary' } },
      ],
      balancer: canary(${options}),
    },
  },
  routes: [{ path: '/*', pool: 'app' }],
})
`

test('gatehouse-plugin-canary installed from npm next to gatehouse', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-canary-'))
  const stable = await nameServer('stable')
  const canaryUp = await nameServer('canary')
  let gateway: ChildProcess | undefined
  t.after(async () => {
    if (gateway?.pid && gateway.exitCode === null && gateway.signalCode === null) {
      const exited = once(gateway, 'close')
      process.kill(-gateway.pid, 'SIGTERM') // its own process group: npx and the node it started
      const timer = setTimeout(() => { try { process.kill(-gateway!.pid!, 'SIGKILL') } catch {} }, 5_000)
      await exited
      clearTimeout(timer)
    }
    stable.server.close()
    canaryUp.server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'canary-consumer', private: true, type: 'module' }))
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--install-links', ROOT, PLUGIN], dir, 180_000)
  assert.equal(install.code, 0, `npm install failed:\n${install.stderr}`)

  const port = await freePort()
  writeFileSync(join(dir, 'gateway.config.ts'), config(port, stable.url, canaryUp.url, '{ percent: 0 }'))

  await t.test('npx gatehouse check accepts the config', async () => {
    const r = await run('npx', ['gatehouse', 'check', '--config', 'gateway.config.ts'], dir, 60_000)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /gateway\.config\.ts is valid/)
  })

  await t.test('npx gatehouse check names canary(): percent for percent: 150', async () => {
    writeFileSync(join(dir, 'bad.config.ts'), config(port, stable.url, canaryUp.url, '{ percent: 150 }'))
    const r = await run('npx', ['gatehouse', 'check', '--config', 'bad.config.ts'], dir, 60_000)
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stderr, /canary\(\): percent: /)
  })

  await t.test('npx gatehouse start routes by the x-canary header', async () => {
    const proc = spawn('npx', ['gatehouse', 'start', '--config', 'gateway.config.ts'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    gateway = proc
    let log = ''
    proc.stdout!.on('data', (c) => (log += c))
    proc.stderr!.on('data', (c) => (log += c))
    const url = `http://127.0.0.1:${port}/`
    await waitFor(async () => (await fetch(url)).ok, {
      timeoutMs: 30_000,
      what: 'the gateway to answer',
      abort: () => (proc.exitCode !== null ? `it exited ${proc.exitCode}:\n${log}` : undefined),
    })
    const get = async (headers: Record<string, string>) => (await fetch(url, { headers })).text()
    for (let i = 0; i < 10; i++) assert.equal(await get({ 'x-canary': '1' }), 'canary', 'with x-canary')
    for (let i = 0; i < 10; i++) assert.equal(await get({}), 'stable', 'without x-canary')
  })

  await t.test('percent, value and fallback, on the installed package', async () => {
    // The consumer project has no TypeScript runner of its own: borrow this repo's tsx by URL.
    writeFileSync(join(dir, 'unit.ts'), `
import { canary } from 'gatehouse-plugin-canary'
const up = (id: string, track?: string) => ({ id, url: new URL('http://' + id), weight: 1, labels: track ? { track } : {}, available: true, inflight: 0 })
const ctx = (h: Record<string, string> = {}) => ({ clientIp: '', header: (n: string) => h[n], cookie: () => undefined })
const both = [up('s', 'stable'), up('c', 'canary')]
const draws = [0.05, 0.5, 0.09, 0.99]
const pct = canary({ percent: 10, random: () => draws.shift()! })
const byValue = canary({ header: 'x-track', value: 'beta' })
console.log(JSON.stringify({
  percent: [0, 1, 2, 3].map(() => pct.pick(both, ctx())!.id),
  value: [byValue.pick(both, ctx({ 'x-track': 'beta' }))!.id, byValue.pick(both, ctx({ 'x-track': 'alpha' }))!.id],
  noCanary: canary().pick([up('s', 'stable'), up('x')], ctx({ 'x-canary': '1' }))!.id,
  empty: canary().pick([], ctx()) ?? null,
}))
`)
    const r = await run(process.execPath, ['--import', import.meta.resolve('tsx'), 'unit.ts'], dir, 60_000)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), { percent: ['c', 's', 'c', 's'], value: ['c', 's'], noCanary: 's', empty: null })
  })
})
