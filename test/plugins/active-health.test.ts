// Active health checks: rise/fall exactly as configured, against real upstreams.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { assertValidPlugin } from '../../core/plugin/define.ts'
import { RiseFall } from '../../plugins/active-health/thresholds.ts'
import { activeHealth } from '../../plugins/active-health/index.ts'
import { startUpstream, type Upstream } from '../support/http-upstream.ts'
import { startGateway, type TestGateway } from '../support/gateway.ts'
import { waitFor } from '../support/process.ts'

test('rise/fall flips the verdict exactly at the thresholds', () => {
  const rows: [boolean, boolean[], boolean[]][] = [
    // start healthy, fall 3: two failures are not enough, the third flips; rise 2 brings it back
    [true, [false, false, true, false, false, false, true, true], [true, true, true, true, true, false, false, true]],
    // a success in between resets the failure run
    [true, [false, false, true, false, false], [true, true, true, true, true]],
    // start unhealthy (wait-for-rise): one success is not enough
    [false, [true, false, true, true], [false, false, false, true]],
  ]
  for (const [initial, results, verdicts] of rows) {
    const rf = new RiseFall(2, 3, initial)
    assert.deepEqual(results.map((ok) => rf.record(ok)), verdicts, `from ${initial}: ${results}`)
  }
})

test('options are validated with the field named', () => {
  assert.throws(() => assertValidPlugin(activeHealth({ interval: 'often' as never })), /activeHealth\(\): interval: expected a duration/)
  assert.throws(() => assertValidPlugin(activeHealth({ expect: { status: '2xx' as never } })), /activeHealth\(\): expect\.status/)
})

const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const c of closers.reverse()) await c()
})

/** An upstream whose answer the test switches: 'ok' → 200 Hello, 'bye' → 200 Bye, '500' → 500. */
async function switchable(name: string) {
  let mode = 'ok'
  const probes: string[] = []
  const up = await startUpstream((req, res) => {
    if (req.headers['user-agent'] === 'gatehouse-health') probes.push(String(req.headers.host))
    if (mode === '500') return void res.writeHead(500).end('down')
    res.setHeader('x-upstream', name)
    res.end(mode === 'bye' ? 'Bye' : `Hello from ${name}`)
  })
  closers.push(() => up.close())
  return { up, set: (m: string) => (mode = m), probes }
}

async function gatewayWith(ups: Upstream[], health: Parameters<typeof activeHealth>[0]): Promise<TestGateway> {
  const gw = await startGateway({ pools: { web: { upstreams: ups.map((u) => u.url), health: activeHealth(health) } }, routes: [{ pool: 'web' }] })
  closers.push(() => gw.stop())
  return gw
}

const availability = (gw: TestGateway) => gw.gateway.pool('web')!.upstreams.map((u) => u.available)

test('seed 002: expect body "Hello"; a failing upstream leaves within fall × interval and returns after rise', async () => {
  const a = await switchable('a')
  const b = await switchable('b')
  const gw = await gatewayWith([a.up, b.up], { path: '/', interval: '100ms', fall: 3, rise: 2, jitter: 0, expect: { body: 'Hello' } })
  assert.deepEqual(availability(gw), [true, true])
  const t0 = Date.now()
  b.set('bye')
  await waitFor(() => availability(gw)[1] === false, { timeoutMs: 2000 })
  const took = Date.now() - t0
  assert.ok(took >= 150 && took <= 700, `ejected after ${took} ms (fall 3 × 100 ms)`)
  for (let i = 0; i < 10; i++) assert.equal((await fetch(gw.url)).headers.get('x-upstream'), 'a')
  b.set('ok')
  await waitFor(() => availability(gw)[1] === true, { timeoutMs: 2000 })
})

test('status expectations, Host header, and probes stop when the upstream leaves', async () => {
  const a = await switchable('a')
  const gw = await gatewayWith([a.up], { interval: '50ms', fall: 1, rise: 1, jitter: 0, host: 'health.internal', expect: { status: [200] } })
  await waitFor(() => a.probes.length >= 2, { timeoutMs: 2000 })
  assert.equal(a.probes[0], 'health.internal')
  a.set('500')
  await waitFor(() => availability(gw)[0] === false, { timeoutMs: 2000 })
  assert.equal((await fetch(gw.url)).status, 503)
  gw.gateway.watcher.push('staticUpstreams@pools.web', { pools: { web: [] } })
  await new Promise((r) => setTimeout(r, 100))
  const count = a.probes.length
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(a.probes.length, count, 'an upstream that left is still probed')
})

test('wait-for-rise: a new upstream takes no traffic before its first rise; state survives a re-list', async () => {
  const a = await switchable('a')
  const b = await switchable('b')
  const gw = await gatewayWith([a.up], { interval: '150ms', rise: 2, jitter: 0, initial: 'wait-for-rise' })
  await waitFor(() => availability(gw)[0] === true, { timeoutMs: 2000 })
  gw.gateway.watcher.push('staticUpstreams@pools.web', { pools: { web: [a.up.url, b.up.url] } })
  assert.deepEqual(availability(gw), [true, false], 'the new upstream was available before rising')
  await waitFor(() => availability(gw)[1] === true, { timeoutMs: 2000 })
  b.set('500')
  await waitFor(() => availability(gw)[1] === false, { timeoutMs: 2000 })
  gw.gateway.watcher.push('staticUpstreams@pools.web', { pools: { web: [a.up.url, b.up.url] } })
  assert.deepEqual(availability(gw), [true, false], 'a re-listed upstream forgot its health')
})
