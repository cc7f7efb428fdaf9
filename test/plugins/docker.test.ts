/**
 * Docker discovery against a real private dockerd (one for this file): the discovery contract,
 * seed 002 replayed end to end behind an in-process gateway (balance, stop, start, HEALTHCHECK),
 * routes from labels, image selection, and a broken or silent event stream.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { docker } from '../../plugins/docker/index.ts'
import { createLogger } from '../../core/log.ts'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { tempDir } from '../support/process.ts'
import { discoveryContract, runPlugin, sleep } from './discovery.contract.ts'
import { echoClient, startGrpcUpstream, type GrpcUpstream, type Msg } from '../http2/grpc-upstream.ts'

let d: Dockerd
before(async () => {
  d = await startDockerd()
})
after(() => d?.stop())

async function sh(args: string[]): Promise<string> {
  const r = await d.docker(args)
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

/** A busybox httpd on the host network whose page says its name; returns its container id. */
async function runWeb(name: string, port: number, labels: Record<string, string>, extra: string[] = []): Promise<string> {
  const flags = Object.entries(labels).flatMap(([k, v]) => ['-l', `${k}=${v}`])
  return sh([
    'run', '-d', '--name', name, '--network', 'host', ...flags, ...extra, d.image, 'sh', '-c',
    `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`,
  ])
}

/** A container that only sleeps (discovery does not care whether anything listens). */
const runIdle = (name: string, labels: Record<string, string>, image = d.image) =>
  sh(['run', '-d', '--name', name, '--network', 'host', ...Object.entries(labels).flatMap(([k, v]) => ['-l', `${k}=${v}`]), image, 'sleep', '3600'])

/** node:http, not fetch: fetch drops a Host header it is given. One connection per request. */
function hit(base: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { agent: false, headers: host ? { host } : {}, timeout: 3000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body: body.trim() }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

interface Sample { at: number; status: number; body: string }
/** Sends a request every ~50 ms until stopped; `at` is ms since `t0`. */
function poller(base: string, t0: number, host?: string) {
  const samples: Sample[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const started = Date.now()
      const s = await hit(base, host).catch((err) => ({ status: 0, body: String(err.message) }))
      samples.push({ at: started - t0, ...s })
      await sleep(Math.max(0, 50 - (Date.now() - started)))
    }
  })()
  return { samples, stop: async () => ((running = false), await done, samples) }
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(25)
  }
}

// Creating a container is the slow part here (~0.5-1.5 s with the vfs driver); starting one takes
// ~0.2 s. So the contract's containers are created once, then started (add) and killed (remove).
const contractBoxes = new Set<string>()
async function contractBox(key: string, port: string): Promise<string> {
  const name = `contract-${key}`
  if (!contractBoxes.has(name)) {
    await sh(['create', '--name', name, '--network', 'host', '-l', 'gh.contract=1', '-l', `gatehouse.port=${port}`, d.image, 'sleep', '3600'])
    contractBoxes.add(name)
  }
  return name
}
discoveryContract('docker', async () => {
  const running = new Set<string>()
  const start = async (key: string, port: string) => {
    const name = await contractBox(key, port)
    await sh(['start', name])
    running.add(name)
  }
  return {
    plugin: docker({ socketPath: d.socketPath, label: 'gh.contract=1' }),
    mutate: {
      add: (url) => start(new URL(url).port, new URL(url).port),
      async remove(url) {
        const name = `contract-${new URL(url).port}`
        await sh(['kill', name])
        running.delete(name)
      },
      corrupt: () => start('bad', 'not-a-port'),
    },
    cleanup: async () => void (running.size && (await d.docker(['kill', ...running]))),
  }
})

describe('docker discovery: seed 002 behind a gateway', () => {
  let gw: TestGateway
  const ports: Record<string, number> = {}
  const web = { 'gatehouse.pool': 'web' }

  before(async () => {
    for (const n of ['web1', 'web2', 'web3', 'web4']) ports[n] = await freePort()
    await runWeb('web1', ports.web1!, { ...web, 'gatehouse.port': String(ports.web1) })
    await runWeb('web2', ports.web2!, { ...web, 'gatehouse.port': String(ports.web2) })
    gw = await startGateway({ pools: { web: { discovery: docker({ socketPath: d.socketPath, label: 'gatehouse.pool=web' }) } }, routes: [{ path: '/*', pool: 'web' }] })
  })
  after(async () => {
    await gw?.stop()
    await d.docker(['rm', '-f', 'web1', 'web2', 'web3', 'web4'])
  })

  it('balances across both containers', async () => {
    await until('both containers serving', 5000, async () => {
      const seen = new Set<string>()
      for (let i = 0; i < 6; i++) seen.add((await hit(gw.url)).body)
      return seen.has('web1') && seen.has('web2') ? true : undefined
    })
    const bodies: string[] = []
    for (let i = 0; i < 20; i++) bodies.push((await hit(gw.url)).body)
    assert.deepEqual(new Set(bodies), new Set(['web1', 'web2']))
    assert.equal(bodies.filter((b) => b === 'web1').length, 10, 'round robin alternates')
  })

  it('docker stop: no request reaches the container after 1 s, and none fails (reacts on kill, not die)', async (t) => {
    const t0 = Date.now()
    const poll = poller(gw.url, t0)
    const stopped = await d.docker(['stop', '-t', '2', 'web1']) // busybox httpd ignores TERM as PID 1: killed after 2 s
    const stopTook = Date.now() - t0
    await sleep(300)
    const samples = await poll.stop()
    assert.equal(stopped.code, 0, stopped.stderr)
    const failed = samples.filter((s) => s.status !== 200)
    assert.deepEqual(failed, [], 'no request failed while the container stopped')
    const late = samples.filter((s) => s.at > 1000 && s.body === 'web1')
    assert.deepEqual(late, [], 'web1 answered after 1 s')
    const lastWeb1 = Math.max(-1, ...samples.filter((s) => s.body === 'web1').map((s) => s.at))
    t.diagnostic(`stop: ${samples.length} requests over ${samples.at(-1)!.at} ms, 0 failed; last from web1 at ${lastWeb1} ms; docker stop took ${stopTook} ms`)
    assert.ok(stopTook > 1500, 'the container really kept running through the stop timeout')
  })

  it('a third container takes traffic within 1 s of starting, with no restart', async (t) => {
    const poll = poller(gw.url, Date.now())
    await runWeb('web3', ports.web3!, { ...web, 'gatehouse.port': String(ports.web3) })
    const started = Date.now()
    const seen = await until('web3 serving', 3000, async () => ((await hit(gw.url)).body === 'web3' ? Date.now() - started : undefined))
    const samples = await poll.stop()
    t.diagnostic(`start: web3 served ${seen} ms after docker run returned`)
    assert.ok(seen < 1000, `web3 took ${seen} ms`)
    assert.deepEqual(samples.filter((s) => s.status !== 200), [])
  })

  it('a container with a failing HEALTHCHECK is not used until healthy, and leaves when unhealthy again', async (t) => {
    const health = ['--health-cmd', 'test -f /www/ready', '--health-interval', '200ms', '--health-retries', '1']
    await runWeb('web4', ports.web4!, { ...web, 'gatehouse.port': String(ports.web4) }, health)
    const t0 = Date.now()
    const poll = poller(gw.url, t0)
    await sleep(1200)
    const unhealthy = await sh(['inspect', '-f', '{{.State.Health.Status}}', 'web4'])
    assert.deepEqual(poll.samples.filter((s) => s.body === 'web4'), [], 'web4 served while starting/unhealthy')
    assert.equal(unhealthy, 'unhealthy')

    await sh(['exec', 'web4', 'touch', '/www/ready'])
    const ready = Date.now()
    const inAfter = await until('web4 serving once healthy', 3000, async () => (poll.samples.some((s) => s.body === 'web4') ? Date.now() - ready : undefined))
    await sh(['exec', 'web4', 'rm', '/www/ready'])
    const sick = Date.now()
    await until('web4 out once unhealthy', 3000, async () => {
      const recent = poll.samples.filter((s) => s.at > sick - t0 + 50)
      return recent.length >= 5 && recent.slice(-5).every((s) => s.body !== 'web4') ? true : undefined
    })
    const outAfter = Date.now() - sick
    const samples = await poll.stop()
    t.diagnostic(`health: in ${inAfter} ms after the check could pass, out ${outAfter} ms after it could fail (interval 200 ms)`)
    assert.deepEqual(samples.filter((s) => s.status !== 200), [])
  })
})

describe('docker discovery: routes from labels at the top level', () => {
  let gw: TestGateway
  before(async () => {
    gw = await startGateway({ discovery: [docker({ socketPath: d.socketPath })] })
  })
  after(async () => {
    await gw?.stop()
    await d.docker(['rm', '-f', 'app1', 'app1-bad'])
  })

  it('a container labelled for a new host is reachable at that host within 1 s; a badly labelled one harms nothing', async (t) => {
    assert.equal((await hit(gw.url, 'app1.test')).status, 404)
    const port = await freePort()
    await runIdle('app1-bad', { 'gatehouse.host': 'app1.test', 'gatehouse.pool': 'app1', 'gatehouse.port': 'eighty' })
    await runWeb('app1', port, { 'gatehouse.host': 'app1.test', 'gatehouse.pool': 'app1', 'gatehouse.port': String(port) })
    const started = Date.now()
    const took = await until('app1.test served', 3000, async () => ((await hit(gw.url, 'app1.test')).body === 'app1' ? Date.now() - started : undefined))
    t.diagnostic(`host route: app1.test served ${took} ms after docker run returned`)
    assert.ok(took < 1000, `took ${took} ms`)
    assert.equal((await hit(gw.url, 'other.test')).status, 404, 'only the labelled host is routed')

    // While it stops, its route stays and answers 503 (not 404); once it is removed, so is the route.
    // (Stopped, it may stay: where the gateway takes the plugin's scaler, a stopped container is an
    // asleep replica whose route stays for the core to wake it; test/plugins/docker-scaler.test.ts.)
    const stopping = d.docker(['stop', '-t', '2', 'app1'])
    await until('503 while stopping', 1000, async () => ((await hit(gw.url, 'app1.test')).status === 503 ? true : undefined))
    await stopping
    await sh(['rm', 'app1'])
    await until('404 once gone', 1000, async () => ((await hit(gw.url, 'app1.test')).status === 404 ? true : undefined))
  })
})

// gRPC servers found through Docker: the label says they speak h2c. The containers only sleep on the
// host network; what answers at their labelled ports is a grpc-js server in this process (the image
// has no gRPC server), which is where a host-network container's port leads.
describe('docker discovery: gatehouse.protocol=h2c makes a container an HTTP/2 upstream', () => {
  let gw: TestGateway
  const servers: GrpcUpstream[] = []
  before(async () => {
    for (const name of ['g1', 'g2']) {
      const server = await startGrpcUpstream(name)
      servers.push(server)
      await runIdle(`grpc-${name}`, { 'gatehouse.pool': 'grpc', 'gatehouse.port': String(server.port), 'gatehouse.protocol': 'h2c' })
    }
    gw = await startGateway({
      listen: { http2: { h2c: true } },
      pools: { grpc: { discovery: docker({ socketPath: d.socketPath, label: 'gatehouse.pool=grpc' }) } },
      routes: [{ path: '/gatehouse.test.Echo/*', pool: 'grpc' }],
    })
  })
  after(async () => {
    await gw?.stop()
    for (const s of servers) await s.close()
    await d.docker(['rm', '-f', 'grpc-g1', 'grpc-g2'])
  })

  it('gRPC calls through the gateway reach both containers, per call (without the label they would be HTTP/1.1, which a gRPC server refuses)', async () => {
    const client = echoClient(`127.0.0.1:${gw.port}`)
    const call = (text: string) =>
      new Promise<Msg>((resolve, reject) => client.Unary({ text, count: 0, delay_ms: 0 }, (err: Error | null, m: Msg) => (err ? reject(err) : resolve(m))))
    try {
      await until('both containers answering', 5000, async () => {
        const names = new Set<string>()
        for (let i = 0; i < 6; i++) names.add((await call('hi')).text.split(':')[0]!)
        return names.size === 2 ? true : undefined
      })
      const before = servers.map((s) => s.calls.Unary ?? 0)
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => call(`n${i}`)))
      assert.ok(answers.every((m, i) => m.text.endsWith(`: n${i}`)))
      const spread = servers.map((s, i) => (s.calls.Unary ?? 0) - before[i]!)
      assert.deepEqual(spread, [5, 5], 'round robin per call over one client connection')
    } finally {
      client.close()
    }
  })
})

describe('docker discovery: a route the config already defines', () => {
  it('is logged as ignored once per change, not again on every later snapshot', async (t) => {
    const lines: string[] = []
    const gw = await startGateway(
      { pools: { cfg: { upstreams: ['http://127.0.0.1:9'] } }, routes: [{ host: 'taken.test', pool: 'cfg' }], discovery: [docker({ socketPath: d.socketPath, label: 'test.case=ignored' })] },
      { log: createLogger('text', (l) => void lines.push(l)) },
    )
    t.after(async () => {
      await gw.stop()
      await d.docker(['rm', '-f', 'dup', 'other1', 'other2'])
    })
    const ignored = () => lines.filter((l) => /route taken\.test\/\* ignored/.test(l)).length
    const routesChanged = () => lines.filter((l) => l.includes('routes:') && l.includes('active after a change')).length
    const label = { 'test.case': 'ignored' }
    await runIdle('dup', { ...label, 'gatehouse.host': 'taken.test', 'gatehouse.pool': 'dup', 'gatehouse.port': '80' })
    await until('the ignored route logged', 3000, async () => (ignored() === 1 ? true : undefined)).catch((e) => assert.fail(`${e.message}\n${lines.join('\n')}`))
    // Other containers come and go: each change rebuilds the routes; the ignored one stays unmentioned.
    for (const name of ['other1', 'other2']) {
      const before = routesChanged()
      await runIdle(name, { ...label, 'gatehouse.host': `${name}.test`, 'gatehouse.pool': name, 'gatehouse.port': '80' })
      await until(`${name}'s route`, 3000, async () => (routesChanged() > before ? true : undefined))
    }
    await sh(['rm', '-f', 'other1'])
    await until('other1 gone', 3000, async () => (gw.gateway.routes().some((r) => r.host === 'other1.test') ? undefined : true))
    assert.equal(ignored(), 1, lines.join('\n'))
    // Gone and back: a new change, logged again.
    await sh(['rm', '-f', 'dup'])
    await until('dup gone', 3000, async () => (gw.gateway.pool('dup')?.upstreams.length === 0 ? true : undefined))
    await runIdle('dup', { ...label, 'gatehouse.host': 'taken.test', 'gatehouse.pool': 'dup', 'gatehouse.port': '80' })
    await until('logged again', 3000, async () => (ignored() === 2 ? true : undefined))
  })
})

describe('docker discovery: selection by image, and what it logs', () => {
  after(() => d.docker(['rm', '-f', 'node1', 'node2', 'other1']))

  it('seed 002: containers of an image, on containerPort; the label overrides the port', async () => {
    await sh(['tag', d.image, 'local/nodeapp:latest'])
    const run = await runPlugin(docker({ socketPath: d.socketPath, image: 'local/nodeapp', containerPort: 8000 }), 'nodesrv')
    try {
      await runIdle('node1', {}, 'local/nodeapp')
      await runIdle('node2', { 'gatehouse.port': '8001' }, 'local/nodeapp:latest')
      await runIdle('other1', { 'gatehouse.port': '8002' })
      await run.until('nodesrv', (u) => u.length === 2, 1000, 'both nodeapp containers')
      assert.deepEqual(run.current('nodesrv'), ['http://127.0.0.1:8000', 'http://127.0.0.1:8001'])
      const ids = run.emits.at(-1)!.pools.nodesrv!.map((u) => (u as { id: string }).id)
      assert.deepEqual(ids.sort(), [await sh(['inspect', '-f', '{{.Id}}', 'node1']), await sh(['inspect', '-f', '{{.Id}}', 'node2'])].sort(), 'upstream id = container id')
      await sh(['pause', 'node1'])
      await run.until('nodesrv', (u) => u.length === 1, 1000, 'paused container out')
      await sh(['unpause', 'node1'])
      await run.until('nodesrv', (u) => u.length === 2, 1000, 'unpaused container back')
      assert.ok(run.logs.some((l) => l.msg.includes('node1') && l.msg.includes('held back: paused')))
    } finally {
      run.abort()
    }
  })
})

/** A unix-socket proxy in front of dockerd that the test can cut (daemon gone) or mute (events stall). */
async function socketProxy(target: string) {
  const path = join(tempDir('gh-dproxy', { removeOnExit: true }), 'docker.sock')
  const pairs = new Set<{ client: Socket; daemon: Socket; events: boolean }>()
  let refusing = false
  let muted = false
  const server = createServer((client) => {
    if (refusing) return void client.destroy()
    const daemon = connect(target)
    const pair = { client, daemon, events: false }
    pairs.add(pair)
    client.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').includes('GET /events')) pair.events = true
      daemon.write(chunk)
    })
    daemon.on('data', (chunk: Buffer) => void (muted && pair.events ? undefined : client.write(chunk)))
    const end = () => (pairs.delete(pair), client.destroy(), daemon.destroy())
    client.on('close', end).on('error', end)
    daemon.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return {
    path,
    cut: () => ((refusing = true), [...pairs].forEach((p) => (p.client.destroy(), p.daemon.destroy()))),
    restore: () => void (refusing = false),
    mute: (on: boolean) => void (muted = on),
    close: () => new Promise<void>((resolve) => (pairs.forEach((p) => p.client.destroy()), server.close(() => resolve()))),
  }
}

describe('docker discovery: a broken or silent event stream', () => {
  after(() => d.docker(['rm', '-f', 'brk1', 'brk2', 'mute1']))

  it('reconnects with backoff and re-lists, serving the last snapshot meanwhile', async (t) => {
    const proxy = await socketProxy(d.socketPath)
    const run = await runPlugin(docker({ socketPath: proxy.path, label: 'gh.brk=1', reconnect: '400ms' }), 'brk')
    try {
      await runIdle('brk1', { 'gh.brk': '1', 'gatehouse.port': '7301' })
      await run.until('brk', (u) => u.length === 1, 1000, 'brk1 seen')
      proxy.cut() // the daemon "goes away": stream broken, new connections refused
      await sleep(200)
      const emitted = run.emits.length
      await sh(['rm', '-f', 'brk1']) // both changes happen while the plugin cannot hear
      await runIdle('brk2', { 'gh.brk': '1', 'gatehouse.port': '7302' })
      await sleep(800)
      assert.equal(run.emits.length, emitted, 'nothing emitted while Docker is unreachable')
      assert.deepEqual(run.current('brk'), ['http://127.0.0.1:7301'], 'the last snapshot keeps serving')
      assert.ok(run.problems().some((l) => /event stream ended|cannot subscribe|cannot list/.test(l.msg)), JSON.stringify(run.logs))
      const restored = Date.now()
      proxy.restore()
      await run.until('brk', (u) => u.join() === 'http://127.0.0.1:7302', 1500, 'the re-list after reconnecting')
      t.diagnostic(`reconnect: re-listed ${Date.now() - restored} ms after the daemon came back (backoff max 400 ms)`)
      assert.ok(run.logs.some((l) => l.msg.includes('connected again')))
    } finally {
      run.abort()
      await proxy.close()
    }
  })

  it('a daemon that is missing or never answers does not hold up start(); it logs and keeps trying', async () => {
    const missing = await runPlugin(docker({ socketPath: '/nonexistent/docker.sock' }), 'gone')
    missing.abort()
    assert.deepEqual(missing.emits, [])
    assert.match(missing.problems()[0]?.msg ?? '', /cannot subscribe to events \(.*ENOENT.*\); no snapshot yet, reconnecting/)

    const path = join(tempDir('gh-dsilent', { removeOnExit: true }), 'docker.sock')
    const accepted = new Set<Socket>()
    const silent = createServer((s) => void accepted.add(s.on('error', () => {})))
    await new Promise<void>((resolve) => silent.listen(path, resolve))
    try {
      const t0 = Date.now()
      const run = await runPlugin(docker({ socketPath: path, timeout: '300ms', reconnect: '200ms' }), 'silent')
      const took = Date.now() - t0
      await sleep(500)
      run.abort()
      assert.ok(took < 1000, `start() took ${took} ms`)
      assert.deepEqual(run.emits, [])
      assert.equal(run.problems().length, 1, 'one line for the outage, not one per attempt')
      assert.ok(accepted.size >= 2, 'it kept trying')
    } finally {
      accepted.forEach((s) => s.destroy())
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('a periodic re-list catches changes whose events never arrived', async () => {
    const proxy = await socketProxy(d.socketPath)
    const run = await runPlugin(docker({ socketPath: proxy.path, label: 'gh.mute=1', resync: '300ms' }), 'mute')
    try {
      proxy.mute(true) // the stream stays open but says nothing
      await runIdle('mute1', { 'gh.mute': '1', 'gatehouse.port': '7401' })
      await run.until('mute', (u) => u.length === 1, 1500, 'mute1 via the periodic re-list')
    } finally {
      run.abort()
      await proxy.close()
    }
  })
})
