/**
 * Scale to zero on a real dockerd, through the gateway CLI on Node, Bun and Deno: two stopped
 * busybox containers (`--network host`) make an asleep pool; 200 concurrent requests wake it and
 * are all answered by the app, with the added latency reported against the containers' own start
 * time. Probe paths hammered while asleep never wake it; with the Docker API gone, a running pool
 * is still served and an asleep one answers 503 with the reason.
 */
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { freePort } from '../support/ports.ts'
import { denoRunFlags, ROOT, RUNTIMES, runtimeBinary, spawnGatewayUnder, type RuntimeGateway } from '../support/runtimes.ts'
import { dirname, join } from 'node:path'
import { socketProxy } from '../support/socket-proxy.ts'
import { waitFor } from '../support/process.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let d: Dockerd
let api: Awaited<ReturnType<typeof socketProxy>>
before(async () => {
  d = await startDockerd()
  api = await socketProxy(d.socketPath)
})
after(async () => {
  await api?.close()
  await d?.stop()
})

async function sh(args: string[]): Promise<string> {
  const r = await d.docker(args, { timeoutMs: 60_000 })
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

/** A busybox httpd container labelled for `pool`, created and then stopped (asleep). */
async function asleep(name: string, pool: string): Promise<number> {
  const port = await freePort()
  await sh(['run', '-d', '--name', name, '--network', 'host', '-l', `gatehouse.pool=${pool}`, '-l', `gatehouse.port=${port}`, d.image, 'sh', '-c',
    `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`])
  await sh(['stop', '-t', '0', name])
  return port
}

const agent = new Agent({ keepAlive: false, maxSockets: 1000 })
function get(url: string, path = '/'): Promise<{ status: number; body: string; ms: number; timing?: string; error?: string }> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    const req = request(url + path, { agent }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body, ms: Date.now() - t0, timing: res.headers['server-timing'] as string | undefined, error: res.headers['x-gatehouse-error'] as string | undefined }))
    })
    req.on('error', (e) => resolve({ status: 0, body: e.message, ms: Date.now() - t0 }))
    req.end()
  })
}
const pct = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))]!
const startedAt = async (name: string) => Date.parse(await sh(['inspect', '-f', '{{.State.StartedAt}}', name]))

/**
 * Deno with the Docker plugin (README, Runtimes): all of --allow-env (dockerode's streams read
 * READABLE_STREAM, its `debug` lists every variable) and read/write on the socket's directory.
 */
const denoWithDocker = (socketDir: string) => (file: string) => {
  const flags = denoRunFlags().map((f) => (f.startsWith('--allow-env') ? '--allow-env' : f.startsWith('--allow-read=') ? `${f},${socketDir}` : f))
  return { cmd: runtimeBinary('deno'), args: ['run', ...flags, `--allow-write=${socketDir}`, join(ROOT, 'bin/gatehouse.js'), 'start', '--config', file] }
}

const config = (socket: string) => (port: number) => `import { defineConfig } from 'gatehouse'
import { docker } from 'gatehouse/plugins/docker'
export default defineConfig({
  listen: { host: '127.0.0.1', port: ${port} },
  pools: {
    // busybox httpd listens with a backlog of 9: 200 connections at once would overflow it (the
    // kernel drops some after the handshake; a request sent on one waits out the first-byte
    // timeout). wake.burst (8 per ready replica) keeps the woken queue under it; the short
    // first-byte timeout only bounds the damage if it did not (measured before wake.burst: p99 62 s).
    app: { discovery: docker({ socketPath: '${socket}', label: 'gatehouse.pool=app' }), timeouts: { firstByte: '3s' }, scale: { min: 0, idle: '1h', wake: { timeout: '30s' } } },
    other: { discovery: docker({ socketPath: '${socket}', label: 'gatehouse.pool=other' }), scale: { min: 0, idle: '1h' } },
  },
  routes: [{ host: 'other.test', pool: 'other' }, { pool: 'app' }],
})
`

for (const runtime of RUNTIMES.filter((r) => !process.env.E2E_ONLY || process.env.E2E_ONLY.split(',').includes(r))) {
  describe(`scale to zero on Docker, on ${runtime}`, { timeout: 180_000 }, () => {
    let gw: RuntimeGateway
    before(async () => {
      await Promise.all([asleep(`${runtime}-a1`, 'app'), asleep(`${runtime}-a2`, 'app')])
      gw = await spawnGatewayUnder(runtime, config(api.path), 'docker-wake', runtime === 'deno' ? denoWithDocker(dirname(api.path)) : undefined)
    })
    after(async () => {
      await gw?.stop()
      await d.docker(['rm', '-f', `${runtime}-a1`, `${runtime}-a2`, `${runtime}-o1`])
    })

    test('probe paths hammered while asleep never wake it', async () => {
      for (let i = 0; i < 20; i++) {
        const r = await get(gw.url, i % 2 ? '/healthz' : '/favicon.ico')
        assert.equal(r.status, 503)
        assert.equal(r.error, 'asleep')
      }
      await sleep(500)
      assert.equal(await sh(['inspect', '-f', '{{.State.Running}}', `${runtime}-a1`]), 'false')
    })

    test('200 concurrent requests at the asleep pool of two: all answered by the app; wake latency against the containers\' start', async () => {
      const t0 = Date.now()
      const replies = await Promise.all(Array.from({ length: 200 }, () => get(gw.url)))
      const statuses = replies.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {})
      assert.deepEqual(statuses, { 200: 200 }, JSON.stringify(replies.filter((r) => r.status !== 200).slice(0, 3)))
      assert.ok(replies.every((r) => new RegExp(`^${runtime}-a[12]\\n$`).test(r.body)))
      assert.ok(replies.every((r) => /^wake;dur=\d+$/.test(r.timing ?? '')), 'each waited request says so in Server-Timing')
      const started = Math.min(await startedAt(`${runtime}-a1`), await startedAt(`${runtime}-a2`)) - t0
      const lat = replies.map((r) => r.ms)
      console.log(`# ${runtime}: 200 requests at an asleep pool of 2 containers: 0 failed; first container started ${started} ms after the first request; latency p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms (wake adds p50 ${pct(lat, 50) - started} ms, p99 ${pct(lat, 99) - started} ms beyond the start)`)
      assert.equal(await sh(['inspect', '-f', '{{.State.Running}}', `${runtime}-a2`]), 'true', 'a wake starts the whole pool')
    })

    test('Docker API gone: the awake pool is still served; an asleep pool answers 503 with the reason', async () => {
      await asleep(`${runtime}-o1`, 'other')
      await waitFor(async () => (await get(gw.url.replace('127.0.0.1', '127.0.0.1'))).status === 200, { timeoutMs: 5000, what: 'app served' })
      await sleep(1500) // the gateway has seen other's stopped container
      api.cut()
      try {
        for (let i = 0; i < 20; i++) assert.equal((await get(gw.url)).status, 200)
        const other = await new Promise<{ status: number; body: string; error?: string }>((resolve) => {
          const req = request(gw.url, { agent, headers: { host: 'other.test' } }, (res) => {
            let body = ''
            res.on('data', (c) => (body += c))
            res.on('end', () => resolve({ status: res.statusCode!, body, error: res.headers['x-gatehouse-error'] as string | undefined }))
          })
          req.on('error', (e) => resolve({ status: 0, body: e.message }))
          req.end()
        })
        assert.equal(other.status, 503, other.body)
        assert.equal(other.error, 'wake-failed')
        assert.match(other.body, /could not be woken/)
      } finally {
        api.restore()
      }
    })
  })
}

test('labels only, no config edit: a container with gatehouse.host and gatehouse.scale.* sleeps when idle, keeps its route, and a request to its host wakes it', { timeout: 90_000 }, async () => {
  const { startGateway } = await import('../support/gateway.ts')
  const { docker } = await import('../../plugins/docker/index.ts')
  const port = await freePort()
  await sh(['run', '-d', '--name', 'labelled', '--network', 'host', '-l', 'gatehouse.pool=labelled', '-l', 'gatehouse.host=labelled.test', '-l', `gatehouse.port=${port}`,
    '-l', 'gatehouse.scale.min=0', '-l', 'gatehouse.scale.idle=2s', d.image, 'sh', '-c', `mkdir -p /www && echo labelled > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`])
  const gw = await startGateway({ discovery: [docker({ socketPath: d.socketPath })] })
  const hostGet = () =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const req = request(gw.url, { agent, headers: { host: 'labelled.test' } }, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      })
      req.on('error', (e) => resolve({ status: 0, body: e.message }))
      req.end()
    })
  try {
    await waitFor(async () => (await hostGet()).status === 200, { timeoutMs: 10_000, what: 'the labelled container served' })
    await waitFor(async () => (await sh(['inspect', '-f', '{{.State.Running}}', 'labelled'])) === 'false', { timeoutMs: 15_000, what: 'stopped by the gateway after 2 s idle' })
    await sleep(500)
    assert.equal(gw.gateway.scaling.view('labelled')?.state, 'asleep')
    assert.ok(gw.gateway.routes().some((r) => r.host?.includes('labelled.test')), 'its route stays while it sleeps')
    const woken = await hostGet()
    assert.deepEqual(woken, { status: 200, body: 'labelled\n' })
    assert.equal(await sh(['inspect', '-f', '{{.State.Running}}', 'labelled']), 'true')
  } finally {
    await gw.stop()
    await d.docker(['rm', '-f', 'labelled'])
  }
})
