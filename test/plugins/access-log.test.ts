// Access and event logs: one line per request with the fields operators grep for, never a secret;
// a readable text format; levels; availability flips with their reason.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { accessLog } from '../../plugins/access-log/index.ts'
import { requestText, safePath } from '../../plugins/access-log/format.ts'
import { batchLines } from '../../plugins/access-log/batch.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
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
  assert.match(line, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} info  200 GET 127\\.0\\.0\\.1:\\d+/big \\d+ms → web ${up.url} \\(ttfb \\d+ms, 3\\.0 kB\\) from 127\\.0\\.0\\.1 \\[main\\]$`))
  const failed = await request(gw, lines, '/down')
  assert.match(failed, /^\S+ error 502 GET \S+\/down \d+ms → down http:\/\/127\.0\.0\.1:\d+ \(error: refused\) from 127\.0\.0\.1 \[down\]$/)
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
})
