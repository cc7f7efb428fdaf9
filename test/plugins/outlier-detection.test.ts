// Passive health: consecutive failures eject, ejection time grows, a share of the pool always serves.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { outlierDetection } from '../../plugins/outlier-detection/index.ts'
import { UpstreamRuntime } from '../../core/pools/upstream-state.ts'
import type { PoolHealthView } from '../../core/types.ts'
import { echo, startUpstream } from '../support/http-upstream.ts'
import { startGateway } from '../support/gateway.ts'

function pool(n: number): { view: PoolHealthView; ups: UpstreamRuntime[] } {
  const ups = Array.from({ length: n }, (_, i) => new UpstreamRuntime({ id: `u${i}`, url: new URL(`http://10.0.0.${i}:80`), weight: 1, labels: {} }))
  return { ups, view: { name: 'p', upstreams: () => ups, onChange() {} } }
}

test('consecutive failures eject for baseEjection, doubling on repeat; a success resets the run', () => {
  let t = 1_000_000
  const od = outlierDetection({ consecutive: 3, baseEjection: '10s', maxEjection: '25s', maxEjectedPercent: 100, now: () => t })
  const { view, ups } = pool(2)
  const fail = () => od.observe(ups[0]!, { failure: 'refused' }, view)
  fail(), fail(), od.observe(ups[0]!, { status: 200 }, view), fail(), fail()
  assert.equal(ups[0]!.ejectedUntil, 0, 'a success in between did not reset the run')
  fail()
  assert.equal(ups[0]!.ejectedUntil, t + 10_000)
  t += 10_001
  fail(), fail(), fail()
  assert.equal(ups[0]!.ejectedUntil, t + 20_000, 'second ejection doubles')
  t += 20_001
  fail(), fail(), fail()
  assert.equal(ups[0]!.ejectedUntil, t + 25_000, 'bounded by maxEjection')
})

test('what counts is configurable; 4xx never counts; at most maxEjectedPercent is ejected', () => {
  const t = 5_000_000
  const od = outlierDetection({ consecutive: 1, on: ['5xx'], maxEjectedPercent: 50, now: () => t })
  const { view, ups } = pool(4)
  od.observe(ups[0]!, { failure: 'refused' }, view)
  od.observe(ups[0]!, { status: 404 }, view)
  assert.equal(ups[0]!.ejectedUntil, 0)
  for (const u of ups) od.observe(u, { status: 503 }, view)
  assert.equal(ups.filter((u) => u.ejectedUntil > t).length, 2, 'more than half of the pool was ejected')
})

const closers: (() => Promise<unknown>)[] = []
after(async () => {
  for (const c of closers.reverse()) await c()
})

test('end to end: an upstream answering 503 is ejected from real traffic', async () => {
  const good = await startUpstream(echo('good'))
  const bad = await startUpstream((_req, res) => res.writeHead(503).end('overloaded'))
  closers.push(() => good.close(), () => bad.close())
  const gw = await startGateway({
    pools: { web: { upstreams: [good.url, bad.url], outlier: outlierDetection({ consecutive: 3, baseEjection: '30s' }) } },
    routes: [{ pool: 'web' }],
  })
  closers.push(() => gw.stop())
  const statuses: number[] = []
  for (let i = 0; i < 40; i++) statuses.push((await fetch(gw.url)).status)
  assert.equal(statuses.filter((s) => s === 503).length, 3, 'the failing upstream kept getting traffic after 3 failures')
  assert.ok(statuses.slice(-30).every((s) => s === 200))
})
