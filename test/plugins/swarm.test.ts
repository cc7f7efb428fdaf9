/**
 * Swarm discovery against a real one-node swarm on a private dockerd (one for this file; advertised
 * and listening on 127.0.0.1 only). Services use host networking and bind 127.0.0.1 ports
 * `<base>{{.Task.Slot}}`: the discovery contract, tasks with their ports and routes, the Scaler
 * (1 → 3 → 1, to 0 and back), a rolling `docker service update --image` under a bounded request
 * loop through an in-process gateway, and a broken event stream.
 */
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import Docker from 'dockerode'
import type { DiscoveryPlugin, Scaler } from '../../core/types.ts'
import { swarm } from '../../plugins/swarm/index.ts'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { freePort } from '../support/ports.ts'
import { discoveryContract, runPlugin, sleep } from './discovery.contract.ts'
import { socketProxy } from '../support/socket-proxy.ts'

const IMAGE2 = 'gatehouse-test/busybox:2' // a second tag of the test image, for rolling updates
let d: Dockerd
before(async () => {
  d = await startDockerd()
  const port = await freePort()
  await sh(['swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`])
  await sh(['tag', d.image, IMAGE2])
})
after(async () => {
  const services = (await d?.docker(['service', 'ls', '-q']))?.stdout.split('\n').filter(Boolean) ?? []
  if (services.length) await d.docker(['service', 'rm', ...services])
  await d?.stop()
})

async function sh(args: string[]): Promise<string> {
  const r = await d.docker(args, { timeoutMs: 60_000 })
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

const labelFlags = (labels: Record<string, string>) => Object.entries(labels).flatMap(([k, v]) => ['-l', `${k}=${v}`])

/** A host-network service whose tasks serve their task name ("app.1.<task id>") on 127.0.0.1:<base><slot>. */
function createWeb(name: string, base: number, replicas: number, labels: Record<string, string>): Promise<string> {
  return sh([
    'service', 'create', '--detach', '--no-resolve-image', '--name', name, '--network', 'host', '--replicas', String(replicas),
    '--stop-grace-period', '2s', // busybox httpd as PID 1 ignores SIGTERM: it runs until the SIGKILL
    '--env', `PORT=${base}{{.Task.Slot}}`, '--env', 'TASK={{.Task.Name}}', '-l', `gatehouse.port=${base}{{.Task.Slot}}`, ...labelFlags(labels),
    d.image, 'sh', '-c', 'mkdir -p /www && echo $TASK > /www/index.html && exec httpd -f -p 127.0.0.1:$PORT -h /www',
  ])
}

/** A base whose ports <base>1…<base>5 are free, below Linux's ephemeral range (so no client socket takes one meanwhile). */
async function freeBase(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
  for (;;) {
    const base = 2000 + Math.floor(Math.random() * 1200)
    if ((await Promise.all([1, 2, 3, 4, 5].map((k) => free(base * 10 + k)))).every(Boolean)) return base
  }
}

/** node:http with a keep-alive agent (as clients do); one request. */
function get(url: string, agent: Agent | false, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: host ? { host } : {}, timeout: 5000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body: body.trim() }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

/** Waits until `service` has `n` containers left: tasks scaled in keep their slot's port until they exit. */
const containersLeft = (service: string, n: number) =>
  until(`${service} down to ${n} container(s)`, 15_000, async () => {
    const ids = (await sh(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`])).split('\n').filter(Boolean)
    return ids.length === n ? true : undefined
  })

/** Task id from a body "app.1.<task id>". */
const taskOf = (body: string) => body.split('.')[2] ?? body

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(25)
  }
}

/** The plugin with its emits timed and its scaler kept: what the gateway gets, seen from the test. */
function recorded(plugin: DiscoveryPlugin) {
  const emits: Array<{ at: number; ids: string[]; urls: string[] }> = []
  let scaler: Scaler | undefined
  const wrapped: DiscoveryPlugin = {
    ...plugin,
    start: (ctx) =>
      plugin.start({
        ...ctx,
        emit(s) {
          const list = Object.values(s.pools).flat() as Array<{ id: string; url: string }>
          emits.push({ at: Date.now(), ids: list.map((u) => u.id), urls: list.map((u) => u.url).sort() })
          ctx.emit(s)
        },
        scaler: (sc) => void (scaler = sc),
      }),
  }
  return {
    plugin: wrapped,
    scaler: () => scaler ?? assert.fail('no scaler handed over'),
    urls: () => emits.at(-1)?.urls ?? [],
    ids: () => emits.at(-1)?.ids ?? [],
    /** When `id` left the pool: the first emit without it after one with it. */
    leftAt(id: string): number | undefined {
      let seen = false
      for (const e of emits) {
        if (e.ids.includes(id)) seen = true
        else if (seen) return e.at
      }
      return undefined
    },
  }
}

/** When each task's container got its first `kill` (the stop signal), from Docker's event stream. */
async function killTimes(socketPath: string) {
  const stream = (await new Docker({ socketPath }).getEvents({ filters: { type: ['container'], event: ['kill'] } })) as NodeJS.ReadableStream & { destroy(): void }
  const at = new Map<string, number>()
  let buffered = ''
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    for (let nl; (nl = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(nl + 1)) {
      const task = JSON.parse(buffered.slice(0, nl)).Actor?.Attributes?.['com.docker.swarm.task.id']
      if (task && !at.has(task)) at.set(task, Date.now())
    }
  })
  return { at, close: () => stream.destroy() }
}

// The contract, one service per upstream (a task that only sleeps: discovery does not care whether anything listens).
const contractServices = new Set<string>()
async function contractService(key: string, port: string): Promise<void> {
  const name = `contract-${key}`
  await sh(['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--network', 'host', '--stop-grace-period', '1s', '-l', 'gh.contract=1', '-l', `gatehouse.port=${port}`, d.image, 'sleep', '3600'])
  contractServices.add(name)
}
discoveryContract('swarm', async () => ({
  plugin: swarm({ socketPath: d.socketPath, label: 'gh.contract=1' }),
  mutate: {
    add: (url) => contractService(new URL(url).port, new URL(url).port),
    async remove(url) {
      const name = `contract-${new URL(url).port}`
      await sh(['service', 'rm', name])
      contractServices.delete(name)
    },
    corrupt: () => contractService('bad', 'not-a-port'),
  },
  boundMs: 3000, // a service's first task runs ~1-1.5 s after `service create` on this vfs-backed dockerd
  async cleanup() {
    if (contractServices.size) await d.docker(['service', 'rm', ...contractServices])
    contractServices.clear()
  },
}))

describe('swarm discovery: a host-network service behind a gateway, scaled through the Scaler', () => {
  let base: number
  let gw: TestGateway
  let app: ReturnType<typeof recorded>
  let kills: Awaited<ReturnType<typeof killTimes>>
  const action = { how: 'stop' as const, clone: false, reason: 'test' }
  /** Sorted upstream URLs for these slots. */
  const slots = (...n: number[]) => n.map((k) => `http://127.0.0.1:${base}${k}`).sort()

  let created: number
  before(async () => {
    base = await freeBase()
    kills = await killTimes(d.socketPath)
    created = Date.now()
    await createWeb('app', base, 2, { 'gatehouse.host': 'app.test', 'gatehouse.scale.min': '0', 'gatehouse.scale.idle': '30s' })
    app = recorded(swarm({ socketPath: d.socketPath, service: 'app' }))
    gw = await startGateway({ pools: { app: { discovery: app.plugin, retries: 2 } }, routes: [{ path: '/*', pool: 'app' }] })
  })
  after(async () => {
    kills?.close()
    await gw?.stop()
    await d.docker(['service', 'rm', 'app'])
  })

  it('discovers the running tasks with their slot ports, task ids and routes', async (t) => {
    const top = await runPlugin(swarm({ socketPath: d.socketPath })) // top level: pool and route from the labels
    try {
      await top.until('app', (u) => u.length === 2, 10_000, 'both tasks')
      t.diagnostic(`both tasks of a new service discovered ${Date.now() - created} ms after \`docker service create\` started`)
      assert.deepEqual(top.current('app'), slots(1, 2))
      const last = top.emits.at(-1)!
      assert.deepEqual(last.routes, [{ host: 'app.test', path: '/*', pool: 'app' }])
      const running = (await sh(['service', 'ps', '-q', '--filter', 'desired-state=running', 'app'])).split('\n').sort()
      const upstreams = last.pools.app as Array<{ id: string; labels: Record<string, string> }>
      assert.deepEqual(upstreams.map((u) => u.id).sort(), running, 'upstream id = task id')
      assert.deepEqual(upstreams.map((u) => u.labels.task).sort(), ['app.1', 'app.2'])
      assert.deepEqual(top.problems(), [])
    } finally {
      top.abort()
    }
    // Through the gateway (its own plugin, attached to pool "app"): both tasks answer.
    await until('the gateway sees both tasks', 5000, () => (app.urls().length === 2 ? true : undefined))
    const bodies = new Set<string>()
    for (let i = 0; i < 6; i++) bodies.add(taskOf((await get(gw.url, false)).body))
    assert.deepEqual([...bodies].sort(), app.ids().slice().sort(), 'each task answers on its own port')
    assert.deepEqual(app.scaler().settings?.('app'), { min: '0', idle: '30s' })
  })

  it('scales 1 → 3 → 1 through the Scaler; the snapshot follows, and tasks scaled in leave before their stop signal', async (t) => {
    const scaler = app.scaler()
    const steps: string[] = []
    for (const n of [1, 3, 1]) {
      const t0 = Date.now()
      const before = app.ids()
      await scaler.scale('app', n, action)
      await until(`${n} task(s) serving`, 15_000, () => (app.urls().length === n ? true : undefined))
      steps.push(`${n} in ${Date.now() - t0} ms`)
      assert.equal(scaler.running('app'), n)
      if (n === 3) {
        assert.deepEqual(app.urls(), slots(1, 2, 3))
        const seen = new Set<string>()
        await until('all three answer through the gateway', 5000, async () => (seen.add((await get(gw.url, false)).body), seen.size === 3 ? true : undefined))
      }
      for (const gone of before.filter((id) => !app.ids().includes(id))) {
        const kill = await until(`the stop signal of ${gone}`, 15_000, () => kills.at.get(gone))
        const lead = kill - app.leftAt(gone)!
        steps.push(`  task ${gone.slice(0, 5)} left ${lead} ms before its stop signal`)
        assert.ok(lead > 0, `task ${gone} left the pool ${-lead} ms after its container got the stop signal`)
      }
      // With host networking a slot's port is busy until its old task exits: a new task in that
      // slot fails to bind and Swarm retries it after its restart delay (5 s). Wait it out.
      await containersLeft('app', n)
    }
    assert.equal(Number((await sh(['service', 'inspect', '-f', '{{.Spec.Mode.Replicated.Replicas}}', 'app']))), 1)
    t.diagnostic(`scale: ${steps.join('; ')}`)
  })

  it('scaled to 0: asleep 1, its pool empty (503); scaled back: serving again', async (t) => {
    const scaler = app.scaler()
    await scaler.scale('app', 0, action)
    await until('no task serving', 10_000, () => (app.urls().length === 0 ? true : undefined))
    await until('asleep', 5000, () => (scaler.asleep('app') === 1 && scaler.running('app') === 0 ? true : undefined))
    assert.equal((await get(gw.url, false)).status, 503)
    await containersLeft('app', 0)
    const woke = Date.now()
    await scaler.scale('app', 1, action)
    await until('awake once the service has replicas again', 5000, () => (scaler.asleep('app') === 0 ? true : undefined))
    const served = await until('serving again', 15_000, async () => ((await get(gw.url, false)).status === 200 ? Date.now() - woke : undefined))
    t.diagnostic(`wake: 0 → 1 replica, first 200 through the gateway ${served} ms after scale() was called`)
  })

  it('a rolling `docker service update --image` under load loses no request', async (t) => {
    await app.scaler().scale('app', 2, action)
    await until('two tasks serving', 15_000, () => (app.urls().length === 2 ? true : undefined))
    const old = app.ids().slice()

    // Bounded load: 4 clients on keep-alive connections, ~10 ms apart each, at most 20 000 requests or 60 s.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 })
    const failed: string[] = []
    const servedBy = new Map<string, number>()
    let sent = 0
    let stop = false
    const t0 = Date.now()
    const client = async () => {
      while (!stop && sent < 20_000 && Date.now() - t0 < 60_000) {
        sent++
        const r = await get(gw.url, agent).catch((err: Error) => ({ status: 0, body: err.message }))
        if (r.status === 200) servedBy.set(taskOf(r.body), (servedBy.get(taskOf(r.body)) ?? 0) + 1)
        else failed.push(`${Date.now() - t0} ms: ${r.status} ${r.body.slice(0, 80)}`)
        await sleep(10)
      }
    }
    const clients = Promise.all([client(), client(), client(), client()])
    try {
      await sleep(500)
      // (--update-monitor 1s: Swarm calls an update completed only this long after its last task, 5 s by default)
      await sh(['service', 'update', '--detach', '--no-resolve-image', '--image', IMAGE2, '--update-parallelism', '1', '--update-monitor', '1s', 'app'])
      const updated = Date.now()
      await until('the update completed', 45_000, async () => ((await sh(['service', 'inspect', '-f', '{{.UpdateStatus.State}}', 'app'])) === 'completed' ? true : undefined))
      const took = Date.now() - updated
      await until('two new tasks serving', 10_000, () => (app.urls().length === 2 && app.ids().every((id) => !old.includes(id)) ? true : undefined))
      await sleep(500)
      stop = true
      await clients
      const leads = old.map((id) => kills.at.get(id)! - app.leftAt(id)!)
      const byTask = [...servedBy].map(([id, n]) => `${id.slice(0, 5)}${old.includes(id) ? ' (old)' : ''}: ${n}`).join(', ')
      t.diagnostic(`rolling update: ${sent} requests over ${Date.now() - t0} ms (update ${took} ms), ${failed.length} failed; by task: ${byTask}; old tasks left ${leads.join(' and ')} ms before their stop signal`)
      assert.deepEqual(failed, [], 'no request failed during the rolling update')
      assert.ok(sent > 300, `only ${sent} requests`)
      for (const lead of leads) assert.ok(lead > 0, `an old task left its pool ${-lead} ms after its stop signal`)
      const now = app.ids()
      assert.ok([...servedBy.keys()].some((id) => now.includes(id)), 'the new tasks served')
      const images = (await sh(['service', 'ps', '--filter', 'desired-state=running', '--format', '{{.Image}}', 'app'])).split('\n')
      assert.deepEqual(images, [IMAGE2, IMAGE2])
    } finally {
      stop = true
      await clients
      agent.destroy()
    }
  })
})

describe('swarm discovery: a broken event stream', () => {
  after(() => d.docker(['service', 'rm', 'brk']))

  it('serves the last snapshot while Docker is unreachable, reconnects with backoff and re-lists', async (t) => {
    const proxy = await socketProxy(d.socketPath)
    const run = await runPlugin(swarm({ socketPath: proxy.path, service: 'brk', reconnect: '400ms' }), 'brk')
    try {
      await sh(['service', 'create', '--detach', '--no-resolve-image', '--name', 'brk', '--network', 'host', '--replicas', '1', '--stop-grace-period', '1s', '-l', 'gatehouse.port=73{{.Task.Slot}}', d.image, 'sleep', '3600'])
      await run.until('brk', (u) => u.length === 1, 10_000, 'brk.1 seen')
      proxy.cut()
      await sleep(200)
      const emitted = run.emits.length
      await sh(['service', 'scale', '--detach', 'brk=2']) // while the plugin cannot hear
      await sleep(2000)
      assert.equal(run.emits.length, emitted, 'nothing emitted while Docker is unreachable')
      assert.deepEqual(run.current('brk'), ['http://127.0.0.1:731'], 'the last snapshot keeps serving')
      assert.ok(run.problems().some((l) => /event stream ended|cannot subscribe|cannot list/.test(l.msg)), JSON.stringify(run.logs))
      const restored = Date.now()
      proxy.restore()
      await run.until('brk', (u) => u.length === 2, 3000, 'both tasks after reconnecting')
      t.diagnostic(`reconnect: both tasks ${Date.now() - restored} ms after the daemon came back (backoff max 400 ms)`)
      assert.ok(run.logs.some((l) => l.msg.includes('connected again')))
    } finally {
      run.abort()
      await proxy.close()
    }
  })
})

describe('swarm through the core: scaling with load and to zero', () => {
  let base: number
  let gw: TestGateway
  const events: { action: string; from: number; to: number }[] = []
  before(async () => {
    base = await freeBase()
    // /cgi-bin/slow answers after 200 ms, so a few clients keep requests in flight.
    await sh([
      'service', 'create', '--detach', '--no-resolve-image', '--name', 'ramp', '--network', 'host', '--replicas', '1', '--stop-grace-period', '2s',
      '--env', `PORT=${base}{{.Task.Slot}}`, '-l', `gatehouse.port=${base}{{.Task.Slot}}`, d.image, 'sh', '-c',
      `mkdir -p /www/cgi-bin && echo ok > /www/index.html && printf '#!/bin/sh\\nsleep 0.2\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nslow\\\\n"\\n' > /www/cgi-bin/slow && chmod +x /www/cgi-bin/slow && exec httpd -f -p 127.0.0.1:$PORT -h /www`,
    ])
    gw = await startGateway({
      pools: {
        ramp: {
          discovery: swarm({ socketPath: d.socketPath, service: 'ramp' }),
          retries: 2,
          scale: { min: 0, max: 3, target: { inflight: 2 }, window: '2s', idle: '8s', wake: { timeout: '30s' } },
        },
      },
      routes: [{ path: '/*', pool: 'ramp' }],
    })
    gw.gateway.events.on('scale', (e) => events.push(e))
    await until('the ramp service serving', 20_000, async () => ((await get(gw.url + '/cgi-bin/slow', false).catch(() => undefined))?.status === 200 ? true : undefined))
  })
  after(async () => {
    await gw?.stop()
    await d.docker(['service', 'rm', 'ramp'])
  })

  it('a load ramp scales the service 1 → 3 → 1, then idle to 0 and a request wakes it, with no failed request', { timeout: 150_000 }, async (t) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 })
    const counts = new Map<string, number>()
    const load = async (workers: number, ms: number) => {
      const until = Date.now() + ms
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (Date.now() < until) {
            const r = await get(gw.url + '/cgi-bin/slow', agent).catch((err: Error) => ({ status: 0, body: err.message }))
            const key = r.status === 200 ? '200' : `${r.status} ${r.body.slice(0, 60)}`
            counts.set(key, (counts.get(key) ?? 0) + 1)
          }
        }),
      )
    }
    const replicas = async () => Number((await sh(['service', 'inspect', '-f', '{{.Spec.Mode.Replicated.Replicas}}', 'ramp'])) || 0)
    try {
      await load(12, 8000) // 12 in flight on one task, target 2: out to max 3
      assert.equal(await replicas(), 3, JSON.stringify(events))
      await load(1, 12_000) // 1 in flight over 3 tasks, below half the target for longer than idle: in, to 1
      assert.equal(await replicas(), 1, JSON.stringify(events))
      await sleep(9500) // nothing at all for longer than idle: to 0
      assert.equal(await replicas(), 0, JSON.stringify(events))
      assert.equal(gw.gateway.scaling.view('ramp')?.state, 'asleep')
      // A slot's host port stays taken until its old task exits (plugins/swarm: a wake right after a
      // sleep waits for that, up to Swarm's restart delay): wake once it is gone, and allow the wake its timeout.
      await containersLeft('ramp', 0)
      const woken = await new Promise<{ status: number; body: string }>((resolve) => {
        const req = request(gw.url + '/cgi-bin/slow', { agent: false, timeout: 30_000 }, (res) => {
          let body = ''
          res.on('data', (c) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode!, body }))
        })
        req.on('error', (e) => resolve({ status: 0, body: e.message }))
        req.end()
      })
      assert.equal(woken.status, 200, woken.body)
      assert.equal(await replicas(), 1)
      const total = [...counts.values()].reduce((a, b) => a + b, 0)
      t.diagnostic(`swarm ramp: ${total} requests ${JSON.stringify(Object.fromEntries(counts))}; ${events.map((e) => `${e.action} ${e.from}→${e.to}`).join(', ')}`)
      assert.deepEqual([...counts.keys()], ['200'], 'every request answered 200')
    } finally {
      agent.destroy()
    }
  })
})
