/**
 * The installed package starts a user's own config on every runtime, from a fresh project outside
 * the repository (`npm i <packed gatehouse>`): `npx gatehouse`, `bunx --bun gatehouse` and
 * `deno run -A npm:gatehouse`, each checked by which runtime answers. And the README's production
 * command, `exec node node_modules/gatehouse/bin/gatehouse.js start`, makes the gateway the process
 * that gets SIGTERM: a slow request in flight completes, then it exits 0.
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { freshProject, userEnv, type Project } from '../support/packed.ts'
import { freePort } from '../support/ports.ts'
import { spawnLogged, waitFor, type LoggedProcess } from '../support/process.ts'
import { runtimeBinary, type RuntimeName } from '../support/runtimes.ts'

const SLOW_MS = 1_500

/** The gateway under a launcher: the deepest process below `pid` running `runtime` (npx is itself a node). */
function deepestRuntimePid(pid: number, runtime: RuntimeName): number {
  const want = realpathSync(runtimeBinary(runtime))
  let found: number | undefined
  for (let queue = [pid]; queue.length; ) {
    const p = queue.shift()!
    try {
      if (realpathSync(`/proc/${p}/exe`) === want) found = p
      for (const task of readdirSync(`/proc/${p}/task`)) queue.push(...readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    } catch {} // exited meanwhile
  }
  if (found === undefined) throw new Error(`no ${runtime} process at or below PID ${pid}`)
  return found
}

const config = (port: number, upstream: string) => `import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'

export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  shutdown: { grace: '8s' },
  pools: { app: { upstreams: ['${upstream}'], balancer: roundRobin() } },
  routes: [{ path: '/*', pool: 'app' }],
})
`

describe('the installed package, from a fresh project', { timeout: 600_000 }, () => {
  let project: Project
  let upstream: Upstream
  const procs: LoggedProcess[] = []
  before(async () => {
    project = await freshProject('gh-runtimes')
    upstream = await startUpstream((req, res, body) => (req.url === '/slow' ? void setTimeout(() => res.end('finished'), SLOW_MS) : echo('app')(req, res, body)))
  })
  after(async () => {
    for (const p of procs) await p.stop()
    await upstream?.close()
  })

  /** Writes a config on a free port into the project and starts `cmd` there; resolves once it answers. */
  async function start(name: string, cmd: string, args: (file: string) => string[]) {
    const port = await freePort()
    const file = `${name}.config.ts`
    writeFileSync(join(project.dir, file), config(port, upstream.url))
    const proc = spawnLogged(cmd, args(file), { cwd: project.dir, env: userEnv(), name })
    procs.push(proc)
    const url = `http://127.0.0.1:${port}`
    await waitFor(async () => (await fetch(`${url}/__gatehouse/health`)).ok, { timeoutMs: 60_000, what: `${name} to answer`, abort: () => (proc.running() ? undefined : proc.tail()) })
    return { proc, url }
  }

  const cases: [string, string, (file: string) => string[], string][] = [
    ['npx', 'npx', (f) => ['gatehouse', 'start', '--config', f], 'node'],
    ['bunx', runtimeBinary('bun'), (f) => ['x', '--bun', 'gatehouse', 'start', '--config', f], 'bun'],
    ['deno', runtimeBinary('deno'), (f) => ['run', '-A', 'npm:gatehouse', 'start', '--config', f], 'deno'],
  ]
  for (const [name, cmd, args, runtime] of cases) {
    it(`${name}: starts the project's gateway.config.ts on ${runtime} and proxies`, async () => {
      const { proc, url } = await start(name, cmd, args)
      const res = await fetch(`${url}/hello`)
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('x-upstream'), 'app')
      assert.match(proc.tail(), new RegExp(`gatehouse listening on http://127\\.0\\.0\\.1:\\d+ \\(${runtime}\\)`))
      // SIGTERM to the gateway itself: npx would exit at once and orphan it (see the README).
      process.kill(deepestRuntimePid(proc.pid, runtime as RuntimeName), 'SIGTERM')
      assert.equal((await proc.exited).code, 0, proc.tail())
    })
  }

  it('exec node node_modules/gatehouse/bin/gatehouse.js start: SIGTERM drains a request in flight and exits 0', async () => {
    const { proc, url } = await start('production', 'sh', (f) => ['-c', `exec node node_modules/gatehouse/bin/gatehouse.js start --config ${f}`])
    // exec: the PID we signal is the gateway's own Node, not a shell or npm in between.
    assert.equal(realpathSync(`/proc/${proc.pid}/exe`), realpathSync(process.execPath))
    const inflight = fetch(`${url}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }))
    await waitFor(() => upstream.seen.some((s) => s.url === '/slow'), { timeoutMs: 5_000, what: 'the slow request at the upstream' })
    process.kill(proc.pid, 'SIGTERM')
    assert.deepEqual(await inflight, { status: 200, body: 'finished' })
    const exit = await proc.exited
    assert.deepEqual(exit, { code: 0, signal: null }, proc.tail())
    assert.match(proc.tail(), /draining in-flight requests/)
  })
})
