// The container image, for real: the repository's Dockerfile is built by a private dockerd
// (test/support/dockerd.ts) on a stand-in base imported from this machine's Node and npm
// (test/support/base-image.ts; the daemon cannot pull node:26-slim), then run with
// --network host and a mounted config in front of a node:http upstream started here.
//
// Checked: production dependencies only, a non-root user; requests pass through; the image's
// HEALTHCHECK turns healthy; the mounted Docker socket feeds docker discovery (as the README
// says to pass it); Node is PID 1, and `docker stop` (SIGTERM) lets a slow request finish and
// the gateway exit 0 well within its grace period.
//
// Slow part: `docker build` (vfs copies the whole rootfs for every step): about 1.5–3 minutes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { importNodeBaseImage } from '../support/base-image.ts'
import { NODE_VERSIONS } from '../support/node-binary.js'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { ROOT } from '../support/gateway.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { freePort } from '../support/ports.ts'
import { cleanEnv, run, tempDir, waitFor } from '../support/process.ts'

const IMAGE = 'gatehouse-test/gatehouse:ci'
const BUILD_TIMEOUT_MS = 12 * 60_000
const GRACE_MS = 8_000 // the mounted config's shutdown.grace
const STOP_TIMEOUT_S = 10 // docker stop --time: SIGKILL after this, so an exit 0 means SIGTERM was handled
const SLOW_MS = 2_000 // the upstream's answer to /slow takes this long

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const tail = (text: string, lines = 60) => text.trimEnd().split('\n').slice(-lines).join('\n')

/** `docker build` with the legacy builder (BuildKit would try to pull its frontend and base). */
async function dockerBuild(d: Dockerd, args: string[]) {
  const config = tempDir('gh-docker-cli', { removeOnExit: true })
  try {
    return await run('/usr/bin/docker', ['-H', `unix://${d.socketPath}`, 'build', ...args], {
      env: cleanEnv(['DOCKER_'], { DOCKER_BUILDKIT: '0', DOCKER_CONFIG: config }),
      timeoutMs: BUILD_TIMEOUT_MS,
    })
  } finally {
    rmSync(config, { recursive: true, force: true })
  }
}

async function ok(d: Dockerd, args: string[], timeoutMs = 60_000): Promise<string> {
  const res = await d.docker(args, { timeoutMs })
  assert.equal(res.code, 0, `docker ${args.join(' ')} failed:\n${res.stderr}${res.stdout}`)
  return res.stdout.trim()
}

test('the Dockerfile builds a production image that serves, reports health and drains on SIGTERM', { timeout: 20 * 60_000 }, async (t) => {
  const t0 = Date.now()
  const d = await startDockerd()
  t.after(() => d.stop())
  const containers: string[] = []
  t.after(async () => {
    if (containers.length) await d.docker(['rm', '-f', '-v', ...containers], { timeoutMs: 30_000 }).catch(() => {})
    await d.docker(['rmi', '-f', IMAGE], { timeoutMs: 60_000 }).catch(() => {})
    await d.docker(['image', 'prune', '-f'], { timeoutMs: 60_000 }).catch(() => {}) // the untagged deps stage
  })

  const base = await importNodeBaseImage(d)
  t.after(() => d.docker(['rmi', '-f', base.tag], { timeoutMs: 60_000 }).catch(() => {}))
  t.diagnostic(`stand-in base ${base.tag}: node ${base.nodeVersion} (${base.cached ? 'cached' : 'new'} tarball), ready after ${((Date.now() - t0) / 1000).toFixed(1)}s`)

  // --- build -------------------------------------------------------------------------------------
  const b0 = Date.now()
  const build = await dockerBuild(d, ['--network', 'host', '--force-rm', '--build-arg', `BASE=${base.tag}`, '-t', IMAGE, ROOT])
  const buildSeconds = (Date.now() - b0) / 1000
  assert.equal(build.code, 0, `docker build failed after ${buildSeconds.toFixed(0)}s; log tail:\n${tail(build.stdout + '\n' + build.stderr)}`)
  const size = Number(await ok(d, ['image', 'inspect', '--format', '{{.Size}}', IMAGE]))
  const baseSize = Number(await ok(d, ['image', 'inspect', '--format', '{{.Size}}', base.tag]))
  t.diagnostic(`docker build: ${buildSeconds.toFixed(0)}s; image ${mb(size)} = base ${mb(baseSize)} + gatehouse ${mb(size - baseSize)}`)

  const config = JSON.parse(await ok(d, ['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as {
    User: string
    ExposedPorts: Record<string, unknown>
    Healthcheck?: { Test: string[] }
    StopSignal?: string
    Entrypoint: string[]
  }
  assert.equal(config.User, '10001:10001')
  assert.ok('8080/tcp' in config.ExposedPorts)
  assert.equal(config.StopSignal, 'SIGTERM')
  assert.deepEqual(config.Entrypoint, ['node', '/app/bin/gatehouse.js', 'start', '--config', '/app/gateway.config.ts'])
  assert.equal(config.Healthcheck?.Test[0], 'CMD', 'the HEALTHCHECK runs without a shell')
  assert.equal(config.Healthcheck?.Test[1], 'node')

  // --- contents: non-root, exactly the lockfile's production tree, only the cache writable ----------
  // Expected from package-lock.json: every production package at its locked version (optional ones,
  // i.e. other platforms' esbuild binaries, only if present), and no dev-only package at all.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }> }
  const entries = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'))
  const expected = {
    prod: Object.fromEntries(entries.filter(([, p]) => !p.dev && !p.optional).map(([path, p]) => [path, p.version])),
    optional: Object.fromEntries(entries.filter(([, p]) => !p.dev && p.optional).map(([path, p]) => [path, p.version])),
    devOnly: entries.filter(([, p]) => p.dev).map(([path]) => path),
  }
  assert.ok(expected.devOnly.some((p) => p === 'node_modules/typescript'), 'typescript is a devDependency')
  const probe = `const fs = require('node:fs'); const e = ${JSON.stringify(expected)};
const version = (p) => { try { return JSON.parse(fs.readFileSync('/app/' + p + '/package.json', 'utf8')).version } catch { return undefined } };
const w = (p) => { try { fs.accessSync(p, fs.constants.W_OK); return true } catch { return false } };
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(), pid1: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean)[0],
  wrongProd: Object.entries(e.prod).filter(([p, v]) => version(p) !== v).map(([p, v]) => p + ': ' + (version(p) ?? 'missing') + ', locked ' + v),
  wrongOptional: Object.entries(e.optional).filter(([p, v]) => version(p) !== undefined && version(p) !== v).map(([p]) => p),
  esbuildBinary: version('node_modules/@esbuild/linux-x64'),
  devPresent: e.devOnly.filter((p) => fs.existsSync('/app/' + p)),
  top: fs.readdirSync('/app').sort(),
  writable: ['/app', '/app/dist', '/app/node_modules', '/app/node_modules/.cache/gatehouse'].filter(w),
  node: process.version,
}))`
  const contents = JSON.parse(await ok(d, ['run', '--rm', '--network', 'none', '--entrypoint', 'node', IMAGE, '-e', probe]))
  assert.equal(contents.uid, 10001, 'runs as root or another user')
  assert.equal(contents.gid, 10001)
  assert.equal(contents.pid1, 'node', 'the entrypoint process is PID 1')
  assert.deepEqual(contents.devPresent, [], `dev-only packages in the image: ${contents.devPresent.join(', ')}`)
  assert.deepEqual(contents.wrongProd, [], 'production packages missing or not at the locked version')
  assert.deepEqual(contents.wrongOptional, [])
  assert.equal(contents.esbuildBinary, expected.optional['node_modules/@esbuild/linux-x64'])
  // Built JavaScript only: no TypeScript sources, no build script.
  assert.deepEqual(contents.top, ['bin', 'dist', 'gateway.config.ts', 'node_modules', 'package-lock.json', 'package.json', 'registry.json'])
  assert.equal(contents.node.split('.')[0], `v${NODE_VERSIONS.lts.split('.')[0]}`, 'the image runs the current LTS Node')
  assert.deepEqual(contents.writable, ['/app/node_modules/.cache/gatehouse'])
  t.diagnostic(`image holds ${Object.keys(expected.prod).length} production packages; none of the ${expected.devOnly.length} dev-only ones (typescript, tsx, bun, deno, …)`)

  // --- run it: a mounted config, a real upstream, docker discovery through the mounted socket -------
  const upstream = await startUpstream((req, res, body) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('finished'), SLOW_MS)
    echo('host-upstream')(req, res, body)
  })
  t.after(() => upstream.close())
  const port = await freePort()
  const boxPort = await freePort()
  const dir = tempDir('gh-container', { removeOnExit: true })
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const configFile = join(dir, 'gateway.config.ts')
  writeFileSync(
    configFile,
    `import { defineConfig } from 'gatehouse'
import { roundRobin } from 'gatehouse/plugins/round-robin'
import { docker } from 'gatehouse/plugins/docker'

export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  shutdown: { grace: '${GRACE_MS / 1000}s' },
  pools: {
    web: { upstreams: ['${upstream.url}'], balancer: roundRobin() },
    boxes: { discovery: docker() }, // containers labelled gatehouse.pool=boxes
  },
  routes: [
    { path: '/box/*', pool: 'boxes', stripPrefix: '/box' },
    { path: '/*', pool: 'web' },
  ],
})
`,
    { mode: 0o644 },
  )
  const socketGid = statSync(d.socketPath).gid
  const name = `gatehouse-ci-${port}`
  containers.push(name)
  const health = `http://127.0.0.1:${port}/__gatehouse/health`
  await ok(d, [
    'run', '-d', '--name', name, '--network', 'host',
    '-v', `${configFile}:/app/gateway.config.ts:ro`,
    '-v', `${d.socketPath}:/var/run/docker.sock:ro`, '--group-add', String(socketGid),
    // Hardened as the README suggests: a read-only root, the bundle cache (older Node only) on a tmpfs.
    '--read-only', '--tmpfs', '/app/node_modules/.cache/gatehouse:uid=10001,gid=10001,mode=0700',
    '-e', `GATEHOUSE_HEALTH_URL=${health}`,
    '--health-interval', '1s', '--health-timeout', '5s', '--health-start-period', '30s',
    IMAGE,
  ])
  const logs = async () => {
    const res = await d.docker(['logs', name]).catch((e: Error) => ({ stdout: '', stderr: e.message }))
    return tail(`${res.stdout}\n${res.stderr}`, 40)
  }
  const diagnose = async (err: unknown) => {
    throw new Error(`${(err as Error).message}\n--- container log ---\n${await logs()}`)
  }

  await t.test('as built: the embedded demo config serves on :8080 and the default HEALTHCHECK URL finds it', async () => {
    // --network none: a private loopback, so port 8080 is free whatever the host runs.
    const demo = `gatehouse-ci-demo-${port}`
    containers.push(demo)
    await ok(d, ['run', '-d', '--name', demo, '--network', 'none', '--health-interval', '1s', '--health-start-period', '30s', IMAGE])
    const status = await waitFor(
      async () => {
        const s = (await ok(d, ['inspect', '--format', '{{.State.Health.Status}}', demo])).trim()
        return s === 'healthy' || s === 'unhealthy' ? s : undefined
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the demo container health' },
    )
    const demoLogs = await d.docker(['logs', demo])
    const log = demoLogs.stdout + demoLogs.stderr
    assert.equal(status, 'healthy', tail(log, 30))
    // e.g. the default config's registry.json missing from the image
    assert.deepEqual(log.split('\n').filter((l) => /\b(error|fatal)\b/i.test(l)), [], 'errors in the demo container log')
    const page = await ok(d, ['exec', demo, 'node', '-e', "fetch('http://127.0.0.1:8080/').then((r) => r.text()).then((t) => process.stdout.write(t))"])
    assert.match(page, /hello from demo upstream/)
    await ok(d, ['stop', '--time', String(STOP_TIMEOUT_S), demo])
    assert.equal(await ok(d, ['inspect', '--format', '{{.State.ExitCode}}', demo]), '0')
  })

  await t.test('a request through the container reaches the upstream', async () => {
    const res = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/hello?x=1`, { signal: AbortSignal.timeout(2000) })
        return r.status === 200 ? r : undefined
      },
      { timeoutMs: 45_000, intervalMs: 250, what: 'the gateway in the container to proxy /hello' },
    ).catch(diagnose)
    assert.equal(res.headers.get('x-upstream'), 'host-upstream')
    const seen = (await res.json()) as { url: string; headers: Record<string, string> }
    assert.equal(seen.url, '/hello?x=1')
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
    assert.equal(upstream.seen.at(-1)?.url, '/hello?x=1')
  })

  await t.test('the image HEALTHCHECK turns healthy', async () => {
    const state = await waitFor(
      async () => {
        const s = JSON.parse(await ok(d, ['inspect', '--format', '{{json .State.Health}}', name])) as { Status: string; Log: { ExitCode: number; Output: string }[] }
        return s.Status === 'healthy' ? s : undefined
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'State.Health.Status healthy' },
    ).catch(diagnose)
    assert.equal(state.Log.at(-1)?.ExitCode, 0)
  })

  await t.test('the mounted Docker socket feeds docker discovery', async () => {
    const box = `gatehouse-ci-box-${boxPort}`
    containers.push(box)
    await ok(d, [
      'run', '-d', '--name', box, '--network', 'host', '-l', 'gatehouse.pool=boxes', '-l', `gatehouse.port=${boxPort}`, d.image,
      'sh', '-c', `mkdir -p /www && echo 'hello from a container' > /www/index.html && exec httpd -f -p 127.0.0.1:${boxPort} -h /www`,
    ])
    const text = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/box/index.html`, { signal: AbortSignal.timeout(2000) })
        return r.status === 200 ? await r.text() : undefined
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the discovered busybox container behind /box/' },
    ).catch(diagnose)
    assert.equal(text.trim(), 'hello from a container')
    await ok(d, ['rm', '-f', box])
  })

  await t.test('docker stop: the slow request in flight completes, the gateway (PID 1) exits 0 within the grace period', async () => {
    const pid1 = await ok(d, ['exec', name, 'node', '-p', "require('node:fs').readFileSync('/proc/1/cmdline', 'utf8').split('\\0').join(' ').trim()"])
    assert.equal(pid1, 'node /app/bin/gatehouse.js start --config /app/gateway.config.ts')

    const inflight = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }))
    await waitFor(() => upstream.seen.some((s) => s.url === '/slow'), { timeoutMs: 5000, what: 'the slow request at the upstream' })
    const s0 = Date.now()
    const stop = d.docker(['stop', '--time', String(STOP_TIMEOUT_S), name], { timeoutMs: 60_000 })
    assert.deepEqual(await inflight, { status: 200, body: 'finished' })
    assert.equal((await stop).code, 0)
    const stoppedAfter = Date.now() - s0
    const state = JSON.parse(await ok(d, ['inspect', '--format', '{{json .State}}', name])) as { ExitCode: number; OOMKilled: boolean; Running: boolean }
    assert.equal(state.Running, false)
    assert.equal(state.ExitCode, 0, `exit code ${state.ExitCode} (137 = SIGKILLed: SIGTERM not handled)\n${await logs()}`)
    assert.ok(stoppedAfter < GRACE_MS, `stopped after ${stoppedAfter}ms, not within the ${GRACE_MS}ms grace period`)
    assert.match(await logs(), /draining in-flight requests/)
    t.diagnostic(`docker stop returned after ${stoppedAfter}ms (the slow request had ~${SLOW_MS}ms left)`)
  })

  t.diagnostic(`total ${((Date.now() - t0) / 1000).toFixed(0)}s`)
  mkdirSync(join(ROOT, 'test-output', 'container'), { recursive: true })
  writeFileSync(
    join(ROOT, 'test-output', 'container', 'image-report.json'),
    JSON.stringify({ image: IMAGE, base: base.tag, size, baseSize, buildSeconds, totalSeconds: (Date.now() - t0) / 1000 }, null, 2) + '\n',
  )
})
