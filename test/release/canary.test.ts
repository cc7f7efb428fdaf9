// The canary loop (core/release/pool-release.ts) against real HTTP upstreams labelled v1 and v2,
// under a bounded load: a canary answering 5 % errors is rolled back within one interval of
// reaching minRequests, and clients saw no more errors than it caused; a slow canary is rolled
// back on its p99; a healthy one is promoted through every step and the old version drains with
// no failed request.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { echo, startUpstream, type Handler, type Upstream } from '../support/http-upstream.ts'
import { startGateway, recordingLogger, type TestGateway } from '../support/gateway.ts'
import { boundedLoad } from '../support/bounded-load.ts'
import type { ReleaseEvent } from '../../core/gateway/events.ts'

const INTERVAL_MS = 1000

interface Canary {
  gw: TestGateway
  v1: Upstream[]
  v2: Upstream
  events: (ReleaseEvent & { at: number })[]
  log: ReturnType<typeof recordingLogger>
  close(): Promise<void>
}

/** v1 serving (two upstreams), then v2 deployed next to it (a second source, as a discovery source would). */
async function deploy(v2Handler: Handler, release: Record<string, unknown>): Promise<Canary> {
  const v1 = [await startUpstream(echo('v1')), await startUpstream(echo('v1'))]
  const v2 = await startUpstream(v2Handler)
  const log = recordingLogger()
  const gw = await startGateway(
    {
      pools: { app: { upstreams: v1.map((u) => ({ url: u.url, labels: { version: 'v1' } })), retries: 0, release: { interval: '1s', ...release } } },
      routes: [{ path: '/*', pool: 'app' }],
    },
    { log },
  )
  const events: Canary['events'] = []
  gw.gateway.events.on('release', (e) => events.push({ ...e, at: Date.now() }))
  const close = async () => {
    await gw.stop()
    for (const u of [...v1, v2]) await u.close()
  }
  // The first version serving is stable from the gateway's start.
  if (gw.gateway.releases.view('app')?.stable !== 'v1') {
    await close()
    throw new Error(`v1 is not stable: ${JSON.stringify(gw.gateway.releases.view('app'))}`)
  }
  gw.gateway.watcher.push('deploy', { pools: { app: [{ url: v2.url, labels: { version: 'v2' } }] } })
  return { gw, v1, v2, events, log, close }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('a canary answering 5 % errors is rolled back within one interval of reaching minRequests; clients saw only the errors it caused', async () => {
  let served = 0
  let caused = 0
  let reachedMin = 0
  const c = await deploy(
    (_req, res) => {
      served++
      if (served === 100) reachedMin = Date.now()
      if (served % 20 === 0) {
        caused++
        res.statusCode = 500
        return res.end('boom')
      }
      res.setHeader('x-upstream', 'v2')
      res.end('{"name":"v2"}')
    },
    { steps: [10, 50, 100], analysis: { minRequests: 100, maxErrorRate: '1%' } },
  )
  try {
    const load = await boundedLoad(c.gw.url + '/', { concurrency: 8, max: 30_000, timeoutMs: 20_000, until: () => c.events.some((e) => e.action === 'rollback') })
    const rollback = c.events.find((e) => e.action === 'rollback')
    assert.ok(rollback, `rolled back (events: ${c.events.map((e) => e.action).join(', ')}; load ${JSON.stringify(load)})`)
    assert.equal(rollback.version, 'v2')
    assert.match(rollback.reason, /^error rate [\d.]+% above 1%$/)
    const rate = rollback.figures!.canary.errorRate
    assert.ok(rate > 0.03 && rate < 0.07, `the canary's measured error rate is its 5 %: ${rate}`)
    assert.ok(rollback.figures!.canary.requests >= 100)
    assert.deepEqual(rollback.weights, { v1: 100 })
    assert.ok(reachedMin > 0)
    const late = rollback.at - reachedMin
    assert.ok(late < INTERVAL_MS, `rolled back ${late} ms after reaching minRequests (interval ${INTERVAL_MS} ms)`)
    assert.ok(c.events.findIndex((e) => e.action === 'start') < c.events.indexOf(rollback))
    assert.ok(load.errors <= caused, `clients saw ${load.errors} errors; the canary caused ${caused}`)
    assert.equal(load.failed, 0)
    assert.ok(c.log.lines.some((l) => l.startsWith('warn: pool "app": release rollback "v2": error rate')), 'the decision is logged with its figures')

    // Failed: no more traffic, however long it stays up.
    const before = served
    const after = await boundedLoad(c.gw.url + '/', { concurrency: 4, max: 400, timeoutMs: 10_000 })
    assert.equal(after.errors, 0)
    assert.ok(served - before <= 8, `at most the requests in flight at the rollback reached v2 afterwards (${served - before})`)
    const view = c.gw.gateway.releases.view('app')!
    assert.equal(view.versions.find((v) => v.name === 'v2')?.role, 'failed')
    await new Promise((r) => setTimeout(r, 600)) // a few ticks: a failed version is not started again
    assert.equal(c.gw.gateway.releases.view('app')!.weights.v2, undefined)
  } finally {
    await c.close()
  }
})

test('a canary whose p99 is far above the stable one is rolled back', async () => {
  const c = await deploy((_req, res) => void setTimeout(() => res.end('{"name":"v2"}'), 40), {
    steps: [20, 100],
    analysis: { minRequests: 60, maxErrorRate: '1%', maxLatencyRatio: 1.5, latencySlack: '10ms' },
  })
  try {
    const load = await boundedLoad(c.gw.url + '/', { concurrency: 8, max: 20_000, timeoutMs: 20_000, until: () => c.events.some((e) => e.action === 'rollback' || e.action === 'promote') })
    const rollback = c.events.find((e) => e.action === 'rollback')
    assert.ok(rollback, `rolled back (events: ${c.events.map((e) => e.action).join(', ')})`)
    assert.match(rollback.reason, /^p99 \d+ ms above/)
    assert.ok(rollback.figures!.canary.p99Ms >= 40)
    assert.equal(load.errors, 0)
  } finally {
    await c.close()
  }
})

test('a healthy canary is promoted through every step to 100 %, and the old version drains with 0 failed requests', async () => {
  const c = await deploy(echo('v2'), { steps: [10, 30, 60, 100], analysis: { minRequests: 50, maxErrorRate: '1%', maxLatencyRatio: 3, latencySlack: '200ms' } }) // a busy machine's hiccups are not what this test is about
  try {
    const load = await boundedLoad(c.gw.url + '/', { concurrency: 8, max: 60_000, timeoutMs: 25_000, until: () => c.events.some((e) => e.action !== 'start' && e.action !== 'step') })
    const actions = c.events.map((e) => `${e.action}:${e.version}:${e.weights.v2 ?? 0}`)
    assert.deepEqual(actions, ['start:v2:10', 'step:v2:30', 'step:v2:60', 'promote:v2:100'])
    const steps = c.events.filter((e) => e.action === 'step' || e.action === 'promote')
    for (const s of steps) assert.equal(s.figures!.canary.errorRate, 0)
    const stepGaps = c.events.slice(1).map((e, i) => e.at - c.events[i]!.at)
    assert.ok(stepGaps.every((g) => g >= INTERVAL_MS - 50), `each step lasted an interval: ${stepGaps}`)
    assert.equal(load.errors, 0, JSON.stringify(load))
    assert.equal(load.failed, 0)
    assert.deepEqual(c.gw.gateway.releases.view('app')!.weights, { v2: 100 })

    // The old version drains: nothing new reaches it, its upstreams stay in the pool, and every request still succeeds.
    const v1Before = c.v1.reduce((n, u) => n + u.seen.length, 0)
    const after = await boundedLoad(c.gw.url + '/', { concurrency: 4, max: 300, timeoutMs: 10_000 })
    assert.equal(after.errors, 0)
    assert.equal(c.v1.reduce((n, u) => n + u.seen.length, 0), v1Before)
    const view = c.gw.gateway.releases.view('app')!
    assert.equal(view.stable, 'v2')
    assert.equal(view.versions.find((v) => v.name === 'v1')?.role, 'drained')
    assert.equal(view.last?.action, 'promote')
  } finally {
    await c.close()
  }
})
