// Metrics: the text format itself, and values that move as real traffic flows through a gateway,
// scraped over HTTP from the admin listener and parsed back.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { CounterFamily, HistogramFamily } from '../../plugins/metrics/families.ts'
import { metrics } from '../../plugins/metrics/index.ts'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { waitFor } from '../support/process.ts'

/** Parses the Prometheus text format into `name{labels}` → value (labels sorted by name). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`)
    const labels: [string, string][] = []
    const body = m[2] ?? ''
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy
    let consumed = 0
    for (let l: RegExpExecArray | null; (l = re.exec(body)); consumed = re.lastIndex) {
      labels.push([l[1]!, l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))])
    }
    assert.equal(consumed, body.length, `bad labels in ${line}`)
    out.set(key(m[1]!, Object.fromEntries(labels)), Number(m[3]))
  }
  return out
}

const key = (name: string, labels: Record<string, string> = {}) =>
  `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`

test('text format: counters, cumulative histogram buckets, escaped label values', () => {
  const c = new CounterFamily('t_total', 'Help.', ['a'], 100)
  c.inc(['x"y\\z\nw'], 2)
  assert.equal(c.render(), '# HELP t_total Help.\n# TYPE t_total counter\nt_total{a="x\\"y\\\\z\\nw"} 2\n')
  const h = new HistogramFamily('t_seconds', 'Help.', ['r'], 100, [0.1, 1])
  for (const v of [0.05, 0.1, 0.5, 3]) h.observe(['a'], v)
  const lines = h.render().split('\n')
  assert.deepEqual(lines.slice(2, 7), ['t_seconds_bucket{r="a",le="0.1"} 2', 't_seconds_bucket{r="a",le="1"} 3', 't_seconds_bucket{r="a",le="+Inf"} 4', 't_seconds_sum{r="a"} 3.65', 't_seconds_count{r="a"} 4'])
  const parsed = parse(c.render() + h.render())
  assert.equal(parsed.get(key('t_total', { a: 'x"y\\z\nw' })), 2)
})

test('cardinality is bounded: past maxSeries, new label sets fall into one _overflow series', () => {
  const c = new CounterFamily('t_total', 'Help.', ['route', 'pool'], 10)
  for (let i = 0; i < 50; i++) c.inc([`r${i}`, 'p'])
  const parsed = parse(c.render())
  assert.equal(parsed.size, 11)
  assert.equal(parsed.get(key('t_total', { route: '_overflow', pool: '_overflow' })), 40)
})

test('options are validated with the field named', () => {
  assert.throws(() => assertValidPlugin(metrics({ buckets: [1, 0.5] })), /metrics\(\): buckets: expected bucket bounds in increasing order/)
  assert.throws(() => assertValidPlugin(metrics({ maxSeries: 0 })), /metrics\(\): maxSeries/)
})

let up: Upstream
let slow: Upstream
let gw: TestGateway
let adm: AdminPlugin
let releaseSlow: () => void = () => {}
let dead: string

before(async () => {
  up = await startUpstream((req, res, body) => (req.url!.endsWith('/big') ? res.end(Buffer.alloc(5000)) : echo('up')(req, res, body)))
  slow = await startUpstream((_req, res) => void (releaseSlow = () => res.end('late')))
  dead = `http://127.0.0.1:${await deadPort()}`
  const m = metrics()
  adm = admin({ listen: { port: 0 }, metrics: m, dashboard: false })
  gw = await startGateway({
    observe: [m, adm],
    pools: { web: { upstreams: [up.url] }, mixed: { upstreams: [dead, up.url] }, down: { upstreams: [dead] }, slow: { upstreams: [slow.url] } },
    routes: [
      { name: 'main', path: '/app/*', pool: 'web' },
      { name: 'mixed', path: '/mixed', pool: 'mixed' },
      { name: 'down', path: '/down', pool: 'down' },
      { name: 'slow', path: '/slow', pool: 'slow' },
      { name: 'locked', path: '/locked', pool: 'web', use: [async (c) => c.text('no', 401)] },
      { name: 'limited', path: '/limited', pool: 'web', use: [async (c) => c.text('slow down', 429)] },
    ],
  })
})
after(async () => {
  releaseSlow()
  await gw.stop()
  await up.close()
  await slow.close()
})

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${adm.port}/metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return parse(await res.text())
}

async function get(path: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(gw.url + path, { ...init, headers: { ...init.headers } })
  await res.arrayBuffer()
  return res.status
}

/** Request records are reported when the exchange ends, just after the client got its last byte. */
const settle = () => new Promise((r) => setTimeout(r, 50))

test('request counters, latency histograms, bytes, retries, errors and rejections move with traffic', async () => {
  const before = await scrape()
  const delta = (after: Map<string, number>, name: string, labels: Record<string, string>) => (after.get(key(name, labels)) ?? 0) - (before.get(key(name, labels)) ?? 0)

  for (let i = 0; i < 5; i++) assert.equal(await get(`/app/users/${i}/secret-path-${i}?token=t${i}`), 200)
  assert.equal(await get('/app/big'), 200)
  assert.equal(await get('/app/form', { method: 'POST', body: 'x' }), 200)
  assert.equal(await get('/app/dav', { method: 'PROPFIND' }), 200)
  for (let i = 0; i < 2; i++) assert.equal(await get('/mixed'), 200) // round robin: one of them starts on the dead upstream
  assert.equal(await get('/down'), 502)
  assert.equal(await get('/locked'), 401)
  assert.equal(await get('/limited'), 429)
  assert.equal(await get('/limited'), 429)
  assert.equal(await get('/unrouted'), 404)
  await settle()
  const after = await scrape()

  const web = { route: 'main', pool: 'web', upstream: up.url }
  assert.equal(delta(after, 'gatehouse_requests_total', { ...web, method: 'GET', code: '200', status_class: '2xx' }), 6)
  assert.equal(delta(after, 'gatehouse_requests_total', { ...web, method: 'POST', code: '200', status_class: '2xx' }), 1)
  assert.equal(delta(after, 'gatehouse_requests_total', { ...web, method: 'OTHER', code: '200', status_class: '2xx' }), 1)
  const main = (method: string) => ({ route: 'main', pool: 'web', method, code: '200' })
  assert.equal(delta(after, 'gatehouse_request_duration_seconds_count', main('GET')), 6)
  assert.equal(delta(after, 'gatehouse_request_duration_seconds_count', main('POST')), 1)
  assert.equal(delta(after, 'gatehouse_request_duration_seconds_bucket', { ...main('GET'), le: '+Inf' }), 6)
  assert.ok(delta(after, 'gatehouse_request_duration_seconds_bucket', { ...main('GET'), le: '1' }) === 6, 'loopback requests take under a second')
  assert.ok(delta(after, 'gatehouse_upstream_first_byte_seconds_count', { pool: 'web', upstream: up.url }) >= 8)
  assert.ok(delta(after, 'gatehouse_response_bytes_total', { route: 'main', pool: 'web' }) >= 5000)
  const retried = delta(after, 'gatehouse_retries_total', { route: 'mixed', pool: 'mixed', reason: 'refused' })
  assert.ok(retried >= 1 && retried <= 2, `retries on the dead upstream: ${retried}`)
  assert.equal(delta(after, 'gatehouse_requests_total', { route: 'mixed', pool: 'mixed', upstream: up.url, method: 'GET', code: '200', status_class: '2xx' }), 2)
  assert.equal(delta(after, 'gatehouse_request_errors_total', { route: 'down', pool: 'down', reason: 'refused' }), 1)
  assert.equal(delta(after, 'gatehouse_requests_total', { route: 'down', pool: 'down', upstream: dead, method: 'GET', code: '502', status_class: '5xx' }), 1)
  assert.equal(delta(after, 'gatehouse_rejections_total', { route: 'locked', pool: 'web', status: '401' }), 1)
  assert.equal(delta(after, 'gatehouse_rejections_total', { route: 'limited', pool: 'web', status: '429' }), 2)
  assert.equal(delta(after, 'gatehouse_requests_total', { route: 'limited', pool: 'web', upstream: '', method: 'GET', code: '429', status_class: '4xx' }), 2)
  assert.equal(delta(after, 'gatehouse_requests_total', { route: '', pool: '', upstream: '', method: 'GET', code: '404', status_class: '4xx' }), 1)

  const text = await (await fetch(`http://127.0.0.1:${adm.port}/metrics`)).text()
  assert.doesNotMatch(text, /secret-path|token=|\/users\//, 'no raw path or query in any label')
  assert.doesNotMatch(text, /\/app\//)
})

test('in-flight requests are a gauge read at scrape time', async () => {
  const pending = fetch(gw.url + '/slow')
  const labels = { pool: 'slow', upstream: slow.url }
  await waitFor(async () => (await scrape()).get(key('gatehouse_upstream_requests_in_flight', labels)) === 1, { timeoutMs: 2000, intervalMs: 20 })
  await waitFor(() => slow.seen.length === 1, { timeoutMs: 2000, intervalMs: 10 })
  releaseSlow()
  assert.equal(await (await pending).text(), 'late')
  await settle()
  assert.equal((await scrape()).get(key('gatehouse_upstream_requests_in_flight', labels)), 0)
})

test('availability, health transitions, ejections, operator switches and pool sizes', async () => {
  const labels = { pool: 'web', upstream: up.url }
  let s = await scrape()
  assert.equal(s.get(key('gatehouse_upstream_available', labels)), 1)
  assert.equal(s.get(key('gatehouse_pool_available_upstreams', { pool: 'web' })), 1)
  const upstream = gw.gateway.pool('web')!.upstreams[0]!
  const flipsBefore = s.get(key('gatehouse_health_check_transitions_total', { ...labels, verdict: 'unhealthy' })) ?? 0
  upstream.setHealthy(false)
  s = await scrape()
  assert.equal(s.get(key('gatehouse_upstream_healthy', labels)), 0)
  assert.equal(s.get(key('gatehouse_upstream_available', labels)), 0)
  assert.equal(s.get(key('gatehouse_pool_available_upstreams', { pool: 'web' })), 0)
  assert.equal(s.get(key('gatehouse_health_check_transitions_total', { ...labels, verdict: 'unhealthy' })), flipsBefore + 1)
  upstream.setHealthy(true)
  upstream.eject(Date.now() + 60_000)
  upstream.eject(Date.now() + 60_000) // a second ejection later is counted too
  s = await scrape()
  assert.equal(s.get(key('gatehouse_health_check_transitions_total', { ...labels, verdict: 'healthy' })), 1)
  assert.equal(s.get(key('gatehouse_upstream_ejected', labels)), 1)
  assert.ok((s.get(key('gatehouse_ejections_total', labels)) ?? 0) >= 1)
  upstream.eject(0)
  gw.gateway.pool('web')!.upstreams[0]!.setDisabled(true)
  s = await scrape()
  assert.equal(s.get(key('gatehouse_upstream_ejected', labels)), 0)
  assert.equal(s.get(key('gatehouse_upstream_disabled', labels)), 1)
  assert.equal(s.get(key('gatehouse_upstream_available', labels)), 0)
  upstream.setDisabled(false)
  assert.equal((await scrape()).get(key('gatehouse_upstream_available', labels)), 1)
  assert.equal(s.get(key('gatehouse_routes')), 6)
})

test('discovery snapshots applied and rejected per source; pool changes; a departed upstream\'s series go', async () => {
  const extra = await startUpstream(echo('extra'))
  try {
    const reg = { get: (name: string) => gw.gateway.pool(name), apply: (source: string, s: unknown) => gw.gateway.watcher.push(source, s) }
    reg.apply('test-source', { pools: { web: [extra.url] } })
    reg.apply('test-source', { pools: { web: ['not a url'] } })
    reg.apply('test-source', { pools: { web: [extra.url] } })
    for (let i = 0; i < 4; i++) await get('/app/')
    await settle()
    let s = await scrape()
    assert.equal(s.get(key('gatehouse_discovery_snapshots_total', { source: 'test-source', result: 'applied' })), 2)
    assert.equal(s.get(key('gatehouse_discovery_snapshots_total', { source: 'test-source', result: 'rejected' })), 1)
    assert.ok((s.get(key('gatehouse_discovery_last_applied_timestamp_seconds', { source: 'test-source' })) ?? 0) >= Math.floor(Date.now() / 1000) - 5)
    // Observers start before discovery: the config's own upstream was counted as added too.
    assert.equal(s.get(key('gatehouse_pool_changes_total', { pool: 'web', change: 'added' })), 2)
    assert.equal(s.get(key('gatehouse_pool_upstreams', { pool: 'web' })), 2)
    const extraSeries = { route: 'main', pool: 'web', upstream: extra.url, method: 'GET', code: '200', status_class: '2xx' }
    assert.equal(s.get(key('gatehouse_requests_total', extraSeries)), 2)

    reg.apply('test-source', { pools: { web: [] } })
    s = await scrape()
    assert.equal(s.get(key('gatehouse_pool_changes_total', { pool: 'web', change: 'removed' })), 1)
    assert.equal(s.get(key('gatehouse_pool_upstreams', { pool: 'web' })), 1)
    assert.equal(s.has(key('gatehouse_requests_total', extraSeries)), false, 'series of an upstream that left are dropped')
    assert.equal(s.has(key('gatehouse_upstream_available', { pool: 'web', upstream: extra.url })), false)
  } finally {
    await extra.close()
  }
})

/**
 * What promtool's `check metrics` checks of the text format: every sample belongs to a family
 * announced once by HELP and TYPE before it, no series twice, histogram buckets cumulative and
 * ending in +Inf equal to _count.
 */
function assertExposition(text: string): void {
  const types = new Map<string, string>()
  const helped = new Set<string>()
  const seen = new Set<string>()
  const buckets = new Map<string, number[]>()
  const counts = new Map<string, number>()
  assert.ok(text.endsWith('\n'), 'ends with a newline')
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      const [, what, name, rest] = meta
      if (what === 'HELP') assert.ok(!helped.has(name!) && helped.add(name!), `HELP ${name} twice`)
      else assert.ok(!types.has(name!) && types.set(name!, rest!) && ['counter', 'gauge', 'histogram'].includes(rest!), `TYPE ${name}: ${rest}`)
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line)
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`)
    const [, name, labels = '', value] = m
    assert.ok(!seen.has(name! + labels) && seen.add(name! + labels), `series twice: ${line}`)
    assert.ok(!Number.isNaN(Number(value)) || value === 'NaN', line)
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '')
    assert.ok(types.has(family) && helped.has(family), `sample before its HELP/TYPE: ${line}`)
    if (types.get(family) === 'counter') assert.ok(Number(value) >= 0, line)
    if (types.get(family) !== 'histogram') continue
    const series = family + labels.replace(/,?le="[^"]*"/, '')
    if (name!.endsWith('_bucket')) (buckets.get(series) ?? buckets.set(series, []).get(series)!).push(Number(value))
    if (name!.endsWith('_count')) counts.set(series.replace(/\{\}$/, ''), Number(value))
    assert.ok(name!.endsWith('_bucket') === /le="/.test(labels), line)
  }
  for (const [series, list] of buckets) {
    assert.ok(list.every((v, i) => i === 0 || v >= list[i - 1]!), `buckets not cumulative: ${series}`)
    assert.equal(list.at(-1), counts.get(series.replace(/\{\}$/, '')), `+Inf bucket is not _count: ${series}`)
  }
}

test('the exposition check fails what promtool fails', () => {
  assertExposition(new CounterFamily('t_total', 'Help.', ['a'], 10).render())
  assert.throws(() => assertExposition('t_total 1\n'), /before its HELP/)
  assert.throws(() => assertExposition('# HELP t_total H.\n# TYPE t_total counter\nt_total 1\nt_total 2\n'), /series twice/)
  assert.throws(() => assertExposition('# HELP t H.\n# TYPE t histogram\nt_bucket{le="1"} 2\nt_bucket{le="+Inf"} 1\nt_sum 1\nt_count 1\n'), /not cumulative/)
})

test('scaling pools: wakes, wake duration, woken requests and their wait, actions, state and replicas, refusals by reason', async () => {
  const { localReplicas } = await import('../support/local-replicas.ts')
  const app = localReplicas({ pool: 'app', replicas: 1, bootMs: 500 })
  const never = localReplicas({ pool: 'never', replicas: 1, bootMs: Infinity })
  const m = metrics()
  const own = admin({ listen: { port: 0 }, metrics: m, dashboard: false })
  const g = await startGateway({
    observe: [m, own],
    pools: {
      app: { discovery: app.plugin, scale: { min: 0, idle: '1h', wake: { timeout: '5s', queue: 3 } } },
      never: { discovery: never.plugin, scale: { min: 0, idle: '1h', wake: { timeout: '400ms' } } },
    },
    routes: [{ name: 'never', path: '/never', pool: 'never' }, { name: 'app', path: '/*', pool: 'app' }],
  })
  try {
    const read = async () => {
      const text = await (await fetch(`http://127.0.0.1:${own.port}/metrics`)).text()
      assertExposition(text)
      return parse(text)
    }
    const statuses = (list: Response[]) => list.map((r) => r.status + ' ' + (r.headers.get('x-gatehouse-error') ?? '')).sort()
    const state = (s: Map<string, number>, pool: string) => ['asleep', 'waking', 'awake'].map((st) => s.get(key('gatehouse_pool_state', { pool, state: st })))

    let s = await read()
    assert.deepEqual(state(s, 'app'), [1, 0, 0])
    assert.deepEqual([s.get(key('gatehouse_pool_replicas', { pool: 'app', kind: 'running' })), s.get(key('gatehouse_pool_replicas', { pool: 'app', kind: 'asleep' }))], [0, 1])
    assert.equal(s.has(key('gatehouse_pool_state', { pool: '', state: 'awake' })), false)

    // A probe path is refused without waking; of five at once, three wait in the queue and two are turned away.
    const probe = await fetch(g.url + '/healthz')
    assert.equal(probe.status, 503)
    const replies = await Promise.all(Array.from({ length: 5 }, () => fetch(g.url + '/')))
    await Promise.all([probe, ...replies].map((r) => r.arrayBuffer()))
    assert.deepEqual(statuses(replies), ['200 ', '200 ', '200 ', '503 queue-full', '503 queue-full'])
    assert.equal((await (await fetch(g.url + '/')).text()), 'r1\n', 'awake: served at once')
    await settle()

    s = await read()
    assert.deepEqual(state(s, 'app'), [0, 0, 1])
    assert.deepEqual([s.get(key('gatehouse_pool_replicas', { pool: 'app', kind: 'running' })), s.get(key('gatehouse_pool_replicas', { pool: 'app', kind: 'asleep' }))], [1, 0])
    assert.equal(s.get(key('gatehouse_pool_wakes_total', { pool: 'app' })), 1)
    assert.equal(s.get(key('gatehouse_pool_wake_duration_seconds_count', { pool: 'app' })), 1)
    const took = s.get(key('gatehouse_pool_wake_duration_seconds_sum', { pool: 'app' }))!
    assert.ok(took >= 0.45 && took < 5, `wake took ${took} s (boot 0.5 s)`)
    assert.equal(s.get(key('gatehouse_pool_wake_duration_seconds_bucket', { pool: 'app', le: '0.1' })), 0)
    assert.equal(s.get(key('gatehouse_pool_scale_actions_total', { pool: 'app', action: 'wake', outcome: 'ok' })), 1)
    assert.equal(s.get(key('gatehouse_pool_scale_actions_total', { pool: 'app', action: 'ready', outcome: 'ok' })), 1)
    assert.equal(s.get(key('gatehouse_requests_woken_total', { pool: 'app' })), 3, 'the three that waited, not the one after')
    assert.equal(s.get(key('gatehouse_request_wake_wait_seconds_count', { pool: 'app' })), 3)
    assert.ok(s.get(key('gatehouse_request_wake_wait_seconds_sum', { pool: 'app' }))! >= 3 * 0.45)
    assert.equal(s.get(key('gatehouse_pool_refused_total', { pool: 'app', reason: 'asleep' })), 1)
    assert.equal(s.get(key('gatehouse_pool_refused_total', { pool: 'app', reason: 'queue-full' })), 2)
    assert.equal(s.has(key('gatehouse_pool_refused_total', { pool: 'app', reason: 'wake-timeout' })), false)

    // A replica that never answers: waking while the request waits, then wake-timeout and a failed wake.
    const pending = fetch(g.url + '/never')
    await waitFor(async () => state(await read(), 'never')[1] === 1, { timeoutMs: 2000, intervalMs: 20, what: 'never: waking' })
    const late = await pending
    await late.arrayBuffer()
    assert.equal(late.headers.get('x-gatehouse-error'), 'wake-timeout')
    s = await waitFor(async () => ((s = await read()).has(key('gatehouse_pool_scale_actions_total', { pool: 'never', action: 'wake-failed', outcome: 'ok' })) ? s : undefined), { timeoutMs: 2000, intervalMs: 50, what: 'wake-failed' })
    assert.equal(s.get(key('gatehouse_pool_refused_total', { pool: 'never', reason: 'wake-timeout' })), 1)
    assert.equal(s.get(key('gatehouse_pool_wakes_total', { pool: 'never' })), 1)
    assert.equal(s.has(key('gatehouse_pool_wake_duration_seconds_count', { pool: 'never' })), false, 'a failed wake is no wake duration')
    assert.equal(s.has(key('gatehouse_requests_woken_total', { pool: 'never' })), false)
  } finally {
    await g.stop()
    await app.close()
    await never.close()
  }
})
