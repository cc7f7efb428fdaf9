// `workers: 2` as a real CLI process under Node and Bun (Deno runs one process: README, Every
// core): both workers serve, discovery and active health run once (in the primary), health
// verdicts reach every worker, /metrics counts every worker's requests, a worker killed with
// SIGKILL is replaced while the other serves, and reload and shutdown drain every worker.
// E2E_ONLY=node or bun runs one runtime only.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { waitFor } from '../support/process.ts'
import { ROOT, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'

const RUNTIMES = (['node', 'bun'] as const).filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))
const PROBE_MS = 300

let a: Upstream, b: Upstream, slow: Upstream
let bHealthy = true
const probes = { a: 0, b: 0 }

before(async () => {
  const upstream = (name: 'a' | 'b') =>
    startUpstream((req, res) => {
      if (req.url === '/healthz') {
        probes[name]++
        res.statusCode = name === 'b' && !bHealthy ? 503 : 200
        return res.end('ok')
      }
      res.setHeader('x-upstream', name)
      res.end(name)
    })
  a = await upstream('a')
  b = await upstream('b')
  slow = await startUpstream((_req, res) => void setTimeout(() => res.end('slow done'), 1_000))
})
after(async () => {
  await Promise.all([a, b, slow].map((u) => u?.close()))
})

/** The config: a discovery source that notes each start in a file, active health, metrics on an admin port, an access log to a file. */
function config(files: { discovery: string; access: string }, adminPort: number, generation: string) {
  return (port: number) => `import { defineConfig, definePlugin } from 'gatehouse'
import { activeHealth } from 'gatehouse/plugins/active-health'
import { accessLog } from 'gatehouse/plugins/access-log'
import { admin } from 'gatehouse/plugins/admin'
import { metrics } from 'gatehouse/plugins/metrics'
import { appendFileSync } from 'node:fs'
import { z } from 'zod'

const counted = definePlugin('discovery', 'counted', z.string(), ${JSON.stringify(files.discovery)}, (file) => ({
  start({ emit, pool }) {
    appendFileSync(file, 'started\\n')
    emit({ pools: { [pool!]: ['${a.url}', '${b.url}'] } })
  },
}))
const m = metrics()
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${'${port}'} },
  workers: 2,
  shutdown: { grace: '5s' },
  observe: [m, admin({ listen: { host: '127.0.0.1', port: ${adminPort} }, metrics: m }), accessLog({ write: (line) => appendFileSync(${JSON.stringify(files.access)}, line + '\\n') })],
  pools: {
    web: { discovery: counted, health: activeHealth({ path: '/healthz', interval: '${PROBE_MS}ms', fall: 1, rise: 1, jitter: 0 }) },
    slow: { upstreams: ['${slow.url}'] },
  },
  routes: [
    { path: '/slow', pool: 'slow' },
    { pool: 'web', responseHeaders: { set: { 'x-generation': '${generation}' } } },
  ],
})
`.replace('${port}', String(port))
}

const get = (url: string) => fetch(url, { headers: { connection: 'close' } })

/** Worker pids in the order the primary reported them serving ("worker 1 (pid 123) serving on port …"). */
function servingPids(gw: RuntimeGateway): { slot: number; pid: number }[] {
  return [...gw.proc.tail(400).matchAll(/worker (\d+) \(pid (\d+)\) serving/g)].map((m) => ({ slot: Number(m[1]), pid: Number(m[2]) }))
}

/** Access-log lines written so far, parsed. */
function accessLines(file: string): { worker?: number; path: string; status: number }[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.type === 'request')
}

/** gatehouse_requests_total for pool web, summed over its series. */
async function webRequests(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) if (line.startsWith('gatehouse_requests_total{') && line.includes('pool="web"')) sum += Number(line.split(' ').pop())
  return sum
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

for (const runtime of RUNTIMES) {
  describe(`workers: 2 on ${runtime}`, { timeout: 120_000 }, () => {
    const dir = join(ROOT, 'test-output', 'workers')
    const files = { discovery: join(dir, `discovery-${runtime}.log`), access: join(dir, `access-${runtime}.log`) }
    let gw: RuntimeGateway
    let adminPort: number
    let configFile: string

    before(async () => {
      mkdirSync(dir, { recursive: true })
      for (const f of Object.values(files)) rmSync(f, { force: true })
      adminPort = await freePort()
      gw = await spawnGatewayUnder(runtime, config(files, adminPort, 'one'), 'workers')
      configFile = join(ROOT, 'test-output', 'configs', `workers-${runtime}-${gw.port}.config.ts`)
      await waitFor(() => servingPids(gw).length >= 2, { timeoutMs: 20_000, what: 'two workers serving' })
    })
    after(() => gw?.stop())

    test('both workers answer (the access log names the worker; clients never see it)', async () => {
      const pids = servingPids(gw).map((w) => w.pid)
      assert.equal(new Set(pids).size, 2)
      assert.ok(!pids.includes(gw.pid), 'workers are processes of their own')
      for (let i = 0; i < 40; i++) {
        const res = await get(`${gw.url}/`)
        assert.equal(res.status, 200)
        assert.ok(![...res.headers.keys()].some((h) => /worker|pid/i.test(h)), 'no worker id sent to clients')
        await res.text()
      }
      const seen = await waitFor(() => {
        const workers = new Set(accessLines(files.access).map((l) => l.worker))
        return workers.size >= 2 && workers
      }, { timeoutMs: 5_000, what: 'requests logged by both workers' })
      assert.deepEqual([...seen].sort(), [...pids].sort())
    })

    test('discovery and active health run once, in the primary', async () => {
      assert.equal(readFileSync(files.discovery, 'utf8'), 'started\n', 'one discovery start for two workers')
      const before = probes.a
      await new Promise((r) => setTimeout(r, PROBE_MS * 10))
      const n = probes.a - before
      // One prober: ~10 probes in 10 intervals; a prober per worker would make ~20 (or ~30 with the primary).
      assert.ok(n >= 6 && n <= 13, `health probes of one upstream in 10 intervals: ${n}`)
    })

    test('a health verdict from the primary applies in every worker', async () => {
      bHealthy = false
      try {
        await new Promise((r) => setTimeout(r, PROBE_MS * 3))
        const answered = new Set<string>()
        for (let i = 0; i < 30; i++) {
          const res = await get(`${gw.url}/`)
          answered.add(res.headers.get('x-upstream') ?? '')
          await res.text()
        }
        assert.deepEqual([...answered], ['a'], 'no worker sends to the upstream the primary found unhealthy')
      } finally {
        bHealthy = true
      }
      await waitFor(async () => {
        const res = await get(`${gw.url}/`)
        await res.text()
        return res.headers.get('x-upstream') === 'b'
      }, { timeoutMs: 5_000, what: 'b back in service' })
    })

    test('an operator action on the primary (admin API: disable, enable) applies in every worker', async () => {
      const action = (what: string) => fetch(`http://127.0.0.1:${adminPort}/api/pools/web/upstreams/${encodeURIComponent(b.url)}/${what}`, { method: 'POST' })
      assert.equal((await action('disable')).status, 200)
      try {
        const answered = new Set<string>()
        for (let i = 0; i < 30; i++) {
          const res = await get(`${gw.url}/`)
          answered.add(res.headers.get('x-upstream') ?? '')
          await res.text()
        }
        assert.deepEqual([...answered], ['a'], 'no worker sends to the upstream the operator disabled')
      } finally {
        assert.equal((await action('enable')).status, 200)
      }
      await waitFor(async () => {
        const res = await get(`${gw.url}/`)
        await res.text()
        return res.headers.get('x-upstream') === 'b'
      }, { timeoutMs: 5_000, what: 'b enabled again' })
    })

    test('/metrics counts the requests of every worker', async () => {
      await new Promise((r) => setTimeout(r, 300)) // earlier requests' batches land first
      const start = await webRequests(adminPort)
      const sent = 50
      for (let i = 0; i < sent; i++) await (await get(`${gw.url}/`)).text()
      const workers = new Set(accessLines(files.access).slice(-sent).map((l) => l.worker))
      assert.equal(workers.size, 2, 'the requests were served by both workers')
      let counted = 0
      await waitFor(async () => (counted = (await webRequests(adminPort)) - start) === sent, { timeoutMs: 3_000, what: `${sent} more requests in /metrics` }).catch((err) => {
        throw new Error(`${err.message}: counted ${counted}`)
      })
    })

    test('a worker killed with SIGKILL is replaced; the other keeps serving', async (t) => {
      const [victim, other] = servingPids(gw)
      const failures: number[] = []
      let ok = 0
      let killedAt = 0
      const until = Date.now() + 3_000
      const loop = async () => {
        while (Date.now() < until) {
          try {
            const res = await get(`${gw.url}/`)
            await res.text()
            if (res.status === 200) ok++
            else failures.push(Date.now())
          } catch {
            failures.push(Date.now())
          }
        }
      }
      const kill = new Promise<void>((r) => setTimeout(() => {
        killedAt = Date.now()
        process.kill(victim!.pid, 'SIGKILL')
        r()
      }, 800))
      await Promise.all([loop(), loop(), loop(), loop(), kill])
      // Only what the killed worker held at that instant can fail (the connections it had accepted or
      // were queued on its socket, reset by the kernel): nothing fails once its socket is gone.
      assert.ok(failures.length <= 12, `${failures.length} failed requests (${ok} answered)`)
      assert.ok(failures.every((t) => t - killedAt < 1_000), `failures after the kill instant: ${failures.map((t) => t - killedAt)} ms`)
      assert.ok(ok > 50, `requests answered under load: ${ok}`)
      t.diagnostic(`${ok} answered, ${failures.length} failed (at the kill) in 3 s, 4 clients, a new connection per request`)
      const replacement = await waitFor(() => servingPids(gw).find((w) => w.slot === victim!.slot && w.pid !== victim!.pid), { timeoutMs: 10_000, what: 'a replacement worker' })
      assert.ok(alive(other!.pid), 'the other worker was left alone')
      assert.match(gw.proc.tail(400), new RegExp(`worker ${victim!.slot} \\(pid ${victim!.pid}\\) died \\(SIGKILL\\)`))
      await waitFor(async () => {
        await (await get(`${gw.url}/`)).text()
        return accessLines(files.access).some((l) => l.worker === replacement.pid)
      }, { timeoutMs: 5_000, what: 'the replacement serving' })
    })

    test('a reload (SIGHUP) reaches every worker and lets requests in flight finish', async () => {
      const logged = accessLines(files.access).length
      const inFlight = Array.from({ length: 12 }, () => get(`${gw.url}/slow`).then(async (r) => [r.status, await r.text()] as const))
      await new Promise((r) => setTimeout(r, 300))
      writeFileSync(configFile, config(files, adminPort, 'two')(gw.port))
      process.kill(gw.pid, 'SIGHUP')
      for (const [status, body] of await Promise.all(inFlight)) assert.deepEqual([status, body], [200, 'slow done'])
      await waitFor(async () => {
        const gens = await Promise.all(Array.from({ length: 10 }, async () => {
          const res = await get(`${gw.url}/`)
          await res.text()
          return res.headers.get('x-generation')
        }))
        return gens.every((g) => g === 'two')
      }, { timeoutMs: 10_000, what: 'every worker on the new config' })
      // Each worker's finished requests reach the primary's access log in batches, soon after they end.
      const since = await waitFor(() => {
        const lines = accessLines(files.access).slice(logged)
        return lines.filter((l) => l.path === '/slow').length === 12 && lines
      }, { timeoutMs: 5_000, what: 'the 12 slow requests in the access log' })
      assert.equal(new Set(since.filter((l) => l.path === '/slow').map((l) => l.worker)).size, 2, 'both workers had requests in flight across the reload')
      const mark = accessLines(files.access).length
      for (let i = 0; i < 20; i++) {
        const res = await get(`${gw.url}/`)
        await res.text()
        assert.equal(res.headers.get('x-generation'), 'two')
      }
      const after = await waitFor(() => {
        const lines = accessLines(files.access).slice(mark)
        return lines.length >= 20 && lines
      }, { timeoutMs: 5_000, what: '20 more requests in the access log' })
      assert.equal(new Set(after.map((l) => l.worker)).size, 2, 'both workers serve the new config')
    })

    test('SIGTERM drains every worker, then all exit', async () => {
      const pids = servingPids(gw).map((w) => w.pid).filter(alive)
      assert.equal(pids.length, 2)
      const logged = accessLines(files.access).length
      // 12 new connections: all on one worker by chance is 1 in 2048.
      const inFlight = Array.from({ length: 12 }, () => get(`${gw.url}/slow`).then(async (r) => [r.status, await r.text()] as const))
      await new Promise((r) => setTimeout(r, 300))
      process.kill(gw.pid, 'SIGTERM')
      for (const [status, body] of await Promise.all(inFlight)) assert.deepEqual([status, body], [200, 'slow done'])
      const { code } = await gw.proc.exited
      assert.equal(code, 0)
      assert.deepEqual(pids.filter(alive), [], 'no worker outlives the primary')
      const drained = accessLines(files.access).slice(logged)
      assert.equal(drained.filter((l) => l.path === '/slow' && l.status === 200).length, 12, 'each worker sent its last requests to the access log before exiting')
      assert.equal(new Set(drained.map((l) => l.worker)).size, 2, 'both workers had requests to drain')
    })
  })
}

for (const runtime of RUNTIMES) {
  test(`workers on ${runtime}: a primary killed with SIGKILL takes its workers down`, { timeout: 60_000 }, async () => {
    const gw = await spawnGatewayUnder(runtime, (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${'${port}'} },
  workers: 2,
  pools: { web: { upstreams: ['${a.url}'] } },
  routes: [{ pool: 'web' }],
})
`.replace('${port}', String(port)), 'workers-orphans')
    try {
      const pids = (await waitFor(() => servingPids(gw).length >= 2 && servingPids(gw), { timeoutMs: 20_000, what: 'two workers' })).map((w) => w.pid)
      process.kill(gw.pid, 'SIGKILL')
      await waitFor(() => pids.every((pid) => !alive(pid)), { timeoutMs: 10_000, what: 'the workers to exit after their primary died' })
      assert.equal(await fetch(`${gw.url}/`).then(() => 'answered', () => 'refused'), 'refused', 'nothing serves without the primary (a supervisor restarts it)')
    } finally {
      await gw.stop()
    }
  })
}

if (!process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes('deno')) {
  test('workers on deno: one process serves, and the log says why (README, Every core)', { timeout: 60_000 }, async () => {
    const gw = await spawnGatewayUnder('deno', (port) => `import { defineConfig } from 'gatehouse'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${'${port}'} },
  workers: 2,
  pools: { web: { upstreams: ['${a.url}'] } },
  routes: [{ pool: 'web' }],
})
`.replace('${port}', String(port)), 'workers-deno')
    try {
      assert.equal(await (await get(`${gw.url}/`)).text(), 'a')
      assert.match(gw.proc.tail(), /workers: 2 is not available on deno .*serving from one process/)
      assert.doesNotMatch(gw.proc.tail(), /worker \d+ \(pid/)
    } finally {
      await gw.stop()
    }
  })
}

test('workers: a port another process holds, even by SO_REUSEPORT, fails the start as with one process', { timeout: 60_000 }, async () => {
  const { createServer } = await import('node:net')
  const holder = createServer()
  const port = await freePort()
  await new Promise<void>((r) => holder.listen({ port, host: '127.0.0.1', reusePort: true } as never, r))
  try {
    const file = join(ROOT, 'test-output', 'configs', `workers-taken-${port}.config.ts`)
    writeFileSync(file, `import { defineConfig } from 'gatehouse'
export default defineConfig({ listen: { host: '127.0.0.1', port: ${port} }, workers: 2, pools: { web: { upstreams: ['${a.url}'] } }, routes: [{ pool: 'web' }] })
`)
    const { run } = await import('../support/process.ts')
    const r = await run(process.execPath, [join(ROOT, 'bin/gatehouse.js'), 'start', '--config', file], { timeoutMs: 30_000 })
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`))
    assert.doesNotMatch(r.stdout, /worker \d+ \(pid/, 'no worker started')
  } finally {
    holder.close()
  }
})
