// Versions in one pool (core/release/): grouped by a label, split by weight, sticky clients, the
// tester's override header, and a rolled-back version nobody reaches — against real HTTP upstreams,
// steered through the admin API.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { admin, type AdminPlugin } from '../../plugins/admin/index.ts'
import { echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import type { ReleaseEvent } from '../../core/gateway/events.ts'

let v1a: Upstream, v1b: Upstream, v2: Upstream
let gw: TestGateway
let adm: AdminPlugin
let base: string
const events: ReleaseEvent[] = []

before(async () => {
  v1a = await startUpstream(echo('v1a'))
  v1b = await startUpstream(echo('v1b'))
  v2 = await startUpstream(echo('v2'))
  adm = admin({ listen: { port: 0 }, interval: '10s' })
  gw = await startGateway({
    observe: [adm],
    pools: {
      app: {
        upstreams: [
          { url: v1a.url, labels: { version: 'v1' } },
          { url: v1b.url, labels: { version: 'v1' } },
          { url: v2.url, labels: { version: 'v2' } },
        ],
        release: { strategy: 'manual', stable: 'v1', sticky: { cookie: 'gh-release' } },
      },
    },
    routes: [{ path: '/*', pool: 'app' }],
  })
  gw.gateway.events.on('release', (e) => events.push(e))
  base = `http://127.0.0.1:${adm.port}`
})
after(async () => {
  await gw.stop()
  for (const u of [v1a, v1b, v2]) await u.close()
})

const versionOf = (name: string) => (name === 'v2' ? 'v2' : 'v1')

async function hit(headers: Record<string, string> = {}): Promise<{ version: string; setCookie: string | null }> {
  const res = await fetch(gw.url + '/', { headers })
  const body = (await res.json()) as { name: string }
  return { version: versionOf(body.name), setCookie: res.headers.get('set-cookie') }
}

async function tally(n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const { version } = await hit(headers)
    counts[version] = (counts[version] ?? 0) + 1
  }
  return counts
}

const put = (weights: Record<string, number>) =>
  fetch(`${base}/api/pools/app/release`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ weights }) })

test('the named stable version takes all traffic; a version without weight gets none, nor through the override header', async () => {
  const release = await (await fetch(`${base}/api/pools/app/release`)).json()
  assert.equal(release.stable, 'v1')
  assert.deepEqual(release.weights, { v1: 100 })
  assert.deepEqual(release.versions.map((v: { name: string; upstreams: number }) => [v.name, v.upstreams]).sort(), [['v1', 2], ['v2', 1]])
  assert.deepEqual(await tally(50), { v1: 50 })
  assert.deepEqual(await tally(50, { 'x-gatehouse-version': 'v2' }), { v1: 50 }, 'v2 is not published')
  assert.equal(v2.seen.length, 0)
})

test('admin weights split traffic; 1,000 requests with the sticky cookie all hit one version', async () => {
  const bad = await put({ v1: 50, v2: 40 })
  assert.equal(bad.status, 409)
  assert.match((await bad.json()).message, /sum of 100/)
  assert.equal((await put({ v1: 50, v3: 50 })).status, 409)
  const ok = await put({ v1: 50, v2: 50 })
  assert.equal(ok.status, 200)
  assert.deepEqual((await ok.json()).release.weights, { v1: 50, v2: 50 })

  // Without the cookie each request is weighed: both versions answer, and each first answer hands a cookie out.
  const fresh = await tally(200)
  assert.ok(fresh.v1! > 50 && fresh.v2! > 50, `a 50/50 split: ${JSON.stringify(fresh)}`)
  const first = await hit()
  assert.match(first.setCookie ?? '', /^gh-release=(v1|v2); Path=\/; HttpOnly; SameSite=Lax$/)
  const cookie = first.setCookie!.split(';')[0]!
  const given = cookie.split('=')[1]!
  assert.equal(given, first.version)
  let cookiesAgain = 0
  const counts: Record<string, number> = {}
  for (let i = 0; i < 1000; i++) {
    const r = await hit({ cookie: `other=1; ${cookie}` })
    counts[r.version] = (counts[r.version] ?? 0) + 1
    if (r.setCookie) cookiesAgain++
  }
  assert.deepEqual(counts, { [given]: 1000 })
  assert.equal(cookiesAgain, 0, 'a client that holds its version is not given one again')
})

test('the override header reaches the version it names while it is published; after a rollback it never does', async () => {
  assert.equal((await put({ v1: 90, v2: 10 })).status, 200)
  assert.deepEqual(await tally(100, { 'x-gatehouse-version': 'v2' }), { v2: 100 })
  assert.deepEqual(await tally(100, { 'x-gatehouse-version': 'v1' }), { v1: 100 })
  // Rolled back to 0 %: neither the header nor a cookie that names it reaches it; the cookie holder is moved.
  assert.equal((await put({ v1: 100, v2: 0 })).status, 200)
  const before = v2.seen.length
  assert.deepEqual(await tally(200, { 'x-gatehouse-version': 'v2' }), { v1: 200 })
  const moved = await hit({ cookie: 'gh-release=v2' })
  assert.equal(moved.version, 'v1')
  assert.match(moved.setCookie ?? '', /^gh-release=v1;/)
  assert.equal(v2.seen.length, before, 'no request reached v2')
  assert.ok(events.some((e) => e.action === 'weights'), 'operator weights are events')
})

test('release actions: unknown pool 404, bad action 400, nothing to abort 409', async () => {
  assert.equal((await fetch(`${base}/api/pools/nope/release`)).status, 404)
  assert.equal((await fetch(`${base}/api/pools/app/release/explode`, { method: 'POST' })).status, 400)
  assert.equal((await fetch(`${base}/api/pools/app/release/abort`, { method: 'POST' })).status, 409)
  const state = await (await fetch(`${base}/api/pools`)).json()
  assert.equal(state.pools[0].release.stable, 'v1')
})

test('metrics: weights by version, the canary step and decisions', async () => {
  const text = await (await fetch(`${base}/metrics`)).text()
  assert.match(text, /^gatehouse_release_weight_percent\{pool="app",version="v1"\} 100$/m)
  assert.match(text, /^gatehouse_release_weight_percent\{pool="app",version="v2"\} 0$/m)
  assert.match(text, /^gatehouse_release_canary_step\{pool="app"\} 0$/m)
  assert.match(text, /^gatehouse_release_decisions_total\{pool="app",action="weights"\} 3$/m)
  assert.match(text, /^gatehouse_release_window_requests\{pool="app",version="v1"\} \d+$/m)
})

test('sticky by consumer: each jwt() subject keeps one version, and subjects from one address spread over both', async () => {
  const { jwt } = await import('../../plugins/jwt/index.ts')
  const { sign } = await import('hono/jwt')
  const secret = 'a-test-secret-of-at-least-32-bytes!!'
  const g = await startGateway({
    pools: {
      app: {
        upstreams: [{ url: v1a.url, labels: { version: 'v1' } }, { url: v2.url, labels: { version: 'v2' } }],
        release: { stable: 'v1', steps: [50, 100], interval: '1h', analysis: { minRequests: 1_000_000 }, sticky: { hash: 'consumer' } },
      },
    },
    routes: [{ path: '/*', pool: 'app', use: [jwt({ secret })] }],
  })
  try {
    for (let i = 0; i < 100 && g.gateway.releases.view('app')?.weights.v2 !== 50; i++) await new Promise((r) => setTimeout(r, 20))
    const seen = new Map<string, Set<string>>()
    for (let u = 0; u < 20; u++) {
      const token = await sign({ sub: `user-${u}`, exp: Math.floor(Date.now() / 1000) + 60 }, secret, 'HS256')
      for (let i = 0; i < 10; i++) {
        const res = await fetch(g.url + '/', { headers: { authorization: `Bearer ${token}` } })
        const version = versionOf(((await res.json()) as { name: string }).name)
        seen.set(`user-${u}`, (seen.get(`user-${u}`) ?? new Set()).add(version))
      }
    }
    assert.ok([...seen.values()].every((s) => s.size === 1), 'each user stays on one version')
    assert.deepEqual(new Set([...seen.values()].flatMap((s) => [...s])), new Set(['v1', 'v2']), 'one address, both versions: the subject is hashed, not the address')
  } finally {
    await g.stop()
  }
})
