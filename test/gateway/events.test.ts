// The gateway's event stream: one record per request when it really ended, pool and health changes.
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import type { RequestRecord } from '../../core/gateway/events.ts'
import { deadPort, echo, startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'

let up: Upstream
let gw: TestGateway
const records: RequestRecord[] = []
const pools: unknown[] = []
const health: unknown[] = []

before(async () => {
  up = await startUpstream((req, res, body) => (req.url!.startsWith('/big') ? res.end(Buffer.alloc(100_000)) : echo('up')(req, res, body)))
  const dead = `http://127.0.0.1:${await deadPort()}`
  gw = await startGateway({
    pools: { web: { upstreams: [up.url] }, mixed: { upstreams: [dead, up.url] }, down: { upstreams: [dead] } },
    routes: [
      { name: 'main', path: '/*', pool: 'web' },
      { name: 'mixed', path: '/mixed', pool: 'mixed' },
      { name: 'down', path: '/down', pool: 'down' },
      { name: 'locked', path: '/locked', pool: 'web', use: [async (c) => c.text('no', 401)] },
      { host: 'only.test', path: '/x', pool: 'web' },
    ],
  })
  gw.gateway.events.on('request', (r) => records.push({ ...r }))
  gw.gateway.events.on('pool', (p) => pools.push(p))
  gw.gateway.events.on('health', (h) => health.push(h))
})
after(async () => {
  await gw.stop()
  await up.close()
})

async function recordFor(path: string): Promise<RequestRecord> {
  const before = records.length
  const res = await fetch(gw.url + path)
  await res.arrayBuffer()
  for (let i = 0; i < 100 && records.length === before; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(records.length, before + 1, `expected exactly one record for ${path}`)
  return records.at(-1)!
}

test('a proxied request: route, pool, upstream, status, bytes, upstream time', async () => {
  const r = await recordFor('/big?q=1')
  assert.equal(r.route, 'main')
  assert.equal(r.pool, 'web')
  assert.equal(r.upstream, up.url)
  assert.equal(r.status, 200)
  assert.equal(r.bytes, 100_000)
  assert.equal(r.tries, 1)
  assert.equal(r.path, '/big')
  assert.ok(r.upstreamMs !== undefined && r.upstreamMs <= r.durationMs)
})

test('a retried request names why; a failed one its error; answers without a proxy are recorded too', async () => {
  let r = await recordFor('/mixed')
  if (r.tries === 1) r = await recordFor('/mixed') // round robin may start on the live one
  assert.equal(r.status, 200)
  assert.equal(r.tries, 2)
  assert.deepEqual(r.retryReasons, ['refused'])
  const down = await recordFor('/down')
  assert.equal(down.status, 502)
  assert.equal(down.error, 'refused')
  assert.deepEqual(down.retryReasons, [])
  const none = await recordFor('/nowhere')
  assert.equal(none.status, 200)
})

test('middleware answers and 404s are recorded', async () => {
  const locked = await recordFor('/locked')
  assert.equal(locked.status, 401)
  assert.equal(locked.route, 'locked')
  const res = await fetch(gw.url + '/x', { headers: { 'x-test': '1' } })
  await res.text()
})

test('pool changes and health flips are reported', async () => {
  gw.gateway.watcher.push('staticUpstreams@pools.web', { pools: { web: [] } })
  gw.gateway.watcher.push('staticUpstreams@pools.web', { pools: { web: [up.url] } })
  assert.deepEqual(pools.slice(-2).map((p) => (p as { change: string }).change), ['removed', 'added'])
  const upstream = gw.gateway.pool('web')!.upstreams[0]!
  upstream.setHealthy(false)
  assert.deepEqual(health.at(-1), { pool: 'web', upstream: up.url, id: up.url, available: false, healthy: false, ejectedUntil: 0, disabled: false })
  upstream.setHealthy(true)
})
