// Access and event logs: one line per request with the fields operators grep for, never a secret;
// a readable text format; levels; availability flips with their reason.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { accessLog } from '../../plugins/access-log/index.ts'
import { requestText, safePath } from '../../plugins/access-log/format.ts'
import { scaleLine } from '../../plugins/access-log/scale-lines.ts'
import { batchLines } from '../../plugins/access-log/batch.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { localReplicas } from '../support/local-replicas.ts'
import { waitFor } from '../support/process.ts'

const SECRET = 'Sup3rSecretValue'
let up: Upstream
let dead: string
const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const c of closers.reverse()) await c()
})
before(async () => {
  up = await startUpstream((req, res, body) => (req.url!.startsWith('/big') ? res.end(Buffer.alloc(3000)) : echo('up')(req, res, body)))
  closers.push(() => up.close())
  dead = `http://127.0.0.1:${await deadPort()}`
})

async function gatewayLogging(options: Parameters<typeof accessLog>[0]): Promise<{ gw: TestGateway; lines: string[] }> {
  const lines: string[] = []
  const gw = await startGateway({
    observe: [accessLog({ ...options, write: (l) => lines.push(l) })],
    pools: { web: { upstreams: [up.url] }, mixed: { upstreams: [dead, up.url] }, down: { upstreams: [dead] } },
    routes: [
      { name: 'main', path: '/*', pool: 'web', requestHeaders: { set: { authorization: `Bearer ${SECRET}-upstream` } } },
      { name: 'mixed', path: '/mixed', pool: 'mixed' },
      { name: 'down', path: '/down', pool: 'down' },
      { name: 'api', path: '/api/*', pool: 'web', use: [async (c) => c.text('no', 401)] },
    ],
  })
  closers.push(() => gw.stop())
  return { gw, lines }
}

async function request(gw: TestGateway, lines: string[], path: string, init: RequestInit = {}): Promise<string> {
  const before = lines.length
  await (await fetch(gw.url + path, init)).arrayBuffer()
  await waitFor(() => lines.length > before, { timeoutMs: 2000, intervalMs: 5 })
  assert.equal(lines.length, before + 1, `one line for ${path}`)
  return lines.at(-1)!
}

test('JSON lines: one per request with time, route, pool, upstream, status, durations, bytes, retries, client', async () => {
  const { gw, lines } = await gatewayLogging({})
  const line = await request(gw, lines, '/big?q=1')
  const r = JSON.parse(line)
  assert.equal(r.type, 'request')
  assert.equal(r.level, 'info')
  assert.ok(Math.abs(Date.parse(r.time) - Date.now()) < 5000, 'time is an ISO timestamp of now')
  assert.equal(r.method, 'GET')
  assert.equal(r.path, '/big')
  assert.equal(r.route, 'main')
  assert.equal(r.pool, 'web')
  assert.equal(r.upstream, up.url)
  assert.equal(r.status, 200)
  assert.equal(typeof r.durationMs, 'number')
  assert.ok(r.upstreamMs <= r.durationMs)
  assert.equal(r.bytes, 3000)
  assert.equal(r.tries, 1)
  assert.equal(r.retries, 0)
  assert.equal(r.client, '127.0.0.1')

  let retried = JSON.parse(await request(gw, lines, '/mixed'))
  if (retried.tries === 1) retried = JSON.parse(await request(gw, lines, '/mixed'))
  assert.equal(retried.retries, 1)
  assert.deepEqual(retried.retryReasons, ['refused'])
  const failed = JSON.parse(await request(gw, lines, '/down'))
  assert.equal(failed.level, 'error')
  assert.equal(failed.status, 502)
  assert.equal(failed.error, 'refused')
  assert.equal(JSON.parse(await request(gw, lines, '/api/x')).level, 'warn')
})

test('no secrets: no Authorization, cookie, query string or userinfo ever reaches the log', async () => {
  const { gw, lines } = await gatewayLogging({})
  const headers = { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}`, 'x-api-key': SECRET, 'proxy-authorization': `Basic ${SECRET}` }
  await request(gw, lines, `/page?token=${SECRET}&a=1`, { headers })
  await request(gw, lines, `/api/items?api_key=${SECRET}`, { headers })
  await request(gw, lines, `/down?password=${SECRET}`, { headers })
  assert.equal(up.seen.at(-1)!.headers.authorization, `Bearer ${SECRET}-upstream`, 'the route really set a secret header upstream')
  const { gw: text, lines: textLines } = await gatewayLogging({ format: 'text' })
  await request(text, textLines, `/page?token=${SECRET}`, { headers })
  for (const line of [...lines, ...textLines]) assert.doesNotMatch(line, new RegExp(SECRET), line)
  assert.equal(JSON.parse(lines[0]!).path, '/page')
})

test('text format: readable on a terminal, control characters escaped', async () => {
  const { gw, lines } = await gatewayLogging({ format: 'text' })
  const line = await request(gw, lines, '/big')
  assert.match(line, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} info  200 GET 127\\.0\\.0\\.1:\\d+/big \\d+ms → web ${up.url} \\(ttfb \\d+ms, 3\\.0 kB\\) from 127\\.0\\.0\\.1 \\[main\\] id=[0-9a-f-]{36}$`))
  const failed = await request(gw, lines, '/down')
  assert.match(failed, /^\S+ error 502 GET \S+\/down \d+ms → down http:\/\/127\.0\.0\.1:\d+ \(error: refused\) from 127\.0\.0\.1 \[down\] id=[0-9a-f-]{36}$/)
  assert.ok(lines.every((l) => !l.includes('\n')))
  const forged = requestText({ time: 0, method: 'GET', host: 'h\x1b[31m', path: '/a\nfake line', status: 400, durationMs: 0, tries: 0, retryReasons: [], clientIp: '::1' }, 'warn')
  assert.equal(forged, '00:00:00.000 warn  400 GET h\\x1b[31m/a\\x0afake line 0ms from ::1')
  assert.equal(safePath('http://user:pw@host.test/x?y'), 'http://host.test/x')
})

test('level: warn drops successful requests and keeps failures', async () => {
  const { gw, lines } = await gatewayLogging({ level: 'warn' })
  await (await fetch(gw.url + '/ok')).text()
  const failed = await request(gw, lines, '/down')
  assert.equal(lines.length, 1)
  assert.equal(JSON.parse(failed).status, 502)
})

test('event lines: availability flips with their reason; pool changes and rejected snapshots when asked', async () => {
  const { gw, lines } = await gatewayLogging({ events: ['health', 'pool', 'discovery'] })
  assert.ok(lines.some((l) => /added upstream .* \(staticUpstreams@pools\.web\)/.test(l)), 'the startup snapshot was not logged')
  lines.splice(0) // from here on, only what the test does
  const reg = { get: (name: string) => gw.gateway.pool(name), apply: (source: string, s: unknown) => gw.gateway.watcher.push(source, s) }
  const upstream = reg.get('web')!.upstreams[0]!
  const events = () => lines.map((l) => JSON.parse(l)).filter((e) => e.type !== 'request')
  upstream.setHealthy(false)
  upstream.setHealthy(false) // no change, no line
  upstream.setHealthy(true)
  upstream.setDisabled(true)
  upstream.setDisabled(false)
  upstream.eject(Date.now() + 30_000)
  reg.apply('test-source', { pools: { web: ['http://127.0.0.1:1'] } })
  reg.apply('test-source', { pools: { web: ['nonsense'] } })
  const e = events()
  assert.deepEqual(
    e.map((x) => [x.type, x.level, x.msg.replace(/\d{4}-\S+Z/, 'T').replace(/:\d+/g, ':P')]),
    [
      ['health', 'warn', 'pool web: upstream http://127.0.0.1:P unavailable (failing health checks)'],
      ['health', 'info', 'pool web: upstream http://127.0.0.1:P available again'],
      ['health', 'warn', 'pool web: upstream http://127.0.0.1:P unavailable (disabled by an operator)'],
      ['health', 'info', 'pool web: upstream http://127.0.0.1:P available again'],
      ['health', 'warn', 'pool web: upstream http://127.0.0.1:P unavailable (ejected by passive health until T)'],
      ['pool', 'info', 'pool web: added upstream http://127.0.0.1:P (test-source)'],
      ['discovery', 'error', 'discovery test-source: snapshot rejected, keeping the last good one'],
    ],
  )
  assert.equal(e[0].upstream, up.url)
  assert.equal(e[0].reason, 'unhealthy')
  assert.match(e.at(-1).problems[0], /pools\.web\[0\]/)
})

test('an ejected upstream that left the pool is not logged later as disabled by an operator', async () => {
  const { gw, lines } = await gatewayLogging({ events: ['health'] })
  const reg = { get: (name: string) => gw.gateway.pool(name), apply: (source: string, s: unknown) => gw.gateway.watcher.push(source, s) }
  reg.apply('moving', { pools: { web: ['http://127.0.0.1:2'] } })
  const gone = reg.get('web')!.upstreams.find((u) => u.url.port === '2')!
  lines.splice(0)
  gone.eject(Date.now() + 100)
  reg.apply('moving', { pools: { web: [] } })
  await new Promise((r) => setTimeout(r, 250)) // past the ejection's end
  const gone2 = reg.get('web')!.upstreams[0]!
  gone2.setDisabled(true) // an operator's switch is still told as such
  const msgs = lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'health').map((e) => e.msg.replace(/\d{4}-\S+Z/, 'T').replace(/:\d+/g, ':P'))
  assert.deepEqual(msgs, [
    'pool web: upstream http://127.0.0.1:P unavailable (ejected by passive health until T)',
    'pool web: upstream http://127.0.0.1:P unavailable (disabled by an operator)',
  ])
  gone2.setDisabled(false)
})

test('default sink: stdout, the lines of one event-loop turn in one write', async () => {
  const calls: string[] = []
  const write = batchLines((text) => calls.push(text))
  write('a')
  write('b')
  assert.deepEqual(calls, [])
  await new Promise((r) => setTimeout(r, 5))
  write('c')
  await new Promise((r) => setTimeout(r, 5))
  assert.deepEqual(calls, ['a\nb', 'c'])

  const writes: string[] = []
  const original = console.log
  const gw = await startGateway({ observe: [accessLog()], pools: { web: { upstreams: [up.url] } }, routes: [{ pool: 'web' }] })
  closers.push(() => gw.stop())
  console.log = (s: string) => void writes.push(s)
  try {
    await Promise.all([1, 2, 3, 4].map(async (i) => (await fetch(`${gw.url}/n${i}`)).text()))
    await waitFor(() => writes.join('\n').split('\n').length === 4, { timeoutMs: 2000, intervalMs: 5 })
  } finally {
    console.log = original
  }
  const lines = writes.join('\n').split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(lines.map((l) => l.path).sort(), ['/n1', '/n2', '/n3', '/n4'])
})

test('options are validated with the field named', () => {
  assert.throws(() => assertValidPlugin(accessLog({ format: 'xml' as never })), /accessLog\(\): format/)
  assert.throws(() => assertValidPlugin(accessLog({ events: ['requests' as never] })), /accessLog\(\): events\[0\]/)
  assertValidPlugin(accessLog({ events: ['health', 'pool', 'discovery', 'scale'] }))
})

test('a pool that wakes: `wake` ms only on requests that waited (JSON and text), `refused` on a probe it turned away; its decisions as scale lines', async () => {
  const json: string[] = []
  const text: string[] = []
  const local = localReplicas({ pool: 'app', replicas: 1, bootMs: 400 })
  const gw = await startGateway({
    observe: [accessLog({ events: ['scale'], write: (l) => json.push(l) }), accessLog({ format: 'text', events: ['scale'], write: (l) => text.push(l) })],
    pools: { app: { discovery: local.plugin, scale: { min: 0, idle: '700ms', wake: { timeout: '5s' } } } },
    routes: [{ name: 'app', pool: 'app' }],
  })
  closers.push(() => gw.stop(), () => local.close())
  const requests = () => json.map((l) => JSON.parse(l)).filter((r) => r.type === 'request')

  assert.equal((await fetch(gw.url + '/health')).status, 503)
  await Promise.all([1, 2, 3].map(async (i) => assert.equal(await (await fetch(`${gw.url}/w${i}`)).text(), 'r1\n')))
  await (await fetch(gw.url + '/after')).text()
  await waitFor(() => requests().length === 5, { timeoutMs: 2000, intervalMs: 5 })

  const byPath = Object.fromEntries(requests().map((r) => [r.path, r]))
  const lineOf = (path: string) => text.find((l) => l.includes(`/${path} `))!
  for (const path of ['/w1', '/w2', '/w3']) {
    assert.equal(typeof byPath[path].wake, 'number', path)
    assert.ok(byPath[path].wake >= 300 && byPath[path].wake <= byPath[path].durationMs, `${path}: waited ${byPath[path].wake} ms of ${byPath[path].durationMs} (boot 400 ms)`)
    assert.equal(byPath[path].refused, undefined)
    assert.match(lineOf(path.slice(1)), /^\S+ info  200 GET \S+\/w\d \d+ms → app http:\/\/127\.0\.0\.1:\d+ \(wake \d+ms, ttfb \d+ms, 3 B\) from 127\.0\.0\.1 \[app\] id=[0-9a-f-]{36}$/)
  }
  assert.equal('wake' in byPath['/after'], false, 'awake: no wake field')
  assert.doesNotMatch(lineOf('after'), /wake/)
  assert.deepEqual([byPath['/health'].status, byPath['/health'].refused, 'wake' in byPath['/health']], [503, 'asleep', false])
  assert.match(lineOf('health'), /^\S+ error 503 GET \S+\/health \d+ms → app \(refused: asleep\) from/)

  // Idle for 700 ms: it sleeps again, and says why.
  const scaleEvents = () => json.map((l) => JSON.parse(l)).filter((e) => e.type === 'scale')
  await waitFor(() => scaleEvents().length === 3, { timeoutMs: 3000, intervalMs: 20, what: 'the sleep line' })
  const e = scaleEvents()
  assert.deepEqual(e.map((x) => [x.level, x.action, x.from, x.to]), [['info', 'wake', 0, 1], ['info', 'ready', 0, 1], ['info', 'sleep', 1, 0]])
  assert.equal(e[0].msg, 'pool app: waking, 0 → 1 replicas (a request)')
  assert.match(e[1].msg, /^pool app: awake after \d+ ms, 1 replica running$/)
  assert.ok(e[1].ms >= 300, `ready after ${e[1].ms} ms`)
  assert.match(e[2].msg, /^pool app: asleep, 1 → 0 replicas \(idle for \ds\)$/)
  assert.deepEqual(
    text.filter((l) => / pool app: /.test(l)).map((l) => l.replace(/^\S+ /, '').replace(/\d+/g, 'N')),
    ['info  pool app: waking, N → N replicas (a request)', 'info  pool app: awake after N ms, N replica running', 'info  pool app: asleep, N → N replicas (idle for Ns)'],
  )
})

test('scale lines: an engine failure is an error naming it, a wake no replica answered a warning', () => {
  assert.deepEqual(scaleLine({ pool: 'web', action: 'out', from: 2, to: 4, reason: '12 in flight per replica for 10s', ms: 30, error: 'no such service' }), {
    level: 'error',
    text: 'pool web: out 2 → 4 replicas failed (12 in flight per replica for 10s): no such service',
  })
  assert.deepEqual(scaleLine({ pool: 'web', action: 'wake-failed', from: 0, to: 1, reason: 'no replica answered', ms: 30000 }), { level: 'warn', text: 'pool web: no replica ready 30000 ms after the wake' })
  assert.deepEqual(scaleLine({ pool: 'web', action: 'in', from: 4, to: 2, reason: 'calm for 5m', ms: 5 }), { level: 'info', text: 'pool web: scaled in, 4 → 2 replicas (calm for 5m)' })
})
