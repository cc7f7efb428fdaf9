// The admin listener: JSON API, operator actions that really steer traffic, live state over SSE,
// and who may use it (loopback without a token; a token whenever it binds anything else).
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import { validateConfig } from '../../core/config/validate.ts'
import { isConfigError } from '../../core/config/errors.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { localReplicas } from '../support/local-replicas.ts'

const TOKEN = 'test-admin-token-0123456789'
let a: Upstream, b: Upstream
let gw: TestGateway
let adm: AdminPlugin
let base: string
const closers: (() => Promise<unknown>)[] = []

before(async () => {
  a = await startUpstream(echo('a'))
  b = await startUpstream(echo('b'))
  closers.push(() => a.close(), () => b.close())
  adm = admin({ listen: { port: 0 }, interval: '10s' }) // pushes on changes must not wait for the interval
  gw = await startGateway({
    observe: [adm],
    pools: { web: { upstreams: [a.url, b.url] } },
    routes: [
      { name: 'main', path: '/*', pool: 'web', requestHeaders: { set: { authorization: 'Bearer upstream-secret-value' } } },
      { host: 'api.test', path: '/v1/*', pool: 'web', headers: { 'x-key': 'header-secret-value' } },
    ],
  })
  closers.push(() => gw.stop())
  base = `http://127.0.0.1:${adm.port}`
})
after(async () => {
  for (const c of closers.reverse()) await c()
})

/** node:http, so Host and Origin can be anything (fetch forbids setting them). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const post = (path: string) => fetch(base + path, { method: 'POST' })
const upstreamPath = (id: string, action: string) => `/api/pools/web/upstreams/${encodeURIComponent(id)}/${action}`

async function whoAnswers(n: number): Promise<string[]> {
  const names: string[] = []
  for (let i = 0; i < n; i++) names.push((await (await fetch(gw.url + '/')).json()).name)
  return names
}

test('GET /api/routes: the routes in force, with header values and header rules hidden', async () => {
  const res = await fetch(base + '/api/routes')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  const text = await res.text()
  assert.doesNotMatch(text, /upstream-secret-value|header-secret-value/)
  const { routes } = JSON.parse(text)
  assert.deepEqual(routes.map((r: { name: string; pool: string; path: string }) => [r.name, r.pool, r.path]), [['main', 'web', '/*'], ['api.test/v1/*', 'web', '/v1/*']])
  assert.deepEqual(routes[0].requestHeaders, { set: ['authorization'], remove: [] })
  assert.deepEqual(routes[1].headers, ['x-key'])
  assert.deepEqual(routes[1].host, ['api.test'])
})

test('GET /api/certificates: 404 naming why on a gateway that serves no HTTPS (the listing itself: test/plugins/acme.test.ts)', async () => {
  const res = await fetch(base + '/api/certificates')
  assert.equal(res.status, 404)
  assert.deepEqual(await res.json(), { error: 'this gateway serves no HTTPS' })
})

test('GET /api/pools: each upstream with available, health, in-flight, ejected until, disabled, state', async () => {
  const { pools } = await (await fetch(base + '/api/pools')).json()
  assert.equal(pools.length, 1)
  const [web] = pools
  assert.equal(web.name, 'web')
  assert.equal(web.balancer, 'roundRobin')
  assert.deepEqual(web.upstreams.map((u: { url: string }) => u.url), [a.url, b.url])
  assert.deepEqual(Object.keys(web.upstreams[0]).sort(), ['available', 'disabled', 'ejectedUntil', 'errorRate', 'healthy', 'id', 'inflight', 'labels', 'p50', 'p99', 'rps', 'since', 'state', 'url', 'warming', 'weight'])
  assert.equal(web.upstreams[0].warming, false)
  assert.equal('scale' in web, false, 'a pool that does not scale has no scale state')
  assert.equal(web.upstreams[0].state, 'available')
  assert.equal(web.history.length, 60)
  assert.equal(typeof web.rps, 'number')
})

test('drain (disable) an upstream: no new traffic reaches it; enable brings it back', async () => {
  let res = await post(upstreamPath(b.url, 'disable'))
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { pool: 'web', id: b.url, enabled: false })
  const seenByB = b.seen.length
  assert.deepEqual(new Set(await whoAnswers(10)), new Set(['a']))
  assert.equal(b.seen.length, seenByB, 'the disabled upstream got no request')
  const web = (await (await fetch(base + '/api/pools')).json()).pools[0]
  assert.deepEqual([web.upstreams[1].disabled, web.upstreams[1].available, web.upstreams[1].state], [true, false, 'disabled'])

  res = await post(upstreamPath(b.url, 'enable'))
  assert.deepEqual(await res.json(), { pool: 'web', id: b.url, enabled: true })
  assert.deepEqual(new Set(await whoAnswers(10)), new Set(['a', 'b']))
})

test('actions are validated: unknown upstream 404, bad pool name or action 400, check on a pool without active checks 404', async () => {
  let res = await post(upstreamPath('http://127.0.0.1:1', 'disable'))
  assert.equal(res.status, 404)
  assert.match((await res.json()).error, /no upstream http:\/\/127\.0\.0\.1:1 in pool web/)
  res = await post(`/api/pools/${encodeURIComponent('bad pool!')}/upstreams/x/disable`)
  assert.equal(res.status, 400)
  assert.match((await res.json()).problems[0], /^pool: expected a pool name/)
  res = await post(upstreamPath(a.url, 'explode'))
  assert.equal(res.status, 400)
  res = await post(upstreamPath(a.url, 'check'))
  assert.equal(res.status, 404)
  assert.match((await res.json()).error, /with active health checks/)
  assert.equal((await fetch(base + '/api/nothing')).status, 404)
})

test('a tokenless listener answers loopback host names only, and refuses cross-origin POSTs', async () => {
  assert.equal((await raw(base + '/api/pools', { headers: { host: 'evil.example:80' } })).status, 403, 'DNS rebinding')
  assert.equal((await raw(base + '/api/pools', { headers: { host: `localhost:${adm.port}` } })).status, 200)
  const cross = await raw(base + upstreamPath(b.url, 'disable'), { method: 'POST', headers: { origin: 'http://evil.example' } })
  assert.equal(cross.status, 403)
  assert.equal(gw.gateway.pool('web')!.upstreams[1]!.disabled, false)
})

test('GET /metrics on the admin listener (its own metrics() by default)', async () => {
  await whoAnswers(3)
  await new Promise((r) => setTimeout(r, 50))
  const res = await fetch(base + '/metrics')
  assert.equal(res.status, 200)
  assert.match(await res.text(), /^gatehouse_requests_total\{route="main",pool="web",upstream="http:\/\/127\.0\.0\.1:\d+",method="GET",code="200",status_class="2xx"\} \d+$/m)
})

test('GET /api/events: the state as server-sent events, pushed at once when an upstream changes', async () => {
  const abort = new AbortController()
  const res = await fetch(base + '/api/events', { signal: abort.signal })
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const next = async (): Promise<{ pools: { upstreams: { state: string }[] }[]; changes: { change: string }[] }> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        assert.match(block, /^event: state\n/)
        return JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6))
      }
      const { value, done } = await reader.read()
      assert.ok(!done, 'stream ended')
      buffer += value
    }
  }
  try {
    assert.equal((await next()).pools[0]!.upstreams[1]!.state, 'available')
    const t0 = Date.now()
    gw.gateway.pool('web')!.upstreams[1]!.setHealthy(false)
    const pushed = await next()
    assert.ok(Date.now() - t0 < 1000, `pushed after ${Date.now() - t0} ms (interval is 10 s)`)
    assert.equal(pushed.pools[0]!.upstreams[1]!.state, 'unhealthy')
    assert.equal(pushed.changes[0]!.change, 'unavailable')
  } finally {
    gw.gateway.pool('web')!.upstreams[1]!.setHealthy(true)
    abort.abort()
  }
})

test('the dashboard page is served, framing refused', async () => {
  const res = await fetch(base + '/dashboard')
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/)
  assert.match(await res.text(), /new EventSource\("\/api\/events"\)/)
})

test('bound anywhere but 127.0.0.1 without a token: refused at config time, naming the field', () => {
  assert.throws(() => assertValidPlugin(admin({ listen: { host: '127.0.0.2', port: 0 } })), (err) => isConfigError(err) && /admin\(\): token: required: the admin listener binds 127\.0\.0\.2/.test(err.message))
  assert.throws(() => assertValidPlugin(admin({ listen: { host: '0.0.0.0' } })), /token: required/)
  assert.throws(() => assertValidPlugin(admin({ listen: { host: '127.0.0.2' }, token: 'short' })), /token: expected a token of at least 16 characters/)
  assert.throws(() => validateConfig({ observe: [admin({ listen: { host: '::' } })] }), /token/)
})

test('with a token on 127.0.0.2: 401 without it or with a wrong one, 200 with it; the dashboard logs in by cookie', async () => {
  const locked = admin({ listen: { host: '127.0.0.2', port: 0 }, token: TOKEN })
  const gw2 = await startGateway({ observe: [locked], pools: { web: { upstreams: [a.url] } }, routes: [{ pool: 'web' }] })
  closers.push(() => gw2.stop())
  const url = `http://127.0.0.2:${locked.port}`
  await assert.rejects(fetch(`http://127.0.0.1:${locked.port}/api/pools`), 'not listening on 127.0.0.1')

  for (const path of ['/api/pools', '/api/routes', '/api/state', '/metrics']) {
    const res = await fetch(url + path)
    assert.equal(res.status, 401, path)
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/)
  }
  assert.equal((await fetch(url + '/api/pools', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401)
  assert.equal((await fetch(url + '/api/pools', { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } })).status, 401)
  assert.equal((await fetch(url + upstreamPath(a.url, 'disable'), { method: 'POST' })).status, 401)
  assert.equal(gw2.gateway.pool('web')!.upstreams[0]!.disabled, false)

  const ok = await fetch(url + '/api/pools', { headers: { authorization: `Bearer ${TOKEN}` } })
  assert.equal(ok.status, 200)
  assert.equal((await ok.json()).pools[0].name, 'web')
  assert.equal((await fetch(url + '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200)
  // Any Host is fine once the token is checked (the listener is meant to be reached by name).
  assert.equal((await raw(url + '/api/pools', { headers: { host: 'admin.internal', authorization: `Bearer ${TOKEN}` } })).status, 200)

  const page = await fetch(url + '/dashboard')
  assert.equal(page.status, 401)
  assert.match(await page.text(), /<form/)
  assert.equal((await fetch(url + '/dashboard?token=wrong-token-wrong-token', { redirect: 'manual' })).status, 401)
  const login = await fetch(`${url}/dashboard?token=${TOKEN}`, { redirect: 'manual' })
  assert.equal(login.status, 303)
  assert.equal(login.headers.get('location'), '/dashboard')
  const cookie = login.headers.get('set-cookie')!
  assert.match(cookie, /HttpOnly/)
  assert.match(cookie, /SameSite=Strict/)
  const withCookie = { cookie: cookie.split(';')[0]! }
  assert.equal((await fetch(url + '/dashboard', { headers: withCookie })).status, 200)
  assert.equal((await fetch(url + '/api/state', { headers: withCookie })).status, 200)
})

test('stopping the gateway closes the admin listener and its event streams', async () => {
  const own = admin({ listen: { port: 0 } })
  const gw3 = await startGateway({ observe: [own], pools: { web: { upstreams: [a.url] } }, routes: [{ pool: 'web' }] })
  const res = await fetch(`http://127.0.0.1:${own.port}/api/events`)
  const reader = res.body!.getReader()
  await reader.read()
  const t0 = Date.now()
  await gw3.stop()
  assert.ok(Date.now() - t0 < 1000, `stopped in ${Date.now() - t0} ms`)
  for (;;) if ((await reader.read()).done) break
  await assert.rejects(fetch(`http://127.0.0.1:${own.port}/api/pools`))
})

test('a health check on demand runs one probe, counted by rise/fall', async () => {
  const { activeHealth } = await import('../../plugins/active-health/index.ts')
  let failing = false
  const flaky = await startUpstream((_req, res) => (failing ? res.writeHead(500).end() : res.end('ok')))
  const adm2 = admin({ listen: { port: 0 } })
  const gw2 = await startGateway({ observe: [adm2], pools: { web: { upstreams: [flaky.url], health: activeHealth({ interval: '1h', fall: 1, rise: 1 }) } }, routes: [{ pool: 'web' }] })
  try {
    const check = () => fetch(`http://127.0.0.1:${adm2.port}/api/pools/web/upstreams/${encodeURIComponent(flaky.url)}/check`, { method: 'POST' }).then((r) => r.json())
    assert.deepEqual(await check(), { pool: 'web', id: flaky.url, healthy: true })
    failing = true
    assert.deepEqual(await check(), { pool: 'web', id: flaky.url, healthy: false }, 'the probe did not run at once (interval is 1 h)')
    assert.equal(gw2.gateway.pool('web')!.upstreams[0]!.available, false)
  } finally {
    await gw2.stop()
    await flaky.close()
  }
})

/** Reads `event: state` blocks off an /api/events response. */
function stateStream(res: Response): () => Promise<any> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return async () => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        return JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6))
      }
      const { value, done } = await reader.read()
      assert.ok(!done, 'stream ended')
      buffer += value
    }
  }
}

test('a pool that scales: its scale state in /api/pools, a starting replica "warming", the wake pushed live with its decisions', async () => {
  const local = localReplicas({ pool: 'lazy', replicas: 1, bootMs: 700 })
  const own = admin({ listen: { port: 0 }, interval: '10s' }) // pushes must come from the scale events, not the interval
  const g = await startGateway({
    observe: [own],
    pools: { lazy: { discovery: local.plugin, scale: { min: 0, idle: '1h', wake: { timeout: '5s' } } }, web: { upstreams: [a.url] } },
    routes: [{ pool: 'lazy' }],
  })
  const abort = new AbortController()
  try {
    const url = `http://127.0.0.1:${own.port}`
    const pools = async () => Object.fromEntries((await (await fetch(url + '/api/pools')).json()).pools.map((p: { name: string }) => [p.name, p]))
    let p = await pools()
    assert.deepEqual(p.lazy.scale, { state: 'asleep', running: 0, asleep: 1, min: 0, max: 1 })
    assert.deepEqual(p.lazy.upstreams, [])
    assert.equal('scale' in p.web, false)

    const next = stateStream(await fetch(url + '/api/events', { signal: abort.signal }))
    const lazy = (s: any) => s.pools.find((x: { name: string }) => x.name === 'lazy')
    assert.equal(lazy(await next()).scale.state, 'asleep')
    const t0 = Date.now()
    const reply = fetch(g.url + '/')
    // The replica joins at once and is held back until it answers: waking, one replica warming.
    let s = await next()
    while (lazy(s).upstreams.length === 0) s = await next()
    assert.ok(Date.now() - t0 < 700, `pushed after ${Date.now() - t0} ms: before the replica listens, long before the 10 s interval`)
    assert.deepEqual([lazy(s).scale.state, lazy(s).scale.running, lazy(s).upstreams[0].warming, lazy(s).upstreams[0].state], ['waking', 1, true, 'warming'])
    assert.equal(await (await reply).text(), 'r1\n')
    while (lazy(s).scale.state !== 'awake') s = await next()
    assert.ok(Date.now() - t0 < 2500, `awake pushed after ${Date.now() - t0} ms`)
    assert.deepEqual([lazy(s).scale.running, lazy(s).scale.asleep, lazy(s).upstreams[0].warming, lazy(s).upstreams[0].state], [1, 0, false, 'available'])
    assert.deepEqual(s.changes.filter((c: { upstream: string }) => c.upstream === '').map((c: { pool: string; change: string }) => [c.pool, c.change]), [['lazy', 'ready'], ['lazy', 'wake']])
    assert.match(s.changes.find((c: { change: string }) => c.change === 'wake').detail, /^0 → 1 replicas: a request$/)
    assert.match(s.changes.find((c: { change: string }) => c.change === 'ready').detail, /^after \d+ ms, 1 running$/)
    p = await pools()
    assert.deepEqual(p.lazy.scale, { state: 'awake', running: 1, asleep: 0, min: 0, max: 1 })
  } finally {
    abort.abort()
    await g.stop()
    await local.close()
  }
})
