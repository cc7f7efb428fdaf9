/**
 * The Docker plugin as a Scaler, against a real private dockerd (one for this file): asleep and
 * running counts, asleep pools kept in the snapshot, waking (unpause, start, clone on $PORT),
 * sleeping (stop, pause, clones removed), group wake in depends_on order, scale labels, and
 * concurrent scale calls. The plugin runs through its real start() with a small DiscoveryContext
 * that takes the scaler it hands over.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { DiscoveryContext, DiscoverySnapshot, Scaler } from '../../core/types.ts'
import { nodeRuntime } from '../../core/runtime/node/index.ts'
import { docker, type DockerOptions } from '../../plugins/docker/index.ts'
import { startDockerd, type Dockerd } from '../support/dockerd.ts'
import { freePort } from '../support/ports.ts'
import { sleep } from './discovery.contract.ts'

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

const flags = (labels: Record<string, string>) => Object.entries(labels).flatMap(([k, v]) => ['-l', `${k}=${v}`])

/**
 * A busybox httpd on the host network listening on $PORT (the clone convention), whose page says
 * its name and port. `create` only creates it (stopped, "created").
 */
async function web(how: 'run' | 'create', name: string, port: number, labels: Record<string, string>, extra: string[] = []): Promise<string> {
  return sh([
    how, ...(how === 'run' ? ['-d'] : []), '--name', name, '--network', 'host', '-e', `PORT=${port}`, ...flags({ 'gatehouse.port': String(port), ...labels }), ...extra, d.image, 'sh', '-c',
    `mkdir -p /www && echo "${name} on $PORT" > /www/index.html && exec httpd -f -p 127.0.0.1:$PORT -h /www`,
  ])
}

const status = (name: string) => sh(['inspect', '-f', '{{.State.Status}}', name])
const startedAt = async (name: string) => Date.parse(await sh(['inspect', '-f', '{{.State.StartedAt}}', name]))

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
  return { status: res.status, body: (await res.text()).trim() }
}

async function until<T>(what: string, timeoutMs: number, fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(25)
  }
}

/** Ports p, p+1, p+2 … free on 127.0.0.1 (clones take the ports above the original's). */
async function freeRun(length: number): Promise<number> {
  const { createServer } = await import('node:net')
  const free = (p: number) => new Promise<boolean>((resolve) => {
    const s = createServer().once('error', () => resolve(false))
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)))
  })
  for (let tries = 0; tries < 50; tries++) {
    const base = await freePort()
    if (base + length > 65535) continue
    let ok = true
    for (let i = 1; i < length && ok; i++) ok = await free(base + i)
    if (ok) return base
  }
  throw new Error(`no ${length} consecutive free ports`)
}

interface Source {
  scaler: Scaler
  emits: DiscoverySnapshot[]
  logs: string[]
  /** The latest snapshot's upstream URLs of `pool`, sorted. */
  urls(pool: string): string[]
  latest(): DiscoverySnapshot | undefined
  abort(): void
}

/** docker() started with a context that takes its scaler; `pool` attaches it to that pool. */
async function source(options: DockerOptions, pool?: string): Promise<Source> {
  const emits: DiscoverySnapshot[] = []
  const logs: string[] = []
  const controller = new AbortController()
  let scaler: Scaler | undefined
  const line = (level: string) => (msg: string) => void logs.push(`${level}: ${msg}`)
  const ctx: DiscoveryContext = {
    emit: (s) => void emits.push(structuredClone(s)),
    signal: controller.signal,
    pool,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    io: nodeRuntime.io,
    scaler: (s) => {
      assert.equal(scaler, undefined, 'the scaler is handed over once')
      scaler = s
    },
  }
  await docker({ socketPath: d.socketPath, stopGrace: '1s', resync: '2s', ...options }).start(ctx)
  assert.ok(scaler, 'start() handed a scaler over')
  const latest = () => emits.at(-1)
  return {
    scaler,
    emits,
    logs,
    latest,
    urls: (p) => ((latest()?.pools[p] ?? []) as Array<{ url: string }>).map((u) => u.url).sort(),
    abort: () => controller.abort(),
  }
}

const wake = { how: 'stop', clone: false, reason: 'test wake' } as const

describe('docker scaler: asleep replicas are known', () => {
  after(() => d.docker(['rm', '-f', 'k-run', 'k-made', 'k-paused']))

  it('counts stopped and paused containers as asleep; a stopped pool keeps its pool and route (top level) but no upstream', async () => {
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()]
    const labels = { 'gh.case': 'known', 'gatehouse.pool': 'known', 'gatehouse.host': 'known.test' }
    const src = await source({ label: 'gh.case=known' })
    try {
      await web('run', 'k-run', p1, labels)
      await web('create', 'k-made', p2, labels)
      await web('run', 'k-paused', p3, labels)
      await sh(['pause', 'k-paused'])
      await until('1 running, 2 asleep', 5000, () => src.scaler.running('known') === 1 && src.scaler.asleep('known') === 2)
      await until('only the running one is an upstream', 5000, () => src.urls('known').join() === `http://127.0.0.1:${p1}`)

      await sh(['stop', '-t', '1', 'k-run'])
      await until('all asleep', 5000, () => src.scaler.running('known') === 0 && src.scaler.asleep('known') === 3)
      await until('no upstream left', 5000, () => src.urls('known').length === 0)
      const snap = src.latest()!
      assert.deepEqual(snap.pools.known, [], 'the asleep pool stays in the snapshot, empty')
      assert.deepEqual(snap.routes, [{ host: 'known.test', path: '/*', pool: 'known' }], 'its route stays, so requests reach the core (which wakes it)')
      assert.ok(!src.logs.some((l) => l.startsWith('warn')), src.logs.join('\n'))

      await sh(['rm', '-f', 'k-run', 'k-made', 'k-paused'])
      await until('removed: pool and route gone', 5000, () => src.latest()!.pools.known === undefined && src.latest()!.routes!.length === 0)
      assert.equal(src.scaler.asleep('known'), 0)
    } finally {
      src.abort()
    }
  })
})

describe('docker scaler: waking and sleeping', () => {
  after(() => d.docker(['rm', '-f', 'u-stopped', 'u-paused', 'w1', 'w2', 'w3']))

  it('scale up from 0 unpauses the paused replica first, then starts the stopped one; both serve HTTP as upstreams', async () => {
    const [p1, p2] = [await freePort(), await freePort()]
    await web('create', 'u-stopped', p1, { 'gatehouse.pool': 'up' })
    await web('run', 'u-paused', p2, { 'gatehouse.pool': 'up' })
    await sh(['pause', 'u-paused'])
    const src = await source({}, 'up')
    try {
      assert.deepEqual([src.scaler.running('up'), src.scaler.asleep('up')], [0, 2])
      assert.deepEqual(src.urls('up'), [], 'a paused replica is never an upstream')
      await src.scaler.scale('up', 2, wake)
      assert.deepEqual([await status('u-stopped'), await status('u-paused')], ['running', 'running'], 'Docker did it by the time scale() resolved')
      const urls = await until('both upstreams', 5000, () => (src.urls('up').length === 2 ? src.urls('up') : undefined))
      assert.deepEqual(urls, [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`].sort())
      const bodies = await Promise.all(urls.map(async (u) => (await until(`${u} serving`, 5000, async () => ((await get(u)).status === 200 ? get(u) : undefined))).body))
      assert.deepEqual(bodies.sort(), [`u-paused on ${p2}`, `u-stopped on ${p1}`])
      const actions = src.logs.filter((l) => / (unpaused|started) u-/.test(l))
      assert.equal(actions.length, 2, src.logs.join('\n'))
      assert.match(actions[0]!, /unpaused u-paused .*of pool up \(test wake\)/, 'the paused one resumes first (milliseconds)')
      assert.match(actions[1]!, /started u-stopped/)
      await until('counts follow', 5000, () => src.scaler.running('up') === 2 && src.scaler.asleep('up') === 0)
    } finally {
      src.abort()
    }
  })

  it('scale down pauses or stops the most recently started first; stop also stops paused ones', async () => {
    const ports = [await freePort(), await freePort(), await freePort()]
    for (const [i, name] of ['w1', 'w2', 'w3'].entries()) {
      await web('run', name, ports[i]!, { 'gatehouse.pool': 'down' })
      await sleep(20) // distinct start times
    }
    const src = await source({}, 'down')
    try {
      await until('3 upstreams', 5000, () => src.urls('down').length === 3)
      await src.scaler.scale('down', 2, { how: 'pause', clone: false, reason: 'idle' })
      assert.deepEqual([await status('w1'), await status('w2'), await status('w3')], ['running', 'running', 'paused'], 'the most recently started (w3) paused')
      await until('w3 out', 5000, () => src.urls('down').length === 2 && src.scaler.asleep('down') === 1)
      assert.ok(!src.urls('down').includes(`http://127.0.0.1:${ports[2]}`))

      await src.scaler.scale('down', 1, { how: 'stop', clone: false, reason: 'idle' })
      assert.deepEqual([await status('w1'), await status('w2'), await status('w3')], ['running', 'exited', 'exited'], 'w2 stopped; the paused w3 too (stop frees memory)')
      await until('counts follow', 5000, () => src.scaler.running('down') === 1 && src.scaler.asleep('down') === 2)
      assert.deepEqual(src.urls('down'), [`http://127.0.0.1:${ports[0]}`])
      assert.equal((await sh(['ps', '-aq', '--filter', 'label=gatehouse.pool=down'])).split('\n').length, 3, 'originals are never removed')
    } finally {
      src.abort()
    }
  })
})

describe('docker scaler: clones', () => {
  after(async () => {
    const ids = (await d.docker(['ps', '-aq', '--filter', 'label=gatehouse.pool=cl'])).stdout.split('\n').filter(Boolean)
    await d.docker(['rm', '-f', ...ids])
  })

  it('clones a host-network replica onto a $PORT of its own; scale-in removes only the clones', async () => {
    const base = await freeRun(3)
    const spare = await until('another port', 1000, async () => ((p) => (p < base || p > base + 2 ? p : undefined))(await freePort()))
    await web('create', 'cl-spare', spare, { 'gatehouse.pool': 'cl' }) // an older original, asleep: started before anything is cloned
    await web('run', 'cl-orig', base, { 'gatehouse.pool': 'cl' }) // the newest: the clones' template
    const src = await source({}, 'cl')
    try {
      await until('the original', 5000, () => src.urls('cl').length === 1)
      await src.scaler.scale('cl', 2, { how: 'stop', clone: false, reason: 'load' })
      assert.equal(await status('cl-spare'), 'running', 'a stopped original is started before anything is cloned')
      await src.scaler.scale('cl', 4, { how: 'stop', clone: true, reason: 'load' })
      const clones = (await sh(['ps', '-q', '--filter', 'label=gatehouse.clone=true'])).split('\n').filter(Boolean)
      assert.equal(clones.length, 2, 'two clones for the two missing replicas')
      for (const id of clones) assert.match(await sh(['inspect', '-f', '{{.Name}}', id]), /^\/cl-orig-clone-[0-9a-f]{6}$/, 'cloned from the newest original')
      const ports = await Promise.all(clones.map((id) => sh(['inspect', '-f', '{{index .Config.Labels "gatehouse.port"}} {{range .Config.Env}}{{.}} {{end}}', id])))
      assert.deepEqual(ports.map((p) => p.split(' ')[0]).sort(), [String(base + 1), String(base + 2)], 'ports above the original\'s, none a replica uses')
      for (const p of ports) assert.ok(p.includes(`PORT=${p.split(' ')[0]}`), `the label and $PORT agree: ${p}`)
      const urls = await until('4 upstreams', 5000, () => (src.urls('cl').length === 4 ? src.urls('cl') : undefined))
      for (const n of [base + 1, base + 2]) {
        const url = `http://127.0.0.1:${n}`
        assert.ok(urls.includes(url), `${url} in ${urls}`)
        const page = await until(`clone on ${n} serving`, 5000, async () => ((await get(url)).status === 200 ? get(url) : undefined))
        assert.equal(page.body, `cl-orig on ${n}`, 'the clone runs the original\'s command, on its own $PORT')
      }
      assert.equal(src.scaler.running('cl'), 4)

      await src.scaler.scale('cl', 2, { how: 'stop', clone: true, reason: 'idle' })
      assert.equal((await sh(['ps', '-aq', '--filter', 'label=gatehouse.clone=true'])), '', 'the clones went first, and were removed')
      assert.deepEqual([await status('cl-orig'), await status('cl-spare')], ['running', 'running'])
      await src.scaler.scale('cl', 0, { how: 'stop', clone: true, reason: 'idle' })
      assert.deepEqual([await status('cl-orig'), await status('cl-spare')], ['exited', 'exited'], 'originals are stopped, never removed')
      await until('counts follow', 5000, () => src.scaler.running('cl') === 0 && src.scaler.asleep('cl') === 2)
      assert.ok(src.logs.some((l) => /created cl-orig-clone-[0-9a-f]{6} .* with PORT=/.test(l)), src.logs.join('\n'))
    } finally {
      src.abort()
    }
  })
})

describe('docker scaler: groups', () => {
  after(() => d.docker(['rm', '-f', 'g-cache', 'g-db', 'g-web', 'g-other']))

  it('waking a pool first starts its group in depends_on order, waiting for a HEALTHCHECK; sleeping stops only the pool', async () => {
    const compose = (service: string, dependsOn?: string) => ({
      'com.docker.compose.project': 'shop',
      'com.docker.compose.service': service,
      ...(dependsOn ? { 'com.docker.compose.depends_on': dependsOn } : {}),
    })
    const group = { 'gatehouse.group': 'shop' }
    // Created in the "wrong" order, so name or age order would fail the test.
    await web('create', 'g-web', await freePort(), { ...group, ...compose('web', 'db:service_healthy:false'), 'gatehouse.pool': 'shop' })
    await sh(['create', '--name', 'g-db', '--network', 'host', ...flags({ ...group, ...compose('db', 'cache:service_started:false') }),
      '--health-cmd', 'test -f /tmp/ready', '--health-interval', '200ms', d.image, 'sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 3600'])
    await sh(['create', '--name', 'g-cache', '--network', 'host', ...flags({ ...group, ...compose('cache') }), d.image, 'sleep', '3600'])
    await sh(['create', '--name', 'g-other', '--network', 'host', ...flags({ 'gatehouse.group': 'elsewhere' }), d.image, 'sleep', '3600'])
    const src = await source({}) // top level: the group-only containers are not pools
    try {
      await until('the pool, asleep', 5000, () => src.scaler.asleep('shop') === 1)
      assert.deepEqual(Object.keys(src.latest()!.pools), ['shop'], 'containers labelled only with a group are not served')
      await src.scaler.scale('shop', 1, wake)
      const [cache, db, webAt] = [await startedAt('g-cache'), await startedAt('g-db'), await startedAt('g-web')]
      assert.ok(cache < db && db < webAt, `start order cache < db < web: ${cache} ${db} ${webAt}`)
      const healthyAt = Date.parse(await sh(['inspect', '-f', '{{range .State.Health.Log}}{{if eq .ExitCode 0}}{{.End}} {{end}}{{end}}', 'g-db']).then((s) => s.split(' ')[0]!))
      assert.ok(healthyAt <= webAt, `web started after db was healthy (${healthyAt} <= ${webAt})`)
      assert.ok(webAt - db >= 900, 'the wait for db was real (it becomes healthy after ~1 s)')
      assert.equal(await status('g-other'), 'created', 'another group is left alone')
      assert.ok(src.logs.some((l) => /started g-db .* of group shop before pool shop \(test wake\)/.test(l)), src.logs.join('\n'))

      await src.scaler.scale('shop', 0, { how: 'stop', clone: false, reason: 'idle' })
      assert.deepEqual([await status('g-web'), await status('g-db'), await status('g-cache')], ['exited', 'running', 'running'], 'sleeping stops only the pool\'s own containers')
    } finally {
      src.abort()
    }
  })
})

describe('docker scaler: labels and concurrency', () => {
  after(() => d.docker(['rm', '-f', 'l-old', 'l-new', 's1', 's2', 's3']))

  it('settings() are the raw scale labels of the pool\'s newest container; a bad scale label does not skip it', async () => {
    const [p1, p2] = [await freePort(), await freePort()]
    await web('run', 'l-old', p1, { 'gatehouse.pool': 'lab', 'gatehouse.scale.min': '1' })
    await sleep(20)
    await web('create', 'l-new', p2, { 'gatehouse.pool': 'lab', 'gatehouse.scale.min': '0', 'gatehouse.scale.idle': '10m', 'gatehouse.scale.target': 'lots' })
    const src = await source({}, 'lab')
    try {
      assert.deepEqual(src.scaler.settings?.('lab'), { min: '0', idle: '10m', target: 'lots' }, 'the newest container, stopped or not, raw')
      assert.equal(src.scaler.settings?.('nope'), undefined)
      await src.scaler.scale('lab', 2, wake)
      await until('both serving', 5000, () => src.urls('lab').length === 2)
      assert.ok(!src.logs.some((l) => /skipped/.test(l)), `bad scale values are the core's to report: ${src.logs.join('\n')}`)
    } finally {
      src.abort()
    }
  })

  it('concurrent scale calls for one pool run one at a time and the last target wins', async () => {
    for (const name of ['s1', 's2', 's3']) await web('create', name, await freePort(), { 'gatehouse.pool': 'ser' })
    const src = await source({}, 'ser')
    try {
      const calls = [3, 1, 2].map((n) => src.scaler.scale('ser', n, { how: 'stop', clone: false, reason: `to ${n}` }))
      await Promise.all(calls)
      const states = await Promise.all(['s1', 's2', 's3'].map(status))
      assert.equal(states.filter((s) => s === 'running').length, 2, `the last target (2): ${states}`)
      const acted = src.logs.filter((l) => /: (started|stopped|paused|unpaused) /.test(l))
      assert.equal(acted.length, 2, `the first call saw it was overtaken before acting, the second was replaced: nothing started only to be stopped\n${acted.join('\n')}`)
      assert.ok(acted.every((l) => l.includes('(to 2)')), acted.join('\n'))
      await until('counts follow', 5000, () => src.scaler.running('ser') === 2 && src.scaler.asleep('ser') === 1)

      await assert.rejects(src.scaler.scale('none', 1, wake), /docker: cannot scale pool none: it has no containers/)
    } finally {
      src.abort()
    }
  })
})
