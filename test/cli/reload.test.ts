/**
 * Reloading the config without a restart, as the CLI runs it on Node, Bun and Deno: under a
 * bounded request loop, an edit adds a route, changes a pool's balancer and adds a middleware;
 * `gatehouse reload --pid-file` (SIGHUP) swaps it in with zero failed requests while an open
 * WebSocket keeps working. A broken edit is refused, every bad field in the log, and the running
 * config keeps serving. `--watch` reloads on a change of the file itself.
 */
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { run, waitFor } from '../support/process.ts'
import { ROOT, RUNTIMES, gatewayCommand, spawnGatewayUnder, type RuntimeGateway, type RuntimeName } from '../support/runtimes.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const named = (name: string) => startUpstream((_req, res) => res.end(name))
const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

async function wsEcho(): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${data}`)))
  await new Promise((r) => server.once('listening', r))
  closers.push(() => new Promise((r) => server.close(r)))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

/** v1: round robin over A and B. v2: + a route, a hash balancer on x-user, a middleware tagging responses. */
function config(port: number, v: 1 | 2 | 'broken', up: { a: Upstream; b: Upstream; ws: string }): string {
  const pools =
    v === 1
      ? `web: { upstreams: ['${up.a.url}', '${up.b.url}'] },`
      : v === 2
        ? `web: { upstreams: ['${up.a.url}', '${up.b.url}'], balancer: hash({ on: { header: 'x-user' } }) },`
        : `web: { upstreams: ['${up.a.url}', '${up.b.url}'], retries: 'many', balancer: hash({ on: 'nobody' }) },`
  const routes =
    v === 1
      ? `{ path: '/ws', pool: 'ws' }, { path: '/*', pool: 'web' },`
      : v === 2
        ? `{ path: '/ws', pool: 'ws' }, { path: '/*', pool: 'web', use: [async (c, next) => { c.header('x-gen', '2'); await next() }] }, { path: '/new/*', pool: 'web' },`
        : `{ path: '/ws', pool: 'ws' }, { pat: '/typo', pool: 'web' },`
  return `import { defineConfig } from 'gatehouse'
import { hash } from 'gatehouse/plugins/hash'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: { ${pools} ws: { upstreams: ['${up.ws}'] } },
  routes: [${routes}],
})
`
}

interface Answer {
  at: number
  who: string
  gen?: string
}

/** `workers` keep-alive loops (x-user: alice) until `until()` (read each time; at most 20 s): every answer, every failure. */
async function loop(url: string, until: () => number, workers = 4) {
  const cap = Date.now() + 20_000
  const agent = new Agent({ keepAlive: true, maxSockets: workers })
  const answers: Answer[] = []
  const failures: string[] = []
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent, timeout: 3000, headers: { 'x-user': 'alice' } }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => {
          if (res.statusCode === 200) answers.push({ at: Date.now(), who: body, gen: res.headers['x-gen'] as string | undefined })
          else failures.push(`${res.statusCode} ${body.trim()}`)
          resolve()
        })
      })
      req.on('timeout', () => req.destroy(new Error('client timeout')))
      req.on('error', (err) => (failures.push(err.message), resolve()))
      req.end()
    })
  await Promise.all(Array.from({ length: workers }, async () => { while (Date.now() < Math.min(until(), cap)) (await once(), await sleep(5)) }))
  agent.destroy()
  return { answers, failures }
}

function openSocket(url: string) {
  const ws = new WebSocket(url)
  const messages: string[] = []
  ws.on('message', (d) => messages.push(String(d)))
  const opened = new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
  const echo = async (text: string) => {
    ws.send(text)
    await waitFor(() => messages.includes(`echo ${text}`) || undefined, { timeoutMs: 3000, what: `the echo of ${text}` })
  }
  return { ws, opened, echo }
}

const logged = (gw: RuntimeGateway, re: RegExp, what: string) =>
  waitFor(() => re.test(gw.proc.tail(400)) || undefined, { timeoutMs: 15_000, what, abort: () => (gw.proc.running() ? undefined : gw.proc.tail()) })

/** Starts the CLI with a pid file (Deno may write only that file). */
function startWith(runtime: RuntimeName, pidFile: string, extra: string[] = []) {
  return (file: string) => {
    const c = gatewayCommand(runtime, ['start', '--config', file, '--pid-file', pidFile, ...extra])
    if (runtime === 'deno') c.args.splice(1, 0, `--allow-write=${pidFile}`)
    return c
  }
}

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`reloading the config without a restart, on ${runtime}`, { timeout: 120_000 }, () => {
    test('under load: a route added, a balancer changed, a middleware added; 0 failed requests; an open WebSocket survives; a broken edit keeps the running config', async () => {
      const up = { a: await named('A'), b: await named('B'), ws: await wsEcho() }
      closers.push(() => up.a.close(), () => up.b.close())
      const pidFile = join(ROOT, 'test-output', 'configs', `reload-${runtime}-${process.pid}.pid`)
      let file = ''
      const gw = await spawnGatewayUnder(runtime, (port) => config(port, 1, up), 'reload', (f) => ((file = f), startWith(runtime, pidFile)(f)))
      closers.push(() => gw.stop())
      await waitFor(() => existsSync(pidFile) || undefined, { timeoutMs: 5000, what: 'the pid file' })
      const socket = openSocket(`${gw.url.replace('http', 'ws')}/ws`)
      await socket.opened
      await socket.echo('before')
      assert.equal((await fetch(`${gw.url}/new/x`)).headers.get('x-gen'), null)

      const t0 = Date.now()
      let stopAt = t0 + 20_000 // set to 1.5 s after the reload below
      const load = loop(`${gw.url}/`, () => stopAt)
      await sleep(1200)
      writeFileSync(file, config(gw.port, 2, up))
      const sent = await run(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'reload', '--pid-file', pidFile])
      assert.equal(sent.code, 0, sent.stderr)
      await logged(gw, /config reloaded: generation 2/, 'the reload')
      const reloadedAt = Date.now()
      stopAt = reloadedAt + 1500
      const { answers, failures } = await load
      const late = answers.filter((x) => x.at > reloadedAt + 100)
      const early = answers.filter((x) => x.at < t0 + 1000)
      console.log(`# ${runtime}: ${answers.length} answers in ${Date.now() - t0} ms, ${failures.length} failed, ${late.length} after the reload (logged ${reloadedAt - t0 - 1200} ms after the edit)`)
      assert.deepEqual(failures, [], 'requests failed during the reload')
      assert.deepEqual(new Set(early.map((x) => x.who)), new Set(['A', 'B']), 'round robin before')
      assert.ok(early.every((x) => x.gen === undefined))
      assert.ok(late.length > 20, `only ${late.length} requests after the reload`)
      assert.ok(late.every((x) => x.gen === '2'), 'the added middleware runs on every request after the reload')
      assert.equal(new Set(late.map((x) => x.who)).size, 1, 'the hash balancer sends one user to one upstream')
      const added = await fetch(`${gw.url}/new/x`)
      assert.equal(added.status, 200, 'the added route serves')
      await socket.echo('after')
      assert.equal(socket.ws.readyState, WebSocket.OPEN, 'the WebSocket opened before the reload survived it')
      assert.doesNotMatch(gw.proc.tail(400), /take effect only after a restart/)

      writeFileSync(file, config(gw.port, 'broken', up))
      process.kill(gw.pid, 'SIGHUP')
      await logged(gw, /reload \(SIGHUP\): .* is invalid; the running config \(generation 2\) keeps serving/, 'the refused reload')
      const refused = gw.proc.tail(50).split('\n').find((l) => l.includes('is invalid'))!
      for (const field of ['pools.web.retries', 'pools.web.balancer: hash(): on', 'routes[1].pat: unknown field']) assert.ok(refused.includes(field), `${field} not named in: ${refused}`)
      assert.equal((await fetch(`${gw.url}/new/x`)).status, 200, 'the running config keeps serving')
      assert.equal((await fetch(`${gw.url}/`)).headers.get('x-gen'), '2', 'the running config keeps serving')
      await socket.echo('still')
      socket.ws.close()
    })

    test('--watch: a change of the config file reloads it', async () => {
      const up = { a: await named('A'), b: await named('B'), ws: await wsEcho() }
      closers.push(() => up.a.close(), () => up.b.close())
      const pidFile = join(ROOT, 'test-output', 'configs', `watch-${runtime}-${process.pid}.pid`)
      let file = ''
      const gw = await spawnGatewayUnder(runtime, (port) => config(port, 1, up), 'watch', (f) => ((file = f), startWith(runtime, pidFile, ['--watch'])(f)))
      closers.push(() => gw.stop())
      assert.equal((await fetch(`${gw.url}/`)).headers.get('x-gen'), null)
      await sleep(300)
      writeFileSync(file, config(gw.port, 2, up))
      await logged(gw, /config reloaded: generation 2/, 'the reload on a file change')
      assert.equal((await fetch(`${gw.url}/`)).headers.get('x-gen'), '2')
      await gw.stop()
      assert.equal(existsSync(pidFile), false, 'the pid file is removed at stop')
    })
  })
}
